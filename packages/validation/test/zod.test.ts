import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { isPlinthError } from '@plinth/core';
import { Validation } from '../src/index.js';

const User = z.object({ name: z.string().min(1), age: z.number().int().nonnegative().optional() });

describe('zod format', () => {
  const v = new Validation();

  it('validates with safeParse and maps issues to JSON pointers', () => {
    const val = v.compile<z.infer<typeof User>>({ format: 'zod', schema: User });
    expect(val.validate({ name: 'Ada' }).valid).toBe(true);
    const out = val.validate({ name: '', age: -1 });
    expect(out.issues.map((i) => [i.path, i.rule])).toEqual([
      ['/name', 'zod:too_small'],
      ['/age', 'zod:too_small'],
    ]);
  });

  it('converts to JSON Schema, which compiles and agrees with zod', () => {
    const json = v.toJsonSchema({ format: 'zod', schema: User });
    const val = v.compile({ format: 'json-schema', schema: json });
    expect(val.is({ name: 'x', age: 3 })).toBe(true);
    expect(val.is({ name: '' })).toBe(false);
  });

  it('checks compatibility through the JSON Schema projection', () => {
    const V2 = User.extend({ email: z.string() });
    const r = v.checkCompatibility({ format: 'zod', schema: V2 }, [
      { format: 'zod', schema: User },
    ]);
    expect(r.compatible).toBe(false);
    expect(r.violations.map((x) => x.rule)).toContain('JSON_REQUIRED_ADDED');
    const V3 = User.extend({ email: z.string().optional() });
    expect(
      v.checkCompatibility({ format: 'zod', schema: V3 }, [{ format: 'zod', schema: User }]).bump,
    ).toBe('minor');
    expect(v.fingerprint({ format: 'zod', schema: User })).toBe(
      v.fingerprint({
        format: 'zod',
        schema: z.object({
          name: z.string().min(1),
          age: z.number().int().nonnegative().optional(),
        }),
      }),
    );
  });

  it('infers the validator type from the zod schema', () => {
    const val = v.compile({ format: 'zod', schema: User });
    const value: unknown = { name: 'Ada' };
    if (val.is(value)) {
      const name: string = value.name; // typed as z.output<typeof User>
      expect(name).toBe('Ada');
    } else expect.unreachable();
  });

  it('rejects what is not a zod schema with E_INVALID_SCHEMA', () => {
    try {
      v.compile({ format: 'zod', schema: { type: 'string' } });
      expect.unreachable();
    } catch (e) {
      expect(isPlinthError(e, 'E_INVALID_SCHEMA')).toBe(true);
    }
  });

  it('samples data for the empirical check', () => {
    const r = v.empiricalCheck(
      { format: 'zod', schema: User },
      { format: 'zod', schema: User.extend({ name: z.string().max(2) }) },
      { samples: 40 },
    );
    expect(r.compatible).toBe(false);
  });
});
