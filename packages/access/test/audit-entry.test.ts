import { createHash } from 'node:crypto';
import { canonicalJson } from '@plinth/core';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  DEFAULT_RECORD_LIMITS,
  ZERO_HASH,
  auditLeafHash,
  chainHash,
  checkRecord,
  seal,
} from '../src/internal/audit-entry.js';

const text = fc
  .string({ unit: 'binary', minLength: 1, maxLength: 20 })
  .filter((s) => s.isWellFormed());
const json = fc.jsonValue({ maxDepth: 4 }).map((v) => JSON.parse(JSON.stringify(v)) as unknown);
const recordArb = fc.record(
  {
    type: fc.constantFrom('login.failed', 'apikey.rotated', 'host.custom_event.x1'),
    actor: text,
    subject: text,
    outcome: fc.constantFrom('success', 'failure', 'deny'),
    source: text,
    data: fc.dictionary(
      fc.string({ unit: 'binary', maxLength: 8 }).filter((s) => s.isWellFormed()),
      json,
      {
        maxKeys: 5,
      },
    ),
  },
  { requiredKeys: ['type'] },
);

describe('sealing audit entries', () => {
  it('the assembled canonical text equals canonicalJson of the entry and the hashes are as documented (property)', () => {
    fc.assert(
      fc.property(
        recordArb,
        fc.nat({ max: 2 ** 40 }),
        fc.integer({ min: 0, max: 2 ** 45 }),
        fc.constantFrom(ZERO_HASH, 'ab'.repeat(32)),
        (record, seq, at, prev) => {
          const checked = checkRecord(record, DEFAULT_RECORD_LIMITS);
          const s = seal(checked, seq, at, prev);
          expect(s.line).toBe(canonicalJson(s.entry));
          const { hash, ...rest } = s.entry;
          expect(hash).toBe(
            createHash('sha256')
              .update(prev + canonicalJson(rest))
              .digest('hex'),
          );
          expect(chainHash(s.entry)).toBe(hash);
          expect(s.leaf).toBe(
            createHash('sha256')
              .update(Buffer.from([0]))
              .update(s.line, 'utf8')
              .digest('hex'),
          );
          expect(auditLeafHash(s.entry)).toBe(s.leaf);
          expect(checked.bytes).toBe(Buffer.byteLength(canonicalJson(checked.record)));
        },
      ),
      { numRuns: 500 },
    );
  });
});
