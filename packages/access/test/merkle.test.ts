import { createHash } from 'node:crypto';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  EMPTY_ROOT,
  MerkleTree,
  leafHash,
  nodeHash,
  verifyConsistency,
  verifyInclusion,
} from '../src/internal/merkle.js';

// Oracle: RFC 9162 §2.1 written as its recursive definitions, straight from the text.
const sha = (...parts: Uint8Array[]) => {
  const h = createHash('sha256');
  for (const p of parts) h.update(p);
  return h.digest();
};
const k = (n: number) => {
  let x = 1;
  while (x * 2 < n) x *= 2;
  return x;
};
function mth(d: readonly Buffer[]): Buffer {
  if (d.length === 0) return sha();
  if (d.length === 1) return sha(Buffer.from([0]), d[0] as Buffer);
  const s = k(d.length);
  return sha(Buffer.from([1]), mth(d.slice(0, s)), mth(d.slice(s)));
}
function path(m: number, d: readonly Buffer[]): Buffer[] {
  if (d.length <= 1) return [];
  const s = k(d.length);
  return m < s
    ? [...path(m, d.slice(0, s)), mth(d.slice(s))]
    : [...path(m - s, d.slice(s)), mth(d.slice(0, s))];
}
function subproof(m: number, d: readonly Buffer[], b: boolean): Buffer[] {
  if (m === d.length) return b ? [] : [mth(d)];
  const s = k(d.length);
  return m <= s
    ? [...subproof(m, d.slice(0, s), b), mth(d.slice(s))]
    : [...subproof(m - s, d.slice(s), false), mth(d.slice(0, s))];
}
const hex = (bs: Buffer[]) => bs.map((b) => b.toString('hex'));

function treeOf(leaves: readonly Buffer[]): MerkleTree {
  const t = new MerkleTree();
  for (const l of leaves) t.push(leafHash(l));
  return t;
}

// The leaves and roots used by the Certificate Transparency / transparency-dev RFC 6962 tests.
const CT_LEAVES = [
  '',
  '00',
  '10',
  '2021',
  '3031',
  '40414243',
  '5051525354555657',
  '606162636465666768696a6b6c6d6e6f',
].map((h) => Buffer.from(h, 'hex'));
const CT_ROOTS = [
  '6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d',
  'fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125',
  'aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77',
  'd37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7',
  '4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4',
  '76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef',
  'ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c',
  '5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328',
];

