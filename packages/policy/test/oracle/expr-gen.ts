/**
 * A type-directed fast-check generator of Cedar expressions, covering every operator and every
 * extension function. Each slot asks for a type; with a small probability it gets an expression
 * of another type instead, so type errors happen at every depth. Literal pools include overflow
 * edges and malformed extension literals, so evaluation errors are frequent by design.
 *
 * Expressions are a small tree of our own (`GExpr`), rendered fully parenthesised to Cedar text
 * (both engines parse the same text) and walked to count which operators occur.
 */
import fc from 'fast-check';
import { attrSuffix, isIdent, patternLit, recordKey, strLit, uidLit } from './cedar-text.js';
import {
  ACTION_UIDS,
  ALL_TYPES,
  ATTRS,
  ATTR_NAMES,
  DATETIMES_INVALID,
  DATETIMES_VALID,
  DECIMALS_INVALID,
  DECIMALS_VALID,
  DURATIONS_INVALID,
  DURATIONS_VALID,
  ENTITY_TYPES,
  ENTITY_UIDS,
  IPS_INVALID,
  IPS_VALID,
  LIKE_CHUNKS,
  LONGS,
  RECORD_FIELDS,
  RECORD_FIELD_NAMES,
  STRINGS,
  TAGS,
  TAG_NAMES,
  type Ty,
  type Uid,
} from './universe.js';

export type GExpr =
  | { readonly k: 'lit'; readonly text: string }
  | { readonly k: 'var'; readonly name: 'principal' | 'action' | 'resource' | 'context' }
  | { readonly k: 'not' | 'neg' | 'isEmpty'; readonly a: GExpr }
  | { readonly k: 'bin'; readonly op: string; readonly a: GExpr; readonly b: GExpr }
  | {
      readonly k: 'method';
      readonly name: string;
      readonly recv: GExpr;
      readonly args: readonly GExpr[];
    }
  | { readonly k: 'ctor'; readonly name: string; readonly arg: GExpr }
  | { readonly k: 'has'; readonly a: GExpr; readonly path: readonly string[] }
  | { readonly k: 'like'; readonly a: GExpr; readonly pattern: readonly (string | null)[] }
  | { readonly k: 'is'; readonly a: GExpr; readonly type: string; readonly in?: GExpr }
  | { readonly k: 'if'; readonly c: GExpr; readonly t: GExpr; readonly e: GExpr }
  | { readonly k: 'attr'; readonly a: GExpr; readonly name: string; readonly bracket: boolean }
  | { readonly k: 'set'; readonly items: readonly GExpr[] }
  | { readonly k: 'record'; readonly fields: readonly (readonly [string, GExpr])[] };

const METHOD_OPS = new Set(['hasTag', 'getTag', 'contains', 'containsAll', 'containsAny']);

/** Cedar text of an expression, every compound sub-expression parenthesised. */
export function renderExpr(e: GExpr): string {
  const p = (x: GExpr): string => {
    const s = renderExpr(x);
    const bare =
      (x.k === 'lit' && !s.startsWith('-')) || x.k === 'var' || x.k === 'set' || x.k === 'record';
    return bare ? s : `(${s})`;
  };
  switch (e.k) {
    case 'lit':
      return e.text;
    case 'var':
      return e.name;
    case 'not':
      return `!${p(e.a)}`;
    case 'neg':
      // `-` directly before a numeric literal would fold into the literal; keep it an operator.
      return `-(${renderExpr(e.a)})`;
    case 'isEmpty':
      return `${p(e.a)}.isEmpty()`;
    case 'bin':
      // `hasTag`/`getTag` (and the set methods, when built as binaries) are written as methods.
      return METHOD_OPS.has(e.op)
        ? `${p(e.a)}.${e.op}(${renderExpr(e.b)})`
        : `${p(e.a)} ${e.op} ${p(e.b)}`;
    case 'method':
      return `${p(e.recv)}.${e.name}(${e.args.map(renderExpr).join(', ')})`;
    case 'ctor':
      return `${e.name}(${renderExpr(e.arg)})`;
    case 'has':
      return `${p(e.a)} has ${e.path.length === 1 && !isIdent(e.path[0] ?? '') ? strLit(e.path[0] ?? '') : e.path.join('.')}`;
    case 'like':
      return `${p(e.a)} like ${patternLit(e.pattern)}`;
    case 'is':
      return `${p(e.a)} is ${e.type}${e.in ? ` in ${p(e.in)}` : ''}`;
    case 'if':
      return `if ${renderExpr(e.c)} then ${renderExpr(e.t)} else ${renderExpr(e.e)}`;
    case 'attr':
      return `${p(e.a)}${attrSuffix(e.name, e.bracket)}`;
    case 'set':
      return `[${e.items.map(renderExpr).join(', ')}]`;
    case 'record':
      return `{${e.fields.map(([k, v]) => `${recordKey(k)}: ${renderExpr(v)}`).join(', ')}}`;
  }
}

