/** The JSON Schema rules of the catalogue (registered on import). */
import { def, type Spec } from './rule-spec.js';

export function defineJsonSchemaRules(): void {
  const js = (
    id: string,
    d: string,
    before: unknown,
    after: unknown,
    extra: Partial<Spec['example']> = {},
  ) => def('json-schema', id, d, { before, after, ...extra });
  for (const [kw, id] of [
    ['title', 'TITLE'],
    ['description', 'DESCRIPTION'],
    ['$comment', 'COMMENT'],
    ['examples', 'EXAMPLES'],
    ['default', 'DEFAULT'],
    ['deprecated', 'DEPRECATED'],
    ['readOnly', 'READ_ONLY'],
    ['writeOnly', 'WRITE_ONLY'],
    ['$anchor', 'ANCHOR'],
  ] as const) {
    const value =
      kw === 'examples'
        ? ['a']
        : kw === 'deprecated' || kw === 'readOnly' || kw === 'writeOnly'
          ? true
          : 'x';
    js(
      `JSON_${id}_CHANGED`,
      `Annotation "${kw}" changed (cosmetic).`,
      { type: 'string' },
      { type: 'string', [kw]: value },
    );
  }
  js(
    'JSON_TYPE_NARROWED',
    'The new schema accepts fewer JSON types (breaks BACKWARD).',
    { type: ['string', 'null'] },
    { type: 'string' },
  );
  js(
    'JSON_TYPE_WIDENED',
    'The new schema accepts more JSON types (breaks FORWARD).',
    { type: 'integer' },
    { type: 'number' },
  );
  js(
    'JSON_TYPE_CHANGED',
    'The accepted types changed both ways (breaks both).',
    { type: 'string' },
    { type: 'number' },
  );
  js(
    'JSON_ENUM_ADDED',
    'An enum constraint was added (narrows).',
    { type: 'string' },
    { type: 'string', enum: ['a'] },
  );
  js('JSON_ENUM_REMOVED', 'The enum constraint was removed (widens).', { enum: ['a'] }, {});
  js(
    'JSON_ENUM_NARROWED',
    'Enum values were removed (narrows).',
    { enum: ['a', 'b'] },
    { enum: ['a'] },
  );
  js(
    'JSON_ENUM_EXTENDED',
    'Enum values were added (widens).',
    { enum: ['a'] },
    { enum: ['a', 'b'] },
  );
  js('JSON_CONST_ADDED', 'A const was added (narrows).', {}, { const: 1 });
  js('JSON_CONST_REMOVED', 'The const was removed (widens).', { const: 1 }, {});
  js('JSON_CONST_CHANGED', 'The const changed (breaks both).', { const: 1 }, { const: 2 });
  for (const [kw, id, kind] of [
    ['maximum', 'MAXIMUM', 'max'],
    ['exclusiveMaximum', 'EXCLUSIVE_MAXIMUM', 'max'],
    ['minimum', 'MINIMUM', 'min'],
    ['exclusiveMinimum', 'EXCLUSIVE_MINIMUM', 'min'],
    ['maxLength', 'MAX_LENGTH', 'max'],
    ['minLength', 'MIN_LENGTH', 'min'],
    ['maxItems', 'MAX_ITEMS', 'max'],
    ['minItems', 'MIN_ITEMS', 'min'],
    ['maxProperties', 'MAX_PROPERTIES', 'max'],
    ['minProperties', 'MIN_PROPERTIES', 'min'],
  ] as const) {
    const tight = kind === 'max' ? 'narrows' : 'widens';
    const loose = kind === 'max' ? 'widens' : 'narrows';
    js(`JSON_${id}_ADDED`, `"${kw}" was added (narrows).`, {}, { [kw]: 5 });
    js(`JSON_${id}_REMOVED`, `"${kw}" was removed (widens).`, { [kw]: 5 }, {});
    js(`JSON_${id}_DECREASED`, `"${kw}" decreased (${tight}).`, { [kw]: 5 }, { [kw]: 3 });
    js(`JSON_${id}_INCREASED`, `"${kw}" increased (${loose}).`, { [kw]: 3 }, { [kw]: 5 });
  }
  for (const kw of ['pattern', 'format'] as const) {
    const id = kw.toUpperCase();
    const [a, b] = kw === 'pattern' ? ['^a', '^b'] : ['email', 'uri'];
    js(
      `JSON_${id}_ADDED`,
      `"${kw}" was added (narrows).`,
      { type: 'string' },
      { type: 'string', [kw]: a },
    );
    js(
      `JSON_${id}_REMOVED`,
      `"${kw}" was removed (widens).`,
      { type: 'string', [kw]: a },
      { type: 'string' },
    );
    js(
      `JSON_${id}_CHANGED`,
      `"${kw}" changed (breaks both).`,
      { type: 'string', [kw]: a },
      { type: 'string', [kw]: b },
    );
  }
  js('JSON_MULTIPLE_OF_ADDED', '"multipleOf" was added (narrows).', {}, { multipleOf: 2 });
  js('JSON_MULTIPLE_OF_REMOVED', '"multipleOf" was removed (widens).', { multipleOf: 2 }, {});
  js(
    'JSON_MULTIPLE_OF_CHANGED',
    '"multipleOf" changed: narrows to a multiple, widens to a divisor (integers, within bounds where the division is exact), else both.',
    { multipleOf: 2 },
    { multipleOf: 3 },
  );
  js(
    'JSON_UNIQUE_ITEMS_ADDED',
    '"uniqueItems" was switched on (narrows).',
    { type: 'array' },
    { type: 'array', uniqueItems: true },
  );
  js(
    'JSON_UNIQUE_ITEMS_REMOVED',
    '"uniqueItems" was switched off (widens).',
    { type: 'array', uniqueItems: true },
    { type: 'array' },
  );
  js(
    'JSON_NOT_CHANGED',
    'The "not" subschema changed (breaks both).',
    { not: { type: 'string' } },
    { not: { type: 'number' } },
  );
  js(
    'JSON_NOT_ADDED',
    'A "not" subschema was added (narrows).',
    { type: 'string' },
    { type: 'string', not: { const: 'x' } },
  );
  js(
    'JSON_NOT_REMOVED',
    'The "not" subschema was removed (widens).',
    { type: 'string', not: { const: 'x' } },
    { type: 'string' },
  );
  js(
    'JSON_REF_ADDED',
    'A $ref was added next to other keywords: narrows unless the referenced schema provably accepts every old document.',
    { minLength: 1 },
    { $defs: { s: { type: 'string' } }, $ref: '#/$defs/s', minLength: 1 },
  );
  js(
    'JSON_REF_REMOVED',
    'A $ref next to other keywords was removed: widens unless the referenced schema provably accepts every new document.',
    { $defs: { s: { type: 'string' } }, $ref: '#/$defs/s', minLength: 1 },
    { minLength: 1 },
  );
  js(
    'JSON_SUBSCHEMA_RESTRUCTURED',
    'A subschema was rewritten (combinators, references, redundant keywords) and subsumption proves the keyword-level changes harmless in at least one direction; they are replaced by this change.',
    { type: 'string' },
    { allOf: [{ type: 'string' }] },
  );
  js(
    'JSON_ANNOTATION_CHANGED',
    "A keyword that validation ignores under the schema's draft (unknown keywords, content annotations) changed (cosmetic).",
    { type: 'string' },
    { type: 'string', contentMediaType: 'text/plain' },
  );
  js(
    'JSON_DEPENDENCY_ADDED',
    'A property now requires others when present (dependencies / dependentRequired) (narrows).',
    { type: 'object' },
    { type: 'object', dependencies: { card: ['billing'] } },
  );
  js(
    'JSON_DEPENDENCY_REMOVED',
    'A property no longer requires others when present (widens).',
    { type: 'object', dependencies: { card: ['billing'] } },
    { type: 'object' },
  );
  js(
    'JSON_KEYWORD_CHANGED',
    'Another validation keyword changed (an if/then/else condition, unevaluated*, a dependency that switched form, …): breaks both unless subsumption proves otherwise. (With the same "if", then/else, and propertyNames and schema dependencies, are compared as subschemas.)',
    { if: { type: 'string' }, then: { minLength: 1 } },
    { if: { type: 'string', maxLength: 3 }, then: { minLength: 1 } },
  );
  js(
    'JSON_REQUIRED_ADDED',
    'A property became required (narrows).',
    { type: 'object', properties: { a: {} } },
    { type: 'object', properties: { a: {} }, required: ['a'] },
  );
  js(
    'JSON_REQUIRED_REMOVED',
    'A property is no longer required (widens).',
    { type: 'object', properties: { a: {} }, required: ['a'] },
    { type: 'object', properties: { a: {} } },
  );
  js(
    'JSON_PROPERTY_ADDED_TO_OPEN_MODEL',
    'A property was added to an open content model: compatible under the lenient policy, narrows under strict.',
    { type: 'object' },
    { type: 'object', properties: { a: { type: 'string' } } },
    { jsonSchemaPolicy: 'strict' },
  );
  js(
    'JSON_PROPERTY_ADDED_TO_CLOSED_MODEL',
    'A property was added to a closed model (additionalProperties: false) (widens).',
    { type: 'object', additionalProperties: false },
    { type: 'object', additionalProperties: false, properties: { a: {} } },
  );
  js(
    'JSON_PROPERTY_REMOVED_FROM_OPEN_MODEL',
    'A property was removed from an open model: compatible under lenient, widens under strict.',
    { type: 'object', properties: { a: { type: 'string' } } },
    { type: 'object' },
    { jsonSchemaPolicy: 'strict' },
  );
  js(
    'JSON_PROPERTY_REMOVED_FROM_CLOSED_MODEL',
    'A property was removed from a closed model (narrows).',
    { type: 'object', additionalProperties: false, properties: { a: {} } },
    { type: 'object', additionalProperties: false },
  );
  js(
    'JSON_ADDITIONAL_PROPERTIES_NARROWED',
    'additionalProperties was closed or narrowed (narrows).',
    { type: 'object' },
    { type: 'object', additionalProperties: false },
  );
  js(
    'JSON_ADDITIONAL_PROPERTIES_EXTENDED',
    'additionalProperties was opened (widens).',
    { type: 'object', additionalProperties: false },
    { type: 'object' },
  );
  js(
    'JSON_PATTERN_PROPERTIES_CHANGED',
    'A patternProperties entry was added or removed (breaks both).',
    { type: 'object' },
    { type: 'object', patternProperties: { '^x-': { type: 'string' } } },
  );
  js(
    'JSON_CONTAINS_ADDED',
    '"contains" was added (narrows).',
    { type: 'array' },
    { type: 'array', contains: { type: 'string' } },
  );
  js(
    'JSON_CONTAINS_REMOVED',
    '"contains" was removed (widens).',
    { type: 'array', contains: { type: 'string' } },
    { type: 'array' },
  );
  js(
    'JSON_CONTAINS_CHANGED',
    '"contains" changed where maxContains (or a different minContains) makes it non-monotone (breaks both); otherwise the two "contains" subschemas are compared.',
    {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      contains: { type: 'string' },
      maxContains: 2,
    },
    {
      $schema: 'https://json-schema.org/draft/2020-12/schema',
      type: 'array',
      contains: { type: 'number' },
      maxContains: 2,
    },
  );
  js(
    'JSON_ONE_OF_OVERLAP',
    'oneOf branches may now overlap (a document matching two branches is rejected): narrows, widens or both, unless disjointness is proven.',
    { oneOf: [{ type: 'integer' }, { type: 'number', minimum: 0.5 }] },
    { oneOf: [{ type: 'number' }, { type: 'number', minimum: 0.5 }] },
  );
  for (const [kw, id] of [
    ['anyOf', 'ANY_OF'],
    ['oneOf', 'ONE_OF'],
    ['allOf', 'ALL_OF'],
  ] as const) {
    const more = kw === 'allOf' ? 'narrows' : 'widens';
    const less = kw === 'allOf' ? 'widens' : 'narrows';
    js(`JSON_${id}_ADDED`, `"${kw}" was added (narrows).`, {}, { [kw]: [{ type: 'string' }] });
    js(`JSON_${id}_REMOVED`, `"${kw}" was removed (widens).`, { [kw]: [{ type: 'string' }] }, {});
    js(
      `JSON_${id}_BRANCH_ADDED`,
      `A "${kw}" branch was added (${more}).`,
      { [kw]: [{ type: 'string' }] },
      { [kw]: [{ type: 'string' }, { type: 'null' }] },
    );
    js(
      `JSON_${id}_BRANCH_REMOVED`,
      `A "${kw}" branch was removed (${less}).`,
      { [kw]: [{ type: 'string' }, { type: 'null' }] },
      { [kw]: [{ type: 'string' }] },
    );
  }
}
