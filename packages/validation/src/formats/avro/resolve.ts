import type { SchemaChange } from '../../types.js';
import { type AvroField, type AvroNode, at, type Loc, pointer, unqualify } from './schema.js';

/**
 * The Avro specification's schema resolution ("Schema Resolution"), as a static check: can a
 * reader with schema `reader` read every datum written with `writer`? Incompatibilities are
 * named after the Java reference's `SchemaIncompatibilityType`.
 */
const PROMOTIONS: Record<string, readonly string[]> = {
  int: ['long', 'float', 'double'],
  long: ['float', 'double'],
  float: ['double'],
  string: ['bytes'],
  bytes: ['string'],
};

function describe(n: AvroNode): string {
  if (n.kind === 'primitive') return n.type;
  if (n.kind === 'record' || n.kind === 'enum' || n.kind === 'fixed') return `${n.kind} ${n.name}`;
  return n.kind;
}

/**
 * Whether a reader named type reads a writer one: the same unqualified name (the specification
 * matches names without namespaces), or a reader alias that is the writer's full name (aliases
 * are full names, qualified by the reader's namespace). This is Java Avro's
 * `SchemaCompatibility.schemaNameEquals`, which Confluent's registry uses.
 */
export function namesMatch(
  reader: AvroNode & { name: string; aliases: readonly string[] },
  writer: { name: string },
): boolean {
  return unqualify(reader.name) === unqualify(writer.name) || reader.aliases.includes(writer.name);
}

/** Every writer field a reader field could read: its own name, then its aliases. */
function writerFieldsFor(rf: AvroField, writerFields: readonly AvroField[]): AvroField[] {
  const out: AvroField[] = [];
  for (const name of [rf.name, ...rf.aliases]) {
    const wf = writerFields.find((f) => f.name === name);
    if (wf !== undefined && !out.includes(wf)) out.push(wf);
  }
  return out;
}

/** The writer field a reader field reads (the first match; resolution refuses several). */
export function writerFieldFor(
  rf: AvroField,
  writerFields: readonly AvroField[],
): AvroField | undefined {
  return writerFieldsFor(rf, writerFields)[0];
}

export class AvroResolver {
  readonly #assumed = new Map<AvroNode, Set<AvroNode>>();
  readonly #memo = new Map<AvroNode, Map<AvroNode, boolean>>();

  /** Incompatibilities of reading `writer` data as `reader`. */
  check(reader: AvroNode, writer: AvroNode): SchemaChange[] {
    const out: SchemaChange[] = [];
    this.#check(reader, writer, undefined, out);
    return out;
  }

  /** Fast yes/no, memoised per node pair. */
  canRead(reader: AvroNode, writer: AvroNode): boolean {
    let m = this.#memo.get(reader);
    if (m === undefined) this.#memo.set(reader, (m = new Map()));
    const hit = m.get(writer);
    if (hit !== undefined) return hit;
    const out: SchemaChange[] = [];
    this.#check(reader, writer, undefined, out, true);
    const ok = out.length === 0;
    m.set(writer, ok);
    return ok;
  }

  #check(r: AvroNode, w: AvroNode, path: Loc, out: SchemaChange[], stopEarly = false): void {
    const fail = (rule: string, message: string, p: Loc = path) => {
      out.push({ rule, path: pointer(p), severity: 'breaking', message });
    };
    if (w.kind === 'union') {
      w.branches.forEach((b, i) => {
        if (stopEarly && out.length > 0) return;
        this.#check(r, b, at(path, i), out, stopEarly);
      });
      return;
    }
    if (r.kind === 'union') {
      if (!r.branches.some((b) => this.canRead(b, w))) {
        fail(
          'AVRO_MISSING_UNION_BRANCH',
          `reader union has no branch that can read the writer's ${describe(w)}`,
        );
      }
      return;
    }
    if (r.kind === 'primitive' && w.kind === 'primitive') {
      if (r.type !== w.type && !(PROMOTIONS[w.type] ?? []).includes(r.type)) {
        fail('AVRO_TYPE_MISMATCH', `reader type ${r.type} cannot read writer type ${w.type}`);
      }
      return;
    }
    if (r.kind !== w.kind) {
      fail('AVRO_TYPE_MISMATCH', `reader ${describe(r)} cannot read writer ${describe(w)}`);
      return;
    }
    switch (r.kind) {
      case 'array':
        this.#check(r.items, (w as typeof r).items, at(path, 'items'), out, stopEarly);
        return;
      case 'map':
        this.#check(r.values, (w as typeof r).values, at(path, 'values'), out, stopEarly);
        return;
      case 'fixed': {
        const wf = w as typeof r;
        if (!namesMatch(r, wf))
          fail(
            'AVRO_NAME_MISMATCH',
            `reader fixed ${r.name} does not match writer ${wf.name} (no alias)`,
            at(path, 'name'),
          );
        else if (r.size !== wf.size)
          fail(
            'AVRO_FIXED_SIZE_MISMATCH',
            `fixed ${r.name}: reader size ${r.size}, writer size ${wf.size}`,
            at(path, 'size'),
          );
        return;
      }
      case 'enum': {
        const we = w as typeof r;
        if (!namesMatch(r, we)) {
          fail(
            'AVRO_NAME_MISMATCH',
            `reader enum ${r.name} does not match writer ${we.name} (no alias)`,
            at(path, 'name'),
          );
          return;
        }
        const missing = we.symbols.filter((s) => !r.symbols.includes(s));
        if (missing.length > 0 && r.default === undefined) {
          fail(
            'AVRO_MISSING_ENUM_SYMBOLS',
            `reader enum ${r.name} lacks writer symbols ${missing.join(', ')} and has no default`,
            at(path, 'symbols'),
          );
        }
        return;
      }
      case 'record': {
        const wr = w as typeof r;
        if (!namesMatch(r, wr)) {
          fail(
            'AVRO_NAME_MISMATCH',
            `reader record ${r.name} does not match writer ${wr.name} (no alias)`,
            at(path, 'name'),
          );
          return;
        }
        let assumed = this.#assumed.get(r);
        if (assumed === undefined) this.#assumed.set(r, (assumed = new Set()));
        if (assumed.has(wr)) return; // recursive types: assume the pair resolves while checking it
        assumed.add(wr);
        try {
          r.fields.forEach((rf, i) => {
            if (stopEarly && out.length > 0) return;
            const matches = writerFieldsFor(rf, wr.fields);
            const wf = matches[0];
            const fp = at(at(path, 'fields'), i);
            if (matches.length > 1) {
              fail(
                'AVRO_FIELD_ALIAS_AMBIGUOUS',
                `reader field ${r.name}.${rf.name} matches writer fields ${matches.map((m) => m.name).join(' and ')} (by name and aliases)`,
                fp,
              );
            } else if (wf === undefined) {
              if (!rf.hasDefault)
                fail(
                  'AVRO_READER_FIELD_MISSING_DEFAULT',
                  `reader field ${r.name}.${rf.name} is not written and has no default`,
                  fp,
                );
            } else this.#check(rf.type, wf.type, at(fp, 'type'), out, stopEarly);
          });
        } finally {
          assumed.delete(wr);
        }
      }
    }
  }
}
