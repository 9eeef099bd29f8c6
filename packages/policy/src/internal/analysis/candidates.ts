/**
 * Candidate values for the request universe: for each attribute, tag or context field, the
 * neutral value first (0, "", false, the fresh entity of the type, an empty set, a record of
 * neutral fields), then the literals the policies compare it with, the neighbours of their
 * comparison bounds, and absence when the field is optional. Without a schema the type of a
 * field is inferred from what the policies do with it.
 */
import { extensionFromJson } from '../extensions/index.js';
import {
  isActionTypeName,
  type RecordAttrs,
  type SchemaModel,
  type SchemaType,
} from '../schema/model.js';
import {
  CedarRecord,
  CedarSet,
  EntityUID,
  ExtensionValue,
  valueEquals,
  type Value,
} from '../values.js';
import { valueText } from './expr-facts.js';
import { PathFacts, type PolicyFacts } from './facts.js';

/** Marks an optional field left out. */
export const ABSENT = Symbol('absent');
export type Choice = Value | typeof ABSENT;

const EXTENSION_NEUTRAL: Readonly<Record<string, readonly [string, string]>> = {
  ipaddr: ['ip', '0.0.0.0'],
  decimal: ['decimal', '0.0'],
  datetime: ['datetime', '1970-01-01'],
  duration: ['duration', '0ms'],
};

function byText(a: Value, b: Value): number {
  const x = valueText(a);
  const y = valueText(b);
  return x < y ? -1 : x > y ? 1 : 0;
}

function sortedUids(m: Iterable<EntityUID>): EntityUID[] {
  return [...m].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
}

/** Distinct values, first one kept in front, the rest in canonical order. */
function distinct(first: readonly Value[], rest: readonly Value[]): Value[] {
  const seen = new Set<string>();
  const out: Value[] = [];
  for (const v of [...first, ...[...rest].sort(byText)]) {
    const k = valueText(v);
    if (!seen.has(k)) {
      seen.add(k);
      out.push(v);
    }
  }
  return out;
}

export class Candidates {
  readonly #model: SchemaModel | undefined;
  readonly #facts: PolicyFacts;
  readonly #fresh = new Map<string, EntityUID>();
  readonly #byType = new Map<string, EntityUID[]>();
  readonly #synth = new WeakMap<PathFacts, Map<string, EntityUID[]>>();
  readonly #synthEntities: { readonly uid: EntityUID; readonly attrs: CedarRecord }[] = [];
  #synthCount = 0;

  constructor(facts: PolicyFacts, model: SchemaModel | undefined) {
    this.#facts = facts;
    this.#model = model;
    for (const u of sortedUids(facts.entities.values())) {
      if (isActionTypeName(u.type) || model?.actionTypes.has(u.type)) continue;
      let list = this.#byType.get(u.type);
      if (list === undefined) this.#byType.set(u.type, (list = []));
      list.push(u);
    }
  }

