/**
 * Generators of values in Cedar's JSON value format (entity attributes, tags, request contexts),
 * one per {@link Ty}. Only forms both engines load are produced: Longs are safe integers (the
 * oracle reads JSON numbers as doubles), extension values are well-formed.
 */
import fc from 'fast-check';
import {
  ACTION_UIDS,
  ALL_TYPES,
  ATTRS,
  DATETIMES_VALID,
  DECIMALS_VALID,
  DURATIONS_VALID,
  ENTITY_UIDS,
  IPS_VALID,
  JSON_LONGS,
  RECORD_FIELDS,
  STRINGS,
  type Ty,
  type Uid,
} from './universe.js';

/** A Cedar JSON value (what both engines accept as attribute, tag and context data). */
export type JsonValue =
  boolean | number | string | readonly JsonValue[] | { readonly [key: string]: JsonValue };

export const uidJson = (u: Uid): JsonValue => ({ __entity: { type: u.type, id: u.id } });

const extn = (fn: string, pool: readonly string[]): fc.Arbitrary<JsonValue> =>
  fc.constantFrom(...pool).map((arg): JsonValue => ({ __extn: { fn, arg } }));

const anyUid: fc.Arbitrary<Uid> = fc.constantFrom(...ENTITY_UIDS, ...ACTION_UIDS);

/** A value of type `ty` (records nest at most `depth` levels). */
export function jsonValueOf(ty: Ty, depth = 1): fc.Arbitrary<JsonValue> {
  switch (ty) {
    case 'Bool':
      return fc.boolean();
    case 'Long':
      return fc.constantFrom(...JSON_LONGS);
    case 'String':
      return fc.constantFrom(...STRINGS);
    case 'Entity':
      return anyUid.map(uidJson);
    case 'SetLong':
      return fc.array(fc.constantFrom(...JSON_LONGS), { maxLength: 3 });
    case 'SetString':
      return fc.array(fc.constantFrom(...STRINGS), { maxLength: 3 });
    case 'SetEntity':
      return fc.array(anyUid.map(uidJson), { maxLength: 3 });
    case 'Record': {
      if (depth <= 0) return fc.constant({});
      const names = Object.keys(RECORD_FIELDS);
      return fc
        .subarray(names)
        .chain((keys) =>
          fc
            .tuple(...keys.map((k) => jsonValueOf(RECORD_FIELDS[k] ?? 'String', depth - 1)))
            .map((vals): JsonValue => Object.fromEntries(keys.map((k, i) => [k, vals[i] ?? 0]))),
        );
    }
    case 'decimal':
      return extn('decimal', DECIMALS_VALID);
    case 'ipaddr':
      return extn('ip', IPS_VALID);
    case 'datetime':
      return extn('datetime', DATETIMES_VALID);
    case 'duration':
      return extn('duration', DURATIONS_VALID);
  }
}

/** A value usually of type `ty`, and of some other type `wrongPct`% of the time. */
export function jsonValueNear(ty: Ty, wrongPct = 8): fc.Arbitrary<JsonValue> {
  return fc.oneof(
    { weight: 100 - wrongPct, arbitrary: jsonValueOf(ty) },
    { weight: wrongPct, arbitrary: fc.constantFrom(...ALL_TYPES).chain((t) => jsonValueOf(t)) },
  );
}

/**
 * A record over `table`'s names (each present with probability ~`presentPct`%), each value
 * usually of the type the table gives it.
 */
export function jsonRecordOver(
  table: Readonly<Record<string, Ty>>,
  presentPct = 60,
): fc.Arbitrary<{ readonly [key: string]: JsonValue }> {
  const names = Object.keys(table);
  return fc
    .tuple(
      ...names.map((n) =>
        fc.option(jsonValueNear(table[n] ?? 'String'), {
          freq: Math.max(2, Math.round(100 / (100 - presentPct))),
        }),
      ),
    )
    .map((vals) => {
      const out: Record<string, JsonValue> = {};
      names.forEach((n, i) => {
        const v = vals[i];
        if (v !== null && v !== undefined) out[n] = v;
      });
      return out;
    });
}

/** A request context: a record over the attribute names. */
export const contextArb = jsonRecordOver(ATTRS, 55);
