import { validationErrors } from '../../errors.js';
import type { FlaggedChange } from '../../format-plugin.js';
import { isObject, jsonEqual, ptr } from '../../internal/json.js';
import type { ChangeSeverity, JsonSchemaPolicy } from '../../types.js';
import {
  COSMETIC,
  compareApplicators,
  compareArray,
  compareComposition,
  compareObject,
  type Effect,
  type Obj,
  type WalkContext,
} from './compare-structure.js';
import { isActive } from './keywords.js';
import { sideOf } from './locations.js';
import type { ParsedJsonSchema } from './plugin.js';
import {
  acceptsAll,
  child,
  draftOf,
  type Node,
  nodeKey,
  refsOf,
  refTarget,
  rootOf,
  Subsumption,
} from './subsume.js';

/**
 * JSON Schema compatibility: BACKWARD holds when every document valid under the old schema is
 * valid under the new one (the new one is not *narrower*); FORWARD is the reverse. Each change
 * says whether it may narrow (breaks backward), widen (breaks forward), or both.
 *
 * The walk pairs the two schemas keyword by keyword, following `$ref`s on both sides (a change
 * behind a reference names the references it went through). Keyword-level verdicts are sound
 * but conservative; at every subschema whose changes break a direction, subsumption
 * (subsume.ts) tries to prove that the new subschema still accepts every document of the old
 * one (or the reverse), and when it can, the keyword-level changes that direction made are
 * replaced with one JSON_SUBSCHEMA_RESTRUCTURED. Recursive schemas terminate: a pair of
 * locations already being compared is assumed compatible (coinduction).
 */

const BOUNDS: ReadonlyArray<readonly [string, 'max' | 'min', string]> = [
  ['maximum', 'max', 'MAXIMUM'],
  ['exclusiveMaximum', 'max', 'EXCLUSIVE_MAXIMUM'],
  ['minimum', 'min', 'MINIMUM'],
  ['exclusiveMinimum', 'min', 'EXCLUSIVE_MINIMUM'],
  ['maxLength', 'max', 'MAX_LENGTH'],
  ['minLength', 'min', 'MIN_LENGTH'],
  ['maxItems', 'max', 'MAX_ITEMS'],
  ['minItems', 'min', 'MIN_ITEMS'],
  ['maxProperties', 'max', 'MAX_PROPERTIES'],
  ['minProperties', 'min', 'MIN_PROPERTIES'],
];
/** Keywords compared by their own rules (whatever the draft). */
const HANDLED = new Set([
  ...COSMETIC,
  ...BOUNDS.map((b) => b[0]),
  '$ref',
  'definitions',
  '$defs',
  'type',
  'enum',
  'const',
  'pattern',
  'format',
  'multipleOf',
  'uniqueItems',
  'properties',
  'required',
  'additionalProperties',
  'patternProperties',
  'items',
  'contains',
  'anyOf',
  'oneOf',
  'allOf',
  'not',
]);
/** Keywords compared by their own rules when the draft of either side applies them. */
const HANDLED_WHEN_ACTIVE = [
  'prefixItems',
  'additionalItems',
  'unevaluatedProperties',
  'unevaluatedItems',
  '$dynamicRef',
  '$recursiveRef',
];
const ALL_TYPES = ['array', 'boolean', 'integer', 'null', 'number', 'object', 'string'];
/** Nesting of the walk beyond which a subschema pair is reported as changed without looking. */
const MAX_WALK_DEPTH = 150;
/** ajv tests multipleOf by a division that is exact for quotients below 2^53. */
const EXACT = 1e15;

/** A change relative to the node pair that produced it. */
interface Local {
  readonly rule: string;
  readonly path: string;
  readonly severity: ChangeSeverity;
  readonly message: string;
  readonly breaksBackward: boolean;
  readonly breaksForward: boolean;
  readonly via: readonly string[];
}

function typesOf(s: Obj): string[] | undefined {
  const t = s.type;
  if (typeof t === 'string') return [t];
  if (Array.isArray(t)) return t.filter((x): x is string => typeof x === 'string');
  return undefined;
}
function accepts(types: string[] | undefined, t: string): boolean {
  if (types === undefined) return true;
  return types.includes(t) || (t === 'integer' && types.includes('number'));
}
function bound(s: Obj): number {
  const lo = typeof s.minimum === 'number' ? s.minimum : s.exclusiveMinimum;
  const hi = typeof s.maximum === 'number' ? s.maximum : s.exclusiveMaximum;
  if (typeof lo !== 'number' || typeof hi !== 'number') return Number.POSITIVE_INFINITY;
  return Math.max(Math.abs(lo), Math.abs(hi));
}