/** Adds the operator and extension-function names occurring in `e` to `out`. */
export function collectOps(e: GExpr, out: Map<string, number>): void {
  const bump = (name: string): void => {
    out.set(name, (out.get(name) ?? 0) + 1);
  };
  switch (e.k) {
    case 'lit':
    case 'var':
      return;
    case 'not':
      bump('!');
      return collectOps(e.a, out);
    case 'neg':
    case 'isEmpty':
      bump(e.k);
      return collectOps(e.a, out);
    case 'bin':
      bump(e.op);
      collectOps(e.a, out);
      return collectOps(e.b, out);
    case 'method':
      bump(e.name);
      collectOps(e.recv, out);
      for (const a of e.args) collectOps(a, out);
      return;
    case 'ctor':
      bump(e.name);
      return collectOps(e.arg, out);
    case 'has':
    case 'like':
      bump(e.k);
      return collectOps(e.a, out);
    case 'is':
      bump(e.in ? 'is-in' : 'is');
      bump('is');
      collectOps(e.a, out);
      if (e.in) collectOps(e.in, out);
      return;
    case 'if':
      bump('if');
      collectOps(e.c, out);
      collectOps(e.t, out);
      return collectOps(e.e, out);
    case 'attr':
      bump(e.bracket || !isIdent(e.name) ? '[]' : '.');
      return collectOps(e.a, out);
    case 'set':
      bump('set');
      for (const a of e.items) collectOps(a, out);
      return;
    case 'record':
      bump('record');
      for (const [, v] of e.fields) collectOps(v, out);
      return;
  }
}

const lit = (text: string): GExpr => ({ k: 'lit', text });
const litArb = (texts: readonly string[]): fc.Arbitrary<GExpr> =>
  fc.constantFrom(...texts).map(lit);
const strArb = (pool: readonly string[]): fc.Arbitrary<GExpr> =>
  fc.constantFrom(...pool).map((s) => lit(strLit(s)));
const uidArb: fc.Arbitrary<Uid> = fc.constantFrom(...ENTITY_UIDS, ...ACTION_UIDS);

/** Names whose usual type is `ty` (or every name when none is). */
function namesOf(table: Readonly<Record<string, Ty>>, ty: Ty): readonly string[] {
  const names = Object.keys(table).filter((n) => table[n] === ty);
  return names.length > 0 ? names : Object.keys(table);
}

const SET_ELEM: Partial<Record<Ty, Ty>> = {
  SetLong: 'Long',
  SetString: 'String',
  SetEntity: 'Entity',
};
const SET_TYPES: readonly Ty[] = ['SetLong', 'SetString', 'SetEntity'];
const ENTITY_VARS = ['principal', 'resource', 'action'] as const;

/**
 * Operand pairs at the edge of the 64-bit range, per operator: the first ones overflow, the
 * last ones land exactly on (or next to) a bound. Random literals rarely overflow, so these are
 * generated on purpose.
 */
const EDGE_PAIRS: Readonly<Record<'+' | '-' | '*', readonly (readonly [string, string])[]>> = {
  '+': [
    ['9223372036854775807', '1'],
    ['4611686018427387904', '4611686018427387904'],
    ['-9223372036854775808', '-1'],
    ['9223372036854775806', '1'],
    ['-4611686018427387904', '-4611686018427387904'],
  ],
  '-': [
    ['-9223372036854775808', '1'],
    ['9223372036854775807', '-1'],
    ['0', '-9223372036854775808'],
    ['-1', '9223372036854775807'],
    ['-9223372036854775807', '1'],
  ],
  '*': [
    ['3037000500', '3037000500'],
    ['4611686018427387904', '2'],
    ['-9223372036854775808', '-1'],
    ['-4611686018427387904', '2'],
    ['3037000499', '3037000499'],
  ],
};

