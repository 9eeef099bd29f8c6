import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { cacheErrors, jsonSerializer } from '../../src/index.js';
import {
  decodeEnvelope,
  encodeEnvelope,
  Kind,
  toBytes,
  type EntryMeta,
} from '../../src/internal/envelope.js';

const meta = fc.record({
  kind: fc.constantFrom(Kind.Value, Kind.Absent, Kind.Failure),
  createdAt: fc.integer({ min: 0, max: 2 ** 45 }),
  expiresAt: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.constant(Infinity)),
  staleUntil: fc.oneof(fc.integer({ min: 0, max: 2 ** 45 }), fc.constant(Infinity)),
  tags: fc.option(fc.array(fc.string({ minLength: 1, maxLength: 20 }), { maxLength: 4 }), {
    nil: undefined,
  }),
  failure: fc.option(fc.record({ name: fc.string(), message: fc.string() }), { nil: undefined }),
}) as fc.Arbitrary<EntryMeta>;

describe('L2 envelope', () => {
  it('round-trips metadata and payload, compressed or not', async () => {
    await fc.assert(
      fc.asyncProperty(
        meta,
        fc.uint8Array({ maxLength: 3_000 }),
        fc.constantFrom(
          undefined,
          { threshold: 0 },
          { threshold: 100, algorithm: 'brotli' as const },
        ),
        async (m, payload, compression) => {
          const decoded = await decodeEnvelope(await encodeEnvelope(m, payload, compression));
          expect([...decoded.payload]).toEqual([...payload]);
          expect(decoded.meta.kind).toBe(m.kind);
          expect(decoded.meta.createdAt).toBe(m.createdAt);
          expect(decoded.meta.expiresAt).toBe(m.expiresAt);
          expect(decoded.meta.staleUntil).toBe(m.staleUntil);
          expect(decoded.meta.tags).toEqual(m.tags);
          expect(decoded.meta.failure).toEqual(m.failure);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('rejects foreign or truncated bytes with E_DESERIALIZE', async () => {
    const good = await encodeEnvelope(
      { kind: Kind.Value, createdAt: 1, expiresAt: 2, staleUntil: 3, tags: undefined },
      toBytes('"x"'),
      undefined,
    );
    for (const bad of [
      new Uint8Array(0),
      toBytes('{"json":true}'),
      good.subarray(0, 9),
      Uint8Array.from([0xca, 9, 0, 0, 0, 0, 0]),
    ]) {
      const error = await decodeEnvelope(bad).catch((e: unknown) => e);
      expect(cacheErrors.is(error, 'E_DESERIALIZE')).toBe(true);
    }
  });
});

describe('jsonSerializer', () => {
  it('round-trips every JSON value exactly', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (v) => {
        const back = jsonSerializer.deserialize(toBytes(jsonSerializer.serialize(v)));
        // -0 becomes 0 in JSON, as everywhere.
        expect(back).toEqual(JSON.parse(JSON.stringify(v)));
      }),
      { numRuns: 300 },
    );
  });
});