/**
 * A reference (`$ref`, `$dynamicRef`, `$recursiveRef`) with nothing else that validates next to
 * it: the walk goes straight to its target.
 */
function follow(n: Node, hops: string[]): Node {
  let cur = n;
  const seen = new Set<string>();
  for (let i = 0; i < 64; i++) {
    const s = cur.loc.schema;
    const refs = refsOf(cur);
    const [only] = refs;
    if (!isObject(s) || only === undefined || refs.length > 1) break;
    const d = draftOf(cur);
    if (Object.keys(s).some((k) => k !== only[0] && isActive(d, k))) break;
    const key = nodeKey(cur);
    if (seen.has(key)) break;
    seen.add(key);
    const t = refTarget(cur, only[0], only[1]);
    if (t === undefined) break;
    hops.push(`${only[0]} ${only[1]}`);
    cur = t;
  }
  return cur;
}

/** The references a change was reached through; a long trail keeps its ends. */
function trail(via: readonly string[]): string {
  if (via.length <= 8) return via.join(', then ');
  return `${via.slice(0, 3).join(', then ')}, then … ${via.length - 6} more …, then ${via.slice(-3).join(', then ')}`;
}

function describeHops(o: readonly string[], n: readonly string[]): string | undefined {
  if (o.length === 0 && n.length === 0) return undefined;
  const show = (h: readonly string[]) =>
    h
      .map((r) => {
        const space = r.indexOf(' ');
        return r.startsWith('$') && space > 0
          ? `${r.slice(0, space)} ${JSON.stringify(r.slice(space + 1))}`
          : `$ref ${JSON.stringify(r)}`;
      })
      .join(' → ');
  if (jsonEqual(o, n)) return show(o);
  const parts: string[] = [];
  if (o.length > 0) parts.push(`old ${show(o)}`);
  if (n.length > 0) parts.push(`new ${show(n)}`);
  return parts.join(', ');
}