  /** The entity types the policies' literals name (actions aside), sorted. */
  literalTypes(): string[] {
    return [...this.#byType.keys()].sort();
  }

  /** The fresh entity of a type: an id no policy names. */
  freshEntity(type: string): EntityUID {
    let u = this.#fresh.get(type);
    if (u === undefined) {
      let id = 'other';
      while (
        this.#facts.entities.has(new EntityUID(type, id).key) ||
        this.#facts.actions.has(new EntityUID(type, id).key)
      )
        id += "'";
      u = new EntityUID(type, id);
      this.#fresh.set(type, u);
    }
    return u;
  }

  /** A second fresh entity, for the resource when it has the principal's type. */
  freshResource(type: string): EntityUID {
    const base = this.freshEntity(type);
    let id = base.id + '-resource';
    while (this.#facts.entities.has(new EntityUID(type, id).key)) id += "'";
    return new EntityUID(type, id);
  }

  /** The entity literals of a type, sorted. */
  literalsOf(type: string): readonly EntityUID[] {
    return this.#byType.get(type) ?? [];
  }

  /** Neutral values of the required attributes of an entity type (schema only). */
  requiredAttrs(type: string): Map<string, Value> {
    const out = new Map<string, Value>();
    const shape = this.#model?.entityTypes.get(type)?.shape;
    if (shape === undefined) return out;
    for (const [name, a] of shape) {
      if (a.required) out.set(name, this.neutral(a.type, 0));
    }
    return out;
  }

  // -------------------------------------------------------------------------------------------
  // Candidate values

  neutral(t: SchemaType, depth: number): Value {
    const c = this.candidates(t, undefined, false, depth);
    return c[0] as Value;
  }

  #freshString(f: PathFacts | undefined, n: number): string[] {
    const out: string[] = [];
    let s = '';
    while (out.length < n) {
      if (f === undefined || !f.values.has(valueText(s))) out.push(s);
      s = s === '' ? 'x' : s + 'x';
    }
    return out;
  }

  #extension(name: string): Value | undefined {
    const n = EXTENSION_NEUTRAL[name];
    if (n === undefined) return undefined;
    try {
      return extensionFromJson(n[0], n[1]);
    } catch {
      return undefined;
    }
  }

  /** Candidate values of a path of type `t` (unknown without a schema), neutral first. */
  candidates(
    t: SchemaType | undefined,
    f: PathFacts | undefined,
    optional: boolean,
    depth: number,
  ): Choice[] {
    const values = f === undefined ? [] : [...f.values.values()];
    let out: Value[];
    if (t === undefined) out = this.#inferred(f, depth);
    else {
      switch (t.kind) {
        case 'Bool':
          out = [false, true];
          break;
        case 'Long': {
          const longs = values.filter((v) => typeof v === 'number' || typeof v === 'bigint');
          for (const n of f?.longs ?? [])
            if (n >= -(2n ** 63n) && n < 2n ** 63n)
              longs.push(Number.isSafeInteger(Number(n)) ? Number(n) : n);
          // 0 is the neutral value; 1 when 0 is the only literal, so the comparison can be false.
          const extra = longs.length > 0 && longs.every((v) => valueEquals(v, 0)) ? [1] : [];
          out = distinct([0], [...longs, ...extra]);
          break;
        }
        case 'String':
          out = distinct(
            this.#freshString(f, f?.peer === true ? 2 : 1),
            values.filter((v) => typeof v === 'string'),
          );
          break;
        case 'Entity': {
          const name = t.name;
          const ents = values.filter(
            (v): v is EntityUID => v instanceof EntityUID && v.type === name,
          );
          out = distinct(
            [this.freshEntity(name)],
            [...this.literalsOf(name), ...ents, ...this.#synthesized(name, f, depth)],
          );
          break;
        }
        case 'Set':
          out = this.#sets(t.element, f, depth);
          break;
        case 'Record':
          out = this.#records(t.attrs, f, depth);
          break;
        case 'Extension': {
          const n = this.#extension(t.name);
          const ext = values.filter(
            (v) => v instanceof ExtensionValue && v.extensionType === t.name,
          );
          out = distinct(n === undefined ? [] : [n], ext);
          break;
        }
      }
    }
    if (out.length === 0) out = [false];
    return optional ? [...out, ABSENT] : out;
  }

  #sets(element: SchemaType | undefined, f: PathFacts | undefined, depth: number): Value[] {
    const ef = new PathFacts();
    for (const v of f?.elements.values() ?? []) ef.addValue(v);
    const elems =
      depth > 2 ? [] : (this.candidates(element, ef, false, depth + 1) as Value[]).slice(0, 6);
    const out: Value[] = [new CedarSet([])];
    for (const x of elems) out.push(new CedarSet([x]));
    if (elems.length > 1) out.push(new CedarSet(elems));
    return out;
  }