/** `x`, or `x` behind an `if` on a variable, so the compiler cannot fold it to a constant. */
const maybeDynamic = (x: GExpr): fc.Arbitrary<GExpr> =>
  fc.boolean().map((dyn): GExpr =>
    dyn
      ? {
          k: 'if',
          c: {
            k: 'bin',
            op: '==',
            a: { k: 'var', name: 'principal' },
            b: { k: 'var', name: 'principal' },
          },
          t: x,
          e: lit('0'),
        }
      : x,
  );

const edgeArithmetic: fc.Arbitrary<GExpr> = fc
  .constantFrom<'+' | '-' | '*' | 'neg'>('+', '-', '*', 'neg')
  .chain((op) =>
    op === 'neg'
      ? fc
          .constantFrom('-9223372036854775808', '9223372036854775807')
          .chain((v) => maybeDynamic(lit(v)))
          .map((a): GExpr => ({ k: 'neg', a }))
      : fc
          .constantFrom(...EDGE_PAIRS[op])
          .chain(([a, b]) => fc.tuple(maybeDynamic(lit(a)), maybeDynamic(lit(b))))
          .map(([a, b]): GExpr => ({ k: 'bin', op, a, b })),
  );

export interface ExprGenOptions {
  /** Weight (out of 100) of a slot receiving an expression of another type. */
  readonly wrongTypeWeight: number;
  /** Weight of a malformed extension literal against a valid one, out of 100. */
  readonly badLiteralWeight: number;
}

export const DEFAULT_EXPR_OPTIONS: ExprGenOptions = { wrongTypeWeight: 5, badLiteralWeight: 10 };

type W = { readonly weight: number; readonly arbitrary: fc.Arbitrary<GExpr> };

/**
 * `gen(ty, depth)`: an arbitrary of expressions of (usually) type `ty`, at most `depth` levels
 * of operators deep. Arbitraries are memoised per (type, depth).
 */