export function compareJsonSchemas(
  prev: ParsedJsonSchema,
  next: ParsedJsonSchema,
  policy: JsonSchemaPolicy,
): FlaggedChange[] {
  // The same canonical text (schema and references) is the same schema.
  if (prev.draft === next.draft && prev.canonical === next.canonical) return [];
  const oldSide = sideOf(prev, 'old');
  const newSide = sideOf(next, 'new');
  const prover = new Subsumption(policy === 'lenient');
  const done = new Map<string, readonly Local[]>();
  const open = new Map<string, number>();
  let floor = Number.POSITIVE_INFINITY;

  const walk = (o0: Node, n0: Node, depth: number): readonly Local[] => {
    const oHops: string[] = [];
    const nHops: string[] = [];
    const o = follow(o0, oHops);
    const n = follow(n0, nHops);
    if (prover.same(o, n, true)) return [];
    const key = `${nodeKey(o)}>${nodeKey(n)}`;
    const known = done.get(key);
    let result: readonly Local[];
    if (known !== undefined) result = known;
    else {
      const index = open.get(key);
      if (index !== undefined) {
        floor = Math.min(floor, index);
        return []; // being compared further up: assumed compatible (coinduction)
      }
      const mine = open.size;
      open.set(key, mine);
      const outer = floor;
      floor = Number.POSITIVE_INFINITY;
      try {
        result = settle(o, n, depth > MAX_WALK_DEPTH ? tooDeep() : diffNode(o, n, depth));
      } finally {
        open.delete(key);
      }
      if (floor >= mine) done.set(key, result);
      floor = Math.min(outer, floor >= mine ? Number.POSITIVE_INFINITY : floor);
    }
    const hop = describeHops(oHops, nHops);
    return hop === undefined ? result : result.map((c) => ({ ...c, via: [hop, ...c.via] }));
  };

  const tooDeep = (): Local[] => [
    {
      rule: 'JSON_KEYWORD_CHANGED',
      path: '',
      severity: 'breaking',
      message: `subschemas nest deeper than ${MAX_WALK_DEPTH} levels; compared as changed`,
      breaksBackward: true,
      breaksForward: true,
      via: [],
    },
  ];

  /** Replaces keyword-level breaks that subsumption disproves with one summary change. */
  const settle = (o: Node, n: Node, changes: Local[]): readonly Local[] => {
    const back = changes.some((c) => c.breaksBackward);
    const fwd = changes.some((c) => c.breaksForward);
    const clearBack = back && prover.includes([o], n);
    const clearFwd = fwd && prover.includes([n], o);
    if (!clearBack && !clearFwd) return changes;
    const kept: Local[] = [];
    let dropped = 0;
    for (const c of changes) {
      const b = c.breaksBackward && !clearBack;
      const f = c.breaksForward && !clearFwd;
      if (c.severity === 'breaking' && !b && !f) {
        dropped++;
        continue;
      }
      kept.push(c.severity === 'breaking' ? { ...c, breaksBackward: b, breaksForward: f } : c);
    }
    if (dropped > 0) {
      const stillBreaking = kept.some((c) => c.severity === 'breaking');
      const what =
        (clearBack || !back) && (clearFwd || !fwd)
          ? 'the same documents as before'
          : clearBack
            ? 'every document the old one accepted'
            : 'only documents the old one accepted';
      kept.push({
        rule: 'JSON_SUBSCHEMA_RESTRUCTURED',
        path: '',
        severity: stillBreaking ? 'additive' : 'cosmetic',
        message: `subschema restructured (${dropped} keyword-level change(s)); it provably accepts ${what}`,
        breaksBackward: false,
        breaksForward: false,
        via: [],
      });
    }
    return kept;
  };

  const diffNode = (on: Node, nn: Node, depth: number): Local[] => {
    const out: Local[] = [];
    const o: Obj = isObject(on.loc.schema)
      ? on.loc.schema
      : on.loc.schema === false
        ? { not: {} }
        : {};
    const n: Obj = isObject(nn.loc.schema)
      ? nn.loc.schema
      : nn.loc.schema === false
        ? { not: {} }
        : {};
    const od = draftOf(on);
    const nd = draftOf(nn);
    const emit = (
      rule: string,
      path: string,
      effect: Effect,
      message: string,
      cosmetic = false,
    ) => {
      const breaksBackward = effect === 'narrow' || effect === 'both';
      const breaksForward = effect === 'widen' || effect === 'both';
      const severity: ChangeSeverity = cosmetic
        ? 'cosmetic'
        : breaksBackward || breaksForward
          ? 'breaking'
          : 'additive';
      out.push({ rule, path, severity, message, breaksBackward, breaksForward, via: [] });
    };
    const sub = (a: Node, b: Node, path: string) => {
      for (const c of walk(a, b, depth + 1)) out.push({ ...c, path: path + c.path });
    };
    const effectOf = (a: Node, b: Node): Effect => {
      const narrow = !prover.includes([a], b);
      const widen = !prover.includes([b], a);
      return narrow && widen ? 'both' : narrow ? 'narrow' : widen ? 'widen' : 'none';
    };

    // `false` is compared as { not: {} }; its `not` then needs a location.
    const notOf = (x: Node, s: Obj): Node =>
      isObject(x.loc.schema) || x.loc.schema === true
        ? child(x, 'not')
        : { ...x, loc: { ...x.loc, schema: s.not, pointer: `${x.loc.pointer}/~not` } };

    for (const k of COSMETIC) {
      if (k === '$schema' || k === 'id' || k === '$id') continue;
      if (!jsonEqual(o[k], n[k]))
        emit(
          `JSON_${k
            .replace(/^\$/, '')
            .replace(/([A-Z])/g, '_$1')
            .toUpperCase()}_CHANGED`,
          ptr('', k),
          'none',
          `${k} changed`,
          true,
        );
    }
    const ot = typesOf(o);
    const nt = typesOf(n);
    if (!jsonEqual(ot?.slice().sort(), nt?.slice().sort())) {
      const narrowed = ALL_TYPES.some((t) => accepts(ot, t) && !accepts(nt, t));
      const widened = ALL_TYPES.some((t) => accepts(nt, t) && !accepts(ot, t));
      const desc = `type ${JSON.stringify(o.type ?? 'any')} → ${JSON.stringify(n.type ?? 'any')}`;
      if (narrowed && widened) emit('JSON_TYPE_CHANGED', '/type', 'both', desc);
      else if (narrowed) emit('JSON_TYPE_NARROWED', '/type', 'narrow', desc);
      else if (widened) emit('JSON_TYPE_WIDENED', '/type', 'widen', desc);
    }
    if (!jsonEqual(o.enum, n.enum)) {
      const oe = Array.isArray(o.enum) ? o.enum : undefined;
      const ne = Array.isArray(n.enum) ? n.enum : undefined;
      if (oe === undefined) emit('JSON_ENUM_ADDED', '/enum', 'narrow', 'enum constraint added');
      else if (ne === undefined)
        emit('JSON_ENUM_REMOVED', '/enum', 'widen', 'enum constraint removed');
      else {
        const removed = oe.filter((v) => !ne.some((w) => jsonEqual(v, w)));
        const added = ne.filter((v) => !oe.some((w) => jsonEqual(v, w)));
        if (removed.length > 0)
          emit(
            'JSON_ENUM_NARROWED',
            '/enum',
            'narrow',
            `enum values removed: ${JSON.stringify(removed)}`,
          );
        if (added.length > 0)
          emit(
            'JSON_ENUM_EXTENDED',
            '/enum',
            'widen',
            `enum values added: ${JSON.stringify(added)}`,
          );
      }
    }
    if (!jsonEqual(o.const, n.const) || 'const' in o !== 'const' in n) {
      if (!('const' in o)) emit('JSON_CONST_ADDED', '/const', 'narrow', 'const added');
      else if (!('const' in n)) emit('JSON_CONST_REMOVED', '/const', 'widen', 'const removed');
      else
        emit(
          'JSON_CONST_CHANGED',
          '/const',
          'both',
          `const ${JSON.stringify(o.const)} → ${JSON.stringify(n.const)}`,
        );
    }
    for (const [kw, kind, id] of BOUNDS) {
      const a = o[kw];
      const b = n[kw];
      if (a === b || (typeof a !== 'number' && typeof b !== 'number')) continue;
      const p = ptr('', kw);
      if (typeof a !== 'number') emit(`JSON_${id}_ADDED`, p, 'narrow', `${kw} ${String(b)} added`);
      else if (typeof b !== 'number') emit(`JSON_${id}_REMOVED`, p, 'widen', `${kw} ${a} removed`);
      else {
        const tighter = kind === 'max' ? b < a : b > a;
        emit(
          `JSON_${id}_${b < a ? 'DECREASED' : 'INCREASED'}`,
          p,
          tighter ? 'narrow' : 'widen',
          `${kw} ${a} → ${b}`,
        );
      }
    }
    for (const kw of ['pattern', 'format'] as const) {
      if (o[kw] === n[kw]) continue;
      const id = kw.toUpperCase();
      const p = ptr('', kw);
      if (o[kw] === undefined)
        emit(`JSON_${id}_ADDED`, p, 'narrow', `${kw} ${JSON.stringify(n[kw])} added`);
      else if (n[kw] === undefined)
        emit(`JSON_${id}_REMOVED`, p, 'widen', `${kw} ${JSON.stringify(o[kw])} removed`);
      else
        emit(
          `JSON_${id}_CHANGED`,
          p,
          'both',
          `${kw} ${JSON.stringify(o[kw])} → ${JSON.stringify(n[kw])}`,
        );
    }
    if (o.multipleOf !== n.multipleOf) {
      const a = o.multipleOf;
      const b = n.multipleOf;
      const p = '/multipleOf';
      if (typeof a !== 'number')
        emit('JSON_MULTIPLE_OF_ADDED', p, 'narrow', `multipleOf ${String(b)} added`);
      else if (typeof b !== 'number')
        emit('JSON_MULTIPLE_OF_REMOVED', p, 'widen', `multipleOf ${a} removed`);
      else {
        // Exact only for integers and quotients ajv's division computes exactly.
        const int = Number.isInteger(a) && Number.isInteger(b);
        const narrowOnly = int && b % a === 0 && bound(n) / a < EXACT;
        const widenOnly = int && a % b === 0 && bound(o) / b < EXACT;
        const effect: Effect = narrowOnly ? 'narrow' : widenOnly ? 'widen' : 'both';
        emit('JSON_MULTIPLE_OF_CHANGED', p, effect, `multipleOf ${a} → ${b}`);
      }
    }
    if (Boolean(o.uniqueItems) !== Boolean(n.uniqueItems)) {
      if (n.uniqueItems === true)
        emit('JSON_UNIQUE_ITEMS_ADDED', '/uniqueItems', 'narrow', 'uniqueItems added');
      else emit('JSON_UNIQUE_ITEMS_REMOVED', '/uniqueItems', 'widen', 'uniqueItems removed');
    }
    const c: WalkContext = {
      policy,
      emit,
      sub,
      disjoint: (a, b) => prover.disjoint(a, b),
      same: (a, b) => prover.same(a, b, true),
      open: (x) => {
        const t = follow(x, []);
        return acceptsAll(t.loc.schema, draftOf(t));
      },
    };
    compareObject(on, nn, c);
    compareArray(on, nn, c);
    compareComposition(on, nn, c);
    const compared = compareApplicators(on, nn, c);
    if (!prover.same(child(on, 'not'), child(nn, 'not'), true)) {
      if (o.not === undefined) emit('JSON_NOT_ADDED', '/not', 'narrow', '"not" added');
      else if (n.not === undefined) emit('JSON_NOT_REMOVED', '/not', 'widen', '"not" removed');
      else {
        // not A → not B narrows unless B ⊆ A, widens unless A ⊆ B.
        const e = effectOf(notOf(nn, n), notOf(on, o));
        if (e !== 'none') emit('JSON_NOT_CHANGED', '/not', e, '"not" changed');
      }
    }
    // A reference next to other keywords is one more conjunct.
    for (const kw of ['$ref', '$dynamicRef', '$recursiveRef']) {
      const oRef = typeof o[kw] === 'string' && isActive(od, kw) ? (o[kw] as string) : undefined;
      const nRef = typeof n[kw] === 'string' && isActive(nd, kw) ? (n[kw] as string) : undefined;
      if (oRef === undefined && nRef === undefined) continue;
      const oTarget = oRef === undefined ? undefined : refTarget(on, kw, oRef);
      const nTarget = nRef === undefined ? undefined : refTarget(nn, kw, nRef);
      if (
        (oRef !== undefined && oTarget === undefined) ||
        (nRef !== undefined && nTarget === undefined)
      )
        emit('JSON_KEYWORD_CHANGED', ptr('', kw), 'both', `a ${kw} cannot be resolved`);
      else if (oTarget !== undefined && nTarget !== undefined) {
        const hop = describeHops([`${kw} ${oRef}`], [`${kw} ${nRef}`]) as string;
        for (const x of walk(oTarget, nTarget, depth + 1)) out.push({ ...x, via: [hop, ...x.via] });
      } else if (oTarget !== undefined) {
        const widen = !prover.includes([nn], oTarget);
        emit(
          'JSON_REF_REMOVED',
          ptr('', kw),
          widen ? 'widen' : 'none',
          `${kw} ${JSON.stringify(oRef)} removed`,
        );
      } else if (nTarget !== undefined) {
        const narrow = !prover.includes([on], nTarget);
        emit(
          'JSON_REF_ADDED',
          ptr('', kw),
          narrow ? 'narrow' : 'none',
          `${kw} ${JSON.stringify(nRef)} added`,
        );
      }
    }
    for (const kw of ['unevaluatedProperties', 'unevaluatedItems']) {
      const uses = (s: Obj, d: typeof od) =>
        isActive(d, kw) &&
        kw in s &&
        s[kw] !== true &&
        !(isObject(s[kw]) && Object.keys(s[kw]).length === 0);
      if (uses(o, od) || uses(n, nd))
        emit(
          'JSON_KEYWORD_CHANGED',
          ptr('', kw),
          'both',
          `${kw} depends on every other keyword of this subschema, which changed`,
        );
    }
    const handled = (k: string) =>
      HANDLED.has(k) || (HANDLED_WHEN_ACTIVE.includes(k) && (isActive(od, k) || isActive(nd, k)));
    for (const k of new Set([...Object.keys(o), ...Object.keys(n)])) {
      if (handled(k) || compared.has(k) || k.startsWith('x-')) continue;
      if (isActive(od, k) === isActive(nd, k) && prover.same(child(on, k), child(nn, k), true))
        continue;
      if (isActive(od, k) || isActive(nd, k))
        emit('JSON_KEYWORD_CHANGED', ptr('', k), 'both', `keyword "${k}" changed`);
      else if (!jsonEqual(o[k], n[k]))
        emit(
          'JSON_ANNOTATION_CHANGED',
          ptr('', k),
          'none',
          `"${k}" (not a validation keyword here) changed`,
          true,
        );
    }
    return out;
  };

  let changes: readonly Local[];
  try {
    changes = walk(rootOf(oldSide), rootOf(newSide), 0);
  } catch (error) {
    if (!(error instanceof RangeError)) throw error;
    throw validationErrors.create(
      'E_LIMIT_EXCEEDED',
      'the two JSON Schemas nest too deeply (through their references) to be compared',
      { details: { limit: 'depth', format: 'json-schema' }, cause: error },
    );
  }
  return changes.map((c) => ({
    rule: c.rule,
    path: c.path,
    severity: c.severity,
    message: c.via.length === 0 ? c.message : `${c.message} (via ${trail(c.via)})`,
    breaksBackward: c.breaksBackward,
    breaksForward: c.breaksForward,
  }));
}