  #records(attrs: RecordAttrs | undefined, f: PathFacts | undefined, depth: number): Value[] {
    const fields: [string, Choice[]][] = [];
    const names = new Set<string>([...(attrs?.keys() ?? []), ...(f?.attrs.keys() ?? [])]);
    for (const name of [...names].sort()) {
      const a = attrs?.get(name);
      const sub = f?.attrs.get(name);
      if (a !== undefined && !a.required && sub === undefined) continue;
      if (a === undefined && attrs !== undefined && sub === undefined) continue;
      const c =
        depth > 2
          ? this.candidates(a?.type, sub, false, depth + 1).slice(0, 1)
          : this.candidates(a?.type, sub, a === undefined || !a.required, depth + 1);
      fields.push([name, c]);
    }
    const base = new Map<string, Value>();
    for (const [name, c] of fields) if (c[0] !== ABSENT) base.set(name, c[0] as Value);
    const out: Value[] = [new CedarRecord(base)];
    for (const [name, c] of fields) {
      for (const x of c.slice(1)) {
        if (out.length >= 12) break;
        const m = new Map(base);
        if (x === ABSENT) m.delete(name);
        else m.set(name, x);
        out.push(new CedarRecord(m));
      }
    }
    return out;
  }

  /** Candidates from what the policies do with a path whose type is unknown. */
  /**
   * Entities made for an entity-valued path whose own attributes the policies read
   * (`resource.owner.dept`): one per variant of those attributes, each stored in the baseline.
   */
  #synthesized(type: string, f: PathFacts | undefined, depth: number): EntityUID[] {
    if (f === undefined || f.attrs.size === 0 || depth > 1) return [];
    let byType = this.#synth.get(f);
    if (byType === undefined) this.#synth.set(f, (byType = new Map()));
    const known = byType.get(type);
    if (known !== undefined) return known;
    const shape = this.#model?.entityTypes.get(type)?.shape;
    const variants = this.#records(shape, f, depth + 1);
    const out: EntityUID[] = [];
    for (const v of variants) {
      if (!(v instanceof CedarRecord)) continue;
      let id: string;
      do id = `${this.freshEntity(type).id}-${this.#synthCount++}`;
      while (this.#facts.entities.has(new EntityUID(type, id).key));
      const uid = new EntityUID(type, id);
      this.#synthEntities.push({ uid, attrs: v });
      out.push(uid);
    }
    byType.set(type, out);
    return out;
  }

  /** The entities made by {@link candidates} so far, with their attributes. */
  synthesizedEntities(): readonly { readonly uid: EntityUID; readonly attrs: CedarRecord }[] {
    return this.#synthEntities;
  }

  #inferred(f: PathFacts | undefined, depth: number): Value[] {
    if (f === undefined) return [false];
    if (f.attrs.size > 0 && f.values.size === 0) return this.#records(undefined, f, depth);
    const values = [...f.values.values()];
    const first: Value[] = [];
    if (f.attrs.size > 0) {
      for (const type of new Set(values.filter((v) => v instanceof EntityUID).map((v) => v.type))) {
        first.push(...this.#synthesized(type, f, depth));
      }
    }
    const rest: Value[] = [...values];
    if (f.hints.has('Bool')) first.push(false, true);
    if (f.hints.has('Long') || values.some((v) => typeof v === 'number' || typeof v === 'bigint')) {
      first.push(0);
      for (const n of f.longs) rest.push(Number.isSafeInteger(Number(n)) ? Number(n) : n);
    }
    if (f.hints.has('String') || values.some((v) => typeof v === 'string') || f.peer) {
      first.push(...this.#freshString(f, f.peer ? 2 : 1));
    }
    for (const v of values) if (v instanceof EntityUID) first.push(this.freshEntity(v.type));
    if (f.hints.has('Set') || f.elements.size > 0) rest.push(...this.#sets(undefined, f, depth));
    const out = distinct(first, rest);
    return out.length === 0 ? [false] : out;
  }
}