export function exprGenerator(opts: ExprGenOptions = DEFAULT_EXPR_OPTIONS) {
  const memo = new Map<string, fc.Arbitrary<GExpr>>();
  const extLit = (
    ctor: string,
    valid: readonly string[],
    invalid: readonly string[],
  ): fc.Arbitrary<GExpr> =>
    fc
      .oneof(
        { weight: 100 - opts.badLiteralWeight, arbitrary: fc.constantFrom(...valid) },
        { weight: opts.badLiteralWeight, arbitrary: fc.constantFrom(...invalid) },
      )
      .map((s) => ({ k: 'ctor', name: ctor, arg: lit(strLit(s)) }));

  const varAttr = (ty: Ty): fc.Arbitrary<GExpr> =>
    fc
      .tuple(
        fc.constantFrom<'principal' | 'resource' | 'context'>('principal', 'resource', 'context'),
        fc.constantFrom(...namesOf(ATTRS, ty)),
        fc.boolean(),
      )
      .map(([v, name, bracket]) => ({
        k: 'attr',
        a: { k: 'var', name: v },
        name,
        bracket: bracket && name.length % 2 === 0,
      }));

  function leaf(ty: Ty): fc.Arbitrary<GExpr> {
    switch (ty) {
      case 'Bool':
        return fc.oneof(litArb(['true', 'false']), varAttr('Bool'));
      case 'Long':
        return fc.oneof(litArb(LONGS), varAttr('Long'));
      case 'String':
        return fc.oneof(strArb(STRINGS), varAttr('String'));
      case 'Entity':
        return fc.oneof(
          fc.constantFrom(...ENTITY_VARS).map((name): GExpr => ({ k: 'var', name })),
          uidArb.map((u) => lit(uidLit(u))),
          varAttr('Entity'),
        );
      case 'SetLong':
      case 'SetString':
      case 'SetEntity':
        return fc.oneof(
          varAttr(ty),
          fc
            .array(leaf(SET_ELEM[ty] ?? 'Long'), { maxLength: 3 })
            .map((items): GExpr => ({ k: 'set', items })),
        );
      case 'Record':
        return fc.oneof(
          fc.constant<GExpr>({ k: 'var', name: 'context' }),
          varAttr('Record'),
          fc.constant<GExpr>({ k: 'record', fields: [] }),
        );
      case 'decimal':
        return fc.oneof(extLit('decimal', DECIMALS_VALID, DECIMALS_INVALID), varAttr('decimal'));
      case 'ipaddr':
        return fc.oneof(extLit('ip', IPS_VALID, IPS_INVALID), varAttr('ipaddr'));
      case 'datetime':
        return fc.oneof(
          extLit('datetime', DATETIMES_VALID, DATETIMES_INVALID),
          varAttr('datetime'),
        );
      case 'duration':
        return fc.oneof(
          extLit('duration', DURATIONS_VALID, DURATIONS_INVALID),
          varAttr('duration'),
        );
    }
  }

  function gen(ty: Ty, depth: number): fc.Arbitrary<GExpr> {
    const key = `${ty}/${depth}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const arb =
      depth <= 0
        ? leaf(ty)
        : fc.oneof(
            { weight: 100 - opts.wrongTypeWeight, arbitrary: typed(ty, depth) },
            {
              weight: opts.wrongTypeWeight,
              arbitrary: fc.constantFrom(...ALL_TYPES).chain((t) => typed(t, depth - 1)),
            },
          );
    memo.set(key, arb);
    return arb;
  }

  /** An expression of type `ty` whose top is an operator (or a leaf, with a small weight). */
  function typed(ty: Ty, depth: number): fc.Arbitrary<GExpr> {
    const key = `typed:${ty}/${depth}`;
    const hit = memo.get(key);
    if (hit) return hit;
    const s = (t: Ty): fc.Arbitrary<GExpr> => gen(t, depth - 1);
    const bin = (op: string, a: Ty, b: Ty): fc.Arbitrary<GExpr> =>
      fc.tuple(s(a), s(b)).map(([x, y]): GExpr => ({ k: 'bin', op, a: x, b: y }));
    const method = (name: string, recv: Ty, ...args: Ty[]): fc.Arbitrary<GExpr> =>
      fc
        .tuple(s(recv), ...args.map(s))
        .map(([r, ...as]): GExpr => ({ k: 'method', name, recv: r, args: as }));
    const attrOf = (objTy: 'Entity' | 'Record'): fc.Arbitrary<GExpr> => {
      const table = objTy === 'Entity' ? ATTRS : { ...ATTRS, ...RECORD_FIELDS };
      return fc
        .tuple(s(objTy), fc.constantFrom(...namesOf(table, ty)), fc.boolean())
        .map(([a, name, bracket]): GExpr => ({ k: 'attr', a, name, bracket }));
    };
    const ifThen = fc
      .tuple(s('Bool'), s(ty), s(ty))
      .map(([c, t, e]): GExpr => ({ k: 'if', c, t, e }));
    const getTag = fc
      .tuple(
        s('Entity'),
        fc.oneof(
          { weight: 9, arbitrary: strArb(namesOf(TAGS, ty)) },
          { weight: 1, arbitrary: s('String') },
        ),
      )
      .map(([a, b]): GExpr => ({ k: 'bin', op: 'getTag', a, b }));
    const ctorFrom = (name: string): fc.Arbitrary<GExpr> =>
      s('String').map((arg): GExpr => ({ k: 'ctor', name, arg }));
    const opts: W[] = [
      { weight: 4, arbitrary: leaf(ty) },
      { weight: 2, arbitrary: ifThen },
    ];
    const add = (weight: number, arbitrary: fc.Arbitrary<GExpr>): void => {
      opts.push({ weight, arbitrary });
    };
    switch (ty) {
      case 'Bool': {
        add(4, bin('&&', 'Bool', 'Bool'));
        add(4, bin('||', 'Bool', 'Bool'));
        add(
          3,
          s('Bool').map((a): GExpr => ({ k: 'not', a })),
        );
        const anyTy = fc.constantFrom(...ALL_TYPES);
        for (const op of ['==', '!='])
          add(
            3,
            anyTy.chain((t) => bin(op, t, t)),
          );
        for (const op of ['<', '<=', '>', '>=']) {
          add(
            2,
            fc
              .constantFrom<Ty>(
                'Long',
                'Long',
                'Long',
                'datetime',
                'duration',
                'datetime',
                'duration',
                'decimal',
                'String',
              )
              .chain((t) => bin(op, t, t)),
          );
        }
        // Hierarchy tests on the request's entities against literal uids (likely ancestors).
        const party = fc.constantFrom<GExpr>(
          { k: 'var', name: 'principal' },
          { k: 'var', name: 'resource' },
          { k: 'var', name: 'action' },
        );
        add(
          3,
          fc
            .tuple(party, uidArb)
            .map(([a, u]): GExpr => ({ k: 'bin', op: 'in', a, b: lit(uidLit(u)) })),
        );
        add(
          3,
          fc
            .tuple(party, fc.array(uidArb, { minLength: 1, maxLength: 4 }))
            .map(([a, us]): GExpr => ({
              k: 'bin',
              op: 'in',
              a,
              b: { k: 'set', items: us.map((u) => lit(uidLit(u))) },
            })),
        );
        // Datetime and duration results compared, so their arithmetic decides something.
        add(
          3,
          fc
            .tuple(
              fc.constantFrom<Ty>('datetime', 'duration'),
              fc.constantFrom('==', '!=', '<', '<='),
            )
            .chain(([t, op]) => bin(op, t, t)),
        );
        // Identities over one shared value: each side alone rarely decides anything, the two
        // together check that datetime and duration arithmetic agree with each other.
        const m = (name: string, recv: GExpr, ...args: GExpr[]): GExpr => ({
          k: 'method',
          name,
          recv,
          args,
        });
        const rel = (op: string, a: GExpr, b: GExpr): GExpr => ({ k: 'bin', op, a, b });
        add(
          3,
          fc
            .tuple(s('datetime'), fc.nat(3))
            .map(
              ([x, i]): GExpr =>
                [
                  rel('<=', m('toDate', x), x),
                  rel('==', m('offset', m('toDate', x), m('toTime', x)), x),
                  rel('==', m('durationSince', x, m('toDate', x)), m('toTime', x)),
                  rel(
                    '<',
                    m('toTime', x),
                    m('toTime', m('offset', m('toDate', x), lit('duration("1d")'))),
                  ),
                ][i]!,
            ),
        );
        add(
          1,
          fc
            .tuple(s('duration'), fc.nat(2))
            .map(
              ([x, i]): GExpr =>
                [
                  rel('<=', m('toDays', x), m('toHours', x)),
                  rel('==', m('toSeconds', x), m('toMilliseconds', x)),
                  rel('>=', m('toMinutes', x), m('toHours', x)),
                ][i]!,
            ),
        );
        // Overflow (and its absence at the bounds), where a Bool is needed.
        add(
          2,
          fc
            .tuple(fc.constantFrom('==', '<', '!='), edgeArithmetic, s('Long'))
            .map(([op, a, b]): GExpr => ({ k: 'bin', op, a, b })),
        );
        add(5, bin('in', 'Entity', 'Entity'));
        add(4, bin('in', 'Entity', 'SetEntity'));
        add(
          4,
          fc
            .tuple(
              fc.oneof(s('Entity'), s('Record')),
              fc.oneof(
                fc.constantFrom(...ATTR_NAMES, ...RECORD_FIELD_NAMES, 'nope').map((n) => [n]),
                fc.tuple(
                  fc.constantFrom('profile', 'owner', 'nope'),
                  fc.constantFrom(...RECORD_FIELD_NAMES, 'name'),
                ),
              ),
            )
            .map(([a, path]): GExpr => ({ k: 'has', a, path })),
        );
        add(
          3,
          fc
            .tuple(
              s('String'),
              fc.array(fc.oneof(fc.constantFrom(...LIKE_CHUNKS), fc.constant(null)), {
                maxLength: 4,
              }),
            )
            .map(([a, pattern]): GExpr => ({ k: 'like', a, pattern })),
        );
        add(
          3,
          fc
            .tuple(
              s('Entity'),
              fc.constantFrom(...ENTITY_TYPES, 'Action', 'App::Action'),
              fc.option(fc.oneof(s('Entity'), s('SetEntity')), { freq: 2 }),
            )
            .map(([a, type, inE]): GExpr =>
              inE ? { k: 'is', a, type, in: inE } : { k: 'is', a, type },
            ),
        );
        for (const setTy of SET_TYPES) {
          add(1, method('contains', setTy, SET_ELEM[setTy] ?? 'Long'));
          add(1, method('containsAll', setTy, setTy));
          add(1, method('containsAny', setTy, setTy));
          add(
            1,
            s(setTy).map((a): GExpr => ({ k: 'isEmpty', a })),
          );
        }
        add(
          3,
          fc
            .tuple(
              s('Entity'),
              fc.oneof(
                { weight: 9, arbitrary: strArb([...TAG_NAMES, 'nope']) },
                { weight: 1, arbitrary: s('String') },
              ),
            )
            .map(([a, b]): GExpr => ({ k: 'bin', op: 'hasTag', a, b })),
        );
        add(2, getTag);
        for (const m of ['isIpv4', 'isIpv6', 'isLoopback', 'isMulticast'])
          add(1, method(m, 'ipaddr'));
        add(2, method('isInRange', 'ipaddr', 'ipaddr'));
        for (const m of ['lessThan', 'lessThanOrEqual', 'greaterThan', 'greaterThanOrEqual']) {
          add(1, method(m, 'decimal', 'decimal'));
        }
        add(3, attrOf('Entity'));
        add(2, attrOf('Record'));
        break;
      }
      case 'Long':
        for (const op of ['+', '-', '*']) add(4, bin(op, 'Long', 'Long'));
        add(
          2,
          s('Long').map((a): GExpr => ({ k: 'neg', a })),
        );
        add(3, edgeArithmetic);
        add(1, getTag);
        for (const m of ['toMilliseconds', 'toSeconds', 'toMinutes', 'toHours', 'toDays'])
          add(1, method(m, 'duration'));
        add(2, attrOf('Entity'));
        add(2, attrOf('Record'));
        break;
      case 'String':
        add(1, getTag);
        add(2, attrOf('Entity'));
        add(1, attrOf('Record'));
        break;
      case 'Entity':
        add(2, attrOf('Entity'));
        add(2, attrOf('Record'));
        break;
      case 'SetLong':
      case 'SetString':
      case 'SetEntity':
        add(
          3,
          fc
            .array(s(SET_ELEM[ty] ?? 'Long'), { maxLength: 3 })
            .map((items): GExpr => ({ k: 'set', items })),
        );
        add(1, attrOf('Entity'));
        break;
      case 'Record':
        add(
          3,
          fc
            .uniqueArray(fc.constantFrom(...RECORD_FIELD_NAMES, 'name', 'full name'), {
              maxLength: 3,
            })
            .chain((names) =>
              fc
                .tuple(...names.map((n) => s(RECORD_FIELDS[n] ?? ATTRS[n] ?? 'String')))
                .map((vals): GExpr => ({
                  k: 'record',
                  fields: names.map((n, i) => [n, vals[i] ?? lit('1')] as const),
                })),
            ),
        );
        add(2, attrOf('Entity'));
        break;
      case 'decimal':
        add(1, ctorFrom('decimal'));
        add(1, attrOf('Entity'));
        break;
      case 'ipaddr':
        add(1, ctorFrom('ip'));
        add(1, attrOf('Entity'));
        break;
      case 'datetime':
        add(3, method('offset', 'datetime', 'duration'));
        add(2, method('toDate', 'datetime'));
        add(1, ctorFrom('datetime'));
        add(1, attrOf('Entity'));
        add(1, attrOf('Record'));
        break;
      case 'duration':
        add(3, method('durationSince', 'datetime', 'datetime'));
        add(2, method('toTime', 'datetime'));
        add(1, ctorFrom('duration'));
        add(1, attrOf('Entity'));
        break;
    }
    const arb = fc.oneof(...opts);
    memo.set(key, arb);
    return arb;
  }

  return gen;
}
