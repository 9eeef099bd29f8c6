/**
 * Cedar's runtime values, as the compiler and evaluator use them.
 *
 * - Bool → `boolean`; String → `string`.
 * - Long → `number` while the value is a safe integer, `bigint` outside ±(2^53 − 1) and inside
 *   the signed 64-bit range. The representation is canonical (a `bigint` is never a safe
 *   integer), so `===` is equality and `<`/`>` compare mixed pairs correctly.
 * - Entity → {@link EntityUID}; Set → {@link CedarSet}; Record → {@link CedarRecord};
 *   extension values (ip, decimal, datetime, duration) → {@link ExtensionValue} subclasses.
 */

/** A Cedar value at run time. */
export type Value =
  boolean | number | bigint | string | EntityUID | CedarSet | CedarRecord | ExtensionValue;

/** Smallest and largest Cedar Long. */
export const LONG_MIN = -(2n ** 63n);
export const LONG_MAX = 2n ** 63n - 1n;

/** An entity reference: a type path (`A::B`) and an id. */
export class EntityUID {
  /** Canonical text, `Type::"id"` with the id escaped as Cedar prints it; equal uids have equal keys. */
  readonly key: string;
  constructor(
    readonly type: string,
    readonly id: string,
  ) {
    this.key = `${type}::${JSON.stringify(id)}`;
  }
  equals(other: EntityUID): boolean {
    return this.type === other.type && this.id === other.id;
  }
  toString(): string {
    return this.key;
  }
}

/** A Cedar set: distinct values, no order. `items` holds each value once. */
export class CedarSet {
  /** Distinct items, in first-seen order. */
  readonly items: readonly Value[];
  private keyed: Set<string | number | boolean | bigint> | undefined;
  constructor(items: readonly Value[], alreadyDistinct = false) {
    this.items = alreadyDistinct ? items : distinct(items);
  }
  get size(): number {
    return this.items.length;
  }
  /** Membership by Cedar equality; primitive members are looked up in a lazily built hash set. */
  has(v: Value): boolean {
    if (this.items.length <= 8) {
      for (const x of this.items) if (valueEquals(x, v)) return true;
      return false;
    }
    this.keyed ??= new Set(this.items.map(hashKey));
    return this.keyed.has(hashKey(v));
  }
}

/** A Cedar record: attribute name → value. */
export class CedarRecord {
  constructor(readonly attrs: ReadonlyMap<string, Value>) {}
  get(name: string): Value | undefined {
    return this.attrs.get(name);
  }
  has(name: string): boolean {
    return this.attrs.has(name);
  }
}

/** Base of the extension values; each subclass is one Cedar extension type. */
export abstract class ExtensionValue {
  /** The Cedar extension type name: `ipaddr`, `decimal`, `datetime`, `duration`. */
  abstract readonly extensionType: string;
  /** The constructor function that rebuilds this value from {@link arg}: `ip`, `decimal`, … */
  abstract readonly constructorName: string;
  /** A canonical text of the value: equal values (by Cedar `==`) have equal keys. */
  abstract key(): string;
  /** The argument of {@link constructorName} that rebuilds this value (Cedar JSON `__extn.arg`). */
  abstract arg(): string;
  equals(other: ExtensionValue): boolean {
    return this.extensionType === other.extensionType && this.key() === other.key();
  }
}

/** Cedar's type name of a value, as error messages say it. */
export function typeName(v: Value): string {
  switch (typeof v) {
    case 'boolean':
      return 'Bool';
    case 'number':
    case 'bigint':
      return 'Long';
    case 'string':
      return 'String';
    default:
      if (v instanceof EntityUID) return `(entity of type \`${v.type}\`)`;
      if (v instanceof CedarSet) return 'Set';
      if (v instanceof CedarRecord) return 'Record';
      return v.extensionType;
  }
}

/** Normalises an exact integer to the canonical Long representation, or `undefined` on overflow. */
export function toLong(n: bigint): number | bigint | undefined {
  if (n < LONG_MIN || n > LONG_MAX) return undefined;
  const f = Number(n);
  return Number.isSafeInteger(f) ? f : n;
}

/** Cedar `==`: structural, never an error; values of different types are unequal. */
export function valueEquals(a: Value, b: Value): boolean {
  if (a === b) return true;
  if (typeof a !== 'object' || typeof b !== 'object') return false;
  if (a instanceof EntityUID) return b instanceof EntityUID && a.equals(b);
  if (a instanceof CedarSet) {
    if (!(b instanceof CedarSet) || a.size !== b.size) return false;
    for (const x of a.items) if (!b.has(x)) return false;
    return true;
  }
  if (a instanceof CedarRecord) {
    if (!(b instanceof CedarRecord) || a.attrs.size !== b.attrs.size) return false;
    for (const [k, x] of a.attrs) {
      const y = b.attrs.get(k);
      if (y === undefined || !valueEquals(x, y)) return false;
    }
    return true;
  }
  return b instanceof ExtensionValue && a.equals(b);
}

/**
 * A hashable key with Cedar equality: `hashKey(a) === hashKey(b)` ⇔ `valueEquals(a, b)`.
 * Primitives are their own key, except that strings are prefixed so they never collide with
 * the text keys of composite values.
 */
export function hashKey(v: Value): string | number | boolean | bigint {
  switch (typeof v) {
    case 'boolean':
    case 'number':
    case 'bigint':
      return v;
    case 'string':
      return 's' + v;
    default:
      return compositeKey(v);
  }
}

function compositeKey(v: Value): string {
  if (typeof v !== 'object') return typeof v === 'string' ? 's' + JSON.stringify(v) : String(v);
  if (v instanceof EntityUID) return 'e' + v.key;
  if (v instanceof CedarSet) {
    const keys = v.items.map((x) => keyText(x)).sort();
    return 'S[' + keys.join(',') + ']';
  }
  if (v instanceof CedarRecord) {
    const keys = [...v.attrs.keys()].sort();
    return (
      'R{' + keys.map((k) => JSON.stringify(k) + ':' + keyText(v.attrs.get(k)!)).join(',') + '}'
    );
  }
  return 'x' + v.extensionType + '(' + v.key() + ')';
}

/** Key text for nesting inside a composite key (type-tagged so 1, "1" and true differ). */
function keyText(v: Value): string {
  switch (typeof v) {
    case 'boolean':
      return v ? 'T' : 'F';
    case 'number':
    case 'bigint':
      return 'n' + String(v);
    case 'string':
      return 's' + JSON.stringify(v);
    default:
      return compositeKey(v);
  }
}

function distinct(items: readonly Value[]): Value[] {
  if (items.length <= 1) return items.slice();
  const seen = new Set<string | number | boolean | bigint>();
  const out: Value[] = [];
  for (const x of items) {
    const k = hashKey(x);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(x);
    }
  }
  return out;
}
