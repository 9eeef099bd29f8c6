import type { JsonSchemaDraft } from './drafts.js';

/**
 * The keywords the validator (ajv, in the mode Plinth runs each draft in) applies. Anything else
 * is an annotation or an unknown keyword, which validation ignores. Draft-04 and draft-06
 * schemas are validated in draft-07 mode, so they share its vocabulary.
 */
const COMMON = [
  'type',
  'enum',
  'const',
  'maximum',
  'minimum',
  'exclusiveMaximum',
  'exclusiveMinimum',
  'multipleOf',
  'maxLength',
  'minLength',
  'pattern',
  'format',
  'maxItems',
  'minItems',
  'uniqueItems',
  'maxProperties',
  'minProperties',
  'required',
  'properties',
  'patternProperties',
  'additionalProperties',
  'propertyNames',
  'dependencies',
  'items',
  'contains',
  'not',
  'anyOf',
  'oneOf',
  'allOf',
  'if',
  'then',
  'else',
  '$ref',
];
const LATER = [
  'dependentRequired',
  'dependentSchemas',
  'minContains',
  'maxContains',
  'unevaluatedProperties',
  'unevaluatedItems',
];
const ACTIVE: Record<JsonSchemaDraft, ReadonlySet<string>> = {
  'draft-04': new Set([...COMMON, 'additionalItems']),
  'draft-06': new Set([...COMMON, 'additionalItems']),
  'draft-07': new Set([...COMMON, 'additionalItems']),
  '2019-09': new Set([...COMMON, ...LATER, 'additionalItems', '$recursiveRef']),
  '2020-12': new Set([...COMMON, ...LATER, 'prefixItems', '$dynamicRef']),
};

/** Whether validation under `draft` applies `keyword`. */
export function isActive(draft: JsonSchemaDraft, keyword: string): boolean {
  return ACTIVE[draft].has(keyword);
}

/** ajv-formats formats that apply to numbers; every other format applies to strings. */
export const NUMBER_FORMATS: ReadonlySet<string> = new Set(['int32', 'int64', 'float', 'double']);

/** Tuple part and rest part of an array schema, as the draft reads them. */
export function arrayParts(
  s: Record<string, unknown>,
  draft: JsonSchemaDraft,
): {
  readonly tuple: readonly unknown[] | undefined;
  readonly tupleKey: string;
  readonly rest: unknown;
  readonly restKey: string;
} {
  if (draft === '2020-12') {
    return {
      tuple: Array.isArray(s.prefixItems) ? s.prefixItems : undefined,
      tupleKey: 'prefixItems',
      rest: Array.isArray(s.items) ? undefined : s.items,
      restKey: 'items',
    };
  }
  if (Array.isArray(s.items))
    return {
      tuple: s.items,
      tupleKey: 'items',
      rest: s.additionalItems,
      restKey: 'additionalItems',
    };
  return { tuple: undefined, tupleKey: 'items', rest: s.items, restKey: 'items' };
}

/** Whether two drafts apply the same keywords the same way (draft-04/06/07 run as draft-07). */
export function sameVocabulary(a: JsonSchemaDraft, b: JsonSchemaDraft): boolean {
  return (
    ACTIVE[a] === ACTIVE[b] ||
    (ACTIVE[a].size === ACTIVE[b].size &&
      a !== '2019-09' &&
      a !== '2020-12' &&
      b !== '2019-09' &&
      b !== '2020-12')
  );
}
