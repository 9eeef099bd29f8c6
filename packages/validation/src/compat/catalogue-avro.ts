/** The Avro rules of the catalogue (registered on import). */
import { def } from './rule-spec.js';

export function defineAvroRules(): void {
  const rec = (fields: unknown[], extra: Record<string, unknown> = {}) => ({
    type: 'record',
    name: 'R',
    fields,
    ...extra,
  });
  const av = (
    id: string,
    d: string,
    before: unknown,
    after: unknown,
    check?: 'backward' | 'forward',
  ) => def('avro', id, d, check === undefined ? { before, after } : { before, after, check });
  av(
    'AVRO_FIELD_ADDED_WITH_DEFAULT',
    'A field with a default was added (compatible both ways).',
    rec([{ name: 'a', type: 'int' }]),
    rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int', default: 0 },
    ]),
  );
  av(
    'AVRO_FIELD_ADDED_WITHOUT_DEFAULT',
    'A field without a default was added: new readers cannot read old data (breaks BACKWARD).',
    rec([{ name: 'a', type: 'int' }]),
    rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ]),
  );
  av(
    'AVRO_FIELD_REMOVED_WITH_DEFAULT',
    'A field that had a default was removed (old readers use the default).',
    rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int', default: 0 },
    ]),
    rec([{ name: 'a', type: 'int' }]),
  );
  av(
    'AVRO_FIELD_REMOVED_WITHOUT_DEFAULT',
    'A field without a default was removed: old readers fail on new data (breaks FORWARD).',
    rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ]),
    rec([{ name: 'a', type: 'int' }]),
  );
  av(
    'AVRO_FIELD_RENAMED',
    'A field was renamed; an alias of the old name keeps BACKWARD.',
    rec([{ name: 'a', type: 'int' }]),
    rec([{ name: 'b', aliases: ['a'], type: 'int' }]),
  );
  av(
    'AVRO_FIELD_MOVED',
    'A field changed position (cosmetic: fields resolve by name).',
    rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ]),
    rec([
      { name: 'b', type: 'int' },
      { name: 'a', type: 'int' },
    ]),
  );
  av(
    'AVRO_FIELD_DEFAULT_CHANGED',
    'A field default was added, removed or changed.',
    rec([{ name: 'a', type: 'int' }]),
    rec([{ name: 'a', type: 'int', default: 1 }]),
  );
  av(
    'AVRO_FIELD_ORDER_CHANGED',
    'A field sort order changed (cosmetic for resolution).',
    rec([{ name: 'a', type: 'int' }]),
    rec([{ name: 'a', type: 'int', order: 'descending' }]),
  );
  av(
    'AVRO_DOC_CHANGED',
    'Documentation changed (cosmetic; not in the canonical form).',
    rec([{ name: 'a', type: 'int' }]),
    rec([{ name: 'a', type: 'int' }], { doc: 'x' }),
  );
  av(
    'AVRO_ALIASES_CHANGED',
    'Aliases changed (cosmetic).',
    rec([{ name: 'a', type: 'int' }]),
    rec([{ name: 'a', type: 'int' }], { aliases: ['Old'] }),
  );
  av(
    'AVRO_PROPERTY_CHANGED',
    'A custom attribute changed (cosmetic).',
    rec([{ name: 'a', type: 'int' }]),
    rec([{ name: 'a', type: 'int' }], { owner: 'x' }),
  );
  av(
    'AVRO_NAME_CHANGED',
    'A named type was renamed; an alias of the old name keeps BACKWARD.',
    rec([]),
    { type: 'record', name: 'S', fields: [] },
  );
  av(
    'AVRO_TYPE_PROMOTED',
    'The type was promoted (int→long/float/double, long→float/double, float→double, string↔bytes): breaks FORWARD only.',
    'int',
    'long',
  );
  av(
    'AVRO_TYPE_DEMOTED',
    'The type was narrowed (e.g. long→int): breaks BACKWARD only.',
    'long',
    'int',
  );
  av(
    'AVRO_TYPE_CHANGED',
    'The type changed to one that neither reads the other (breaks both).',
    'int',
    'string',
  );
  av(
    'AVRO_LOGICAL_TYPE_CHANGED',
    'The logical type changed: the encoding still resolves, the meaning does not (breaking).',
    'long',
    { type: 'long', logicalType: 'timestamp-millis' },
  );
  av(
    'AVRO_TYPE_TO_UNION',
    'A type became a union (BACKWARD if the union has a matching branch).',
    'int',
    ['null', 'int'],
  );
  av(
    'AVRO_UNION_TO_TYPE',
    'A union became a single type (BACKWARD breaks unless every branch resolves).',
    ['null', 'int'],
    'int',
  );
  av(
    'AVRO_UNION_BRANCH_ADDED',
    'A union branch was added (breaks FORWARD unless old readers can read it).',
    ['null', 'int'],
    ['null', 'int', 'string'],
  );
  av(
    'AVRO_UNION_BRANCH_REMOVED',
    'A union branch was removed (breaks BACKWARD unless another branch reads it).',
    ['null', 'int', 'string'],
    ['null', 'int'],
  );
  av(
    'AVRO_UNION_BRANCHES_REORDERED',
    'Union branches were reordered (the first branch decides defaults).',
    ['null', 'int'],
    ['int', 'null'],
  );
  av(
    'AVRO_FIXED_SIZE_CHANGED',
    'A fixed changed size (breaks both).',
    { type: 'fixed', name: 'F', size: 4 },
    { type: 'fixed', name: 'F', size: 8 },
  );
  av(
    'AVRO_ENUM_SYMBOL_ADDED',
    'An enum symbol was added (breaks FORWARD unless the old enum has a default).',
    { type: 'enum', name: 'E', symbols: ['A'] },
    { type: 'enum', name: 'E', symbols: ['A', 'B'] },
  );
  av(
    'AVRO_ENUM_SYMBOL_REMOVED',
    'An enum symbol was removed (breaks BACKWARD unless the new enum has a default).',
    { type: 'enum', name: 'E', symbols: ['A', 'B'] },
    { type: 'enum', name: 'E', symbols: ['A'] },
  );
  av(
    'AVRO_ENUM_SYMBOLS_REORDERED',
    'Enum symbols were reordered (cosmetic: symbols resolve by name).',
    { type: 'enum', name: 'E', symbols: ['A', 'B'] },
    { type: 'enum', name: 'E', symbols: ['B', 'A'] },
  );
  av(
    'AVRO_ENUM_DEFAULT_CHANGED',
    'The enum default was added, removed or changed.',
    { type: 'enum', name: 'E', symbols: ['A', 'B'] },
    { type: 'enum', name: 'E', symbols: ['A', 'B'], default: 'A' },
  );
  av(
    'AVRO_READER_FIELD_MISSING_DEFAULT',
    'Resolution: a reader field is absent from the writer and has no default.',
    rec([{ name: 'a', type: 'int' }]),
    rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ]),
    'backward',
  );
  av(
    'AVRO_TYPE_MISMATCH',
    'Resolution: the reader type cannot read the writer type (no promotion applies).',
    'int',
    'string',
    'backward',
  );
  av(
    'AVRO_NAME_MISMATCH',
    "Resolution: named types differ in (unqualified) name and no reader alias is the writer's full name.",
    rec([]),
    { type: 'record', name: 'S', fields: [] },
    'backward',
  );
  av(
    'AVRO_FIXED_SIZE_MISMATCH',
    'Resolution: fixed types of different sizes.',
    { type: 'fixed', name: 'F', size: 4 },
    { type: 'fixed', name: 'F', size: 8 },
    'backward',
  );
  av(
    'AVRO_MISSING_ENUM_SYMBOLS',
    'Resolution: the writer has symbols the reader lacks and the reader enum has no default.',
    { type: 'enum', name: 'E', symbols: ['A', 'B'] },
    { type: 'enum', name: 'E', symbols: ['A'] },
    'backward',
  );
  av(
    'AVRO_FIELD_ALIAS_AMBIGUOUS',
    'Resolution: a reader field matches several writer fields through its name and aliases.',
    rec([
      { name: 'a', type: 'int' },
      { name: 'b', type: 'int' },
    ]),
    rec([{ name: 'a', aliases: ['b'], type: 'int' }]),
    'backward',
  );
  av(
    'AVRO_MISSING_UNION_BRANCH',
    'Resolution: no reader union branch can read a writer type.',
    'string',
    ['null', 'int'],
    'backward',
  );
}