describe('RFC 6962 hashing', () => {
  it('matches hand-derived values: empty tree, one leaf, two leaves, three leaves', () => {
    expect(EMPTY_ROOT.toString('hex')).toBe(
      'e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855',
    );
    const a = Buffer.from('a');
    const b = Buffer.from('b');
    const c = Buffer.from('c');
    const la = sha(Buffer.from([0x00]), a);
    const lb = sha(Buffer.from([0x00]), b);
    const lc = sha(Buffer.from([0x00]), c);
    expect(leafHash(a).equals(la)).toBe(true);
    const t = treeOf([a, b, c]);
    expect(t.root(0).equals(EMPTY_ROOT)).toBe(true);
    expect(t.root(1).equals(la)).toBe(true);
    expect(t.root(2).equals(sha(Buffer.from([0x01]), la, lb))).toBe(true);
    // Size 3 splits at 2: node(node(a, b), c) — c is not paired with a copy of itself.
    expect(t.root(3).equals(sha(Buffer.from([0x01]), nodeHash(la, lb), lc))).toBe(true);
    expect(hex(t.inclusionProof(2, 3))).toEqual([nodeHash(la, lb).toString('hex')]);
    expect(hex(t.inclusionProof(0, 3))).toEqual([lb.toString('hex'), lc.toString('hex')]);
  });

  it('reproduces the CT / transparency-dev reference roots for 1 to 8 leaves', () => {
    const t = treeOf(CT_LEAVES);
    for (let n = 1; n <= 8; n++) expect(t.root(n).toString('hex')).toBe(CT_ROOTS[n - 1]);
  });

  it('equals the recursive definition for every size and every proof (property)', () => {
    fc.assert(
      fc.property(
        fc.array(fc.uint8Array({ maxLength: 8 }), { minLength: 1, maxLength: 70 }),
        fc.nat(),
        fc.nat(),
        (raw, i, j) => {
          const leaves = raw.map((u) => Buffer.from(u));
          const t = treeOf(leaves);
          const viaHex = new MerkleTree();
          for (const l of leaves) viaHex.pushHex(leafHash(l).toString('hex'));
          expect(viaHex.root().equals(t.root())).toBe(true);
          const n = 1 + (i % leaves.length);
          const m = j % n;
          const d = leaves.slice(0, n);
          expect(t.root(n).equals(mth(d))).toBe(true);
          expect(hex(t.inclusionProof(m, n))).toEqual(hex(path(m, d)));
          const old = 1 + (j % n);
          expect(hex(t.consistencyProof(old, n))).toEqual(
            hex(old === n ? [] : subproof(old, d, true)),
          );
        },
      ),
      { numRuns: 300 },
    );
  });

  it('verifies every inclusion and consistency proof of trees up to 40 leaves, and rejects altered ones', () => {
    const leaves = Array.from({ length: 40 }, (_, i) => Buffer.from(`leaf ${i}`));
    const t = treeOf(leaves);
    for (let n = 1; n <= 40; n++) {
      const root = t.root(n).toString('hex');
      for (let m = 0; m < n; m++) {
        const proof = hex(t.inclusionProof(m, n));
        const leaf = t.leaf(m).toString('hex');
        expect(verifyInclusion(leaf, m, n, proof, root)).toBe(true);
        if (n > 1) expect(verifyInclusion(leaf, (m + 1) % n, n, proof, root)).toBe(false);
        expect(verifyInclusion(leafHash('other').toString('hex'), m, n, proof, root)).toBe(false);
        if (proof.length > 0) {
          const bad = [...proof];
          bad[0] = (bad[0] as string).replace(/^./, (ch) => (ch === '0' ? '1' : '0'));
          expect(verifyInclusion(leaf, m, n, bad, root)).toBe(false);
          expect(verifyInclusion(leaf, m, n, proof.slice(1), root)).toBe(false);
        }
        expect(verifyInclusion(leaf, m, n, [...proof, root], root)).toBe(false);
      }
      for (let o = 0; o <= n; o++) {
        const proof = hex(t.consistencyProof(o, n));
        const oldRoot = t.root(o).toString('hex');
        expect(verifyConsistency(o, n, oldRoot, root, proof)).toBe(true);
        if (o > 0 && o < n) {
          expect(verifyConsistency(o, n, t.root(o - 1).toString('hex'), root, proof)).toBe(false);
          const other = treeOf([
            ...leaves.slice(0, o),
            Buffer.from('forged'),
            ...leaves.slice(o + 1),
          ]);
          expect(verifyConsistency(o, n, oldRoot, other.root(n).toString('hex'), proof)).toBe(
            false,
          );
          if (proof.length > 1) {
            expect(verifyConsistency(o, n, oldRoot, root, proof.slice(0, -1))).toBe(false);
          }
        }
      }
    }
  });

  it('pure verifiers never throw on malformed input', () => {
    const junk = [undefined, null, 'zz', -1, 1.5, NaN, {}, [1], 'A'.repeat(64)];
    for (const j of junk) {
      expect(verifyInclusion(j as never, 0, 1, [], 'a'.repeat(64))).toBe(false);
      expect(verifyInclusion('a'.repeat(64), j as never, 1, [], 'a'.repeat(64))).toBe(false);
      expect(verifyConsistency(1, 2, j as never, 'a'.repeat(64), [])).toBe(false);
      expect(verifyConsistency(1, 2, 'a'.repeat(64), 'a'.repeat(64), j as never)).toBe(false);
    }
  });
});
