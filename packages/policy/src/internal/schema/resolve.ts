/**
 * Cedar's JSON schema format → the resolved {@link SchemaModel}: shape checks (unknown keys,
 * wrong value kinds), name resolution as Cedar does it, common types inlined, action groups
 * checked for undeclared members and cycles. Errors carry the JSON pointer of the culprit.
 */
import { policyErrors } from '../../errors.js';
import {
  EXTENSION_TYPES,
  actionKey,
  qualify,
  splitName,
  type ActionDef,
  type Annotations,
  type AttributeType,
  type EntityTypeDef,
  type RecordAttrs,
  type SchemaJson,
  type SchemaModel,
  type SchemaType,
} from './model.js';
import { pointerSegment } from './text-parser.js';

/** Thrown by the resolver; the caller turns the pointer into a text position when it has one. */
export class SchemaResolveError extends Error {
  constructor(
    message: string,
    readonly pointer: string,
  ) {
    super(message);
  }
}

const IDENT = /^[A-Za-z_][A-Za-z0-9_]*$/;
const PRIMITIVES: Readonly<Record<string, SchemaType>> = {
  Long: { kind: 'Long' },
  String: { kind: 'String' },
  Bool: { kind: 'Bool' },
};

function isName(s: string): boolean {
  return s.split('::').every((p) => IDENT.test(p));
}

type Json = unknown;
function isObject(v: Json): v is Record<string, Json> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function fail(pointer: string, message: string): never {
  throw new SchemaResolveError(message, pointer);
}

function checkKeys(v: Record<string, Json>, allowed: readonly string[], pointer: string): void {
  for (const k of Object.keys(v)) {
    if (!allowed.includes(k)) {
      fail(
        `${pointer}/${pointerSegment(k)}`,
        `unknown field \`${k}\`, expected one of ${allowed.map((a) => `\`${a}\``).join(', ')}`,
      );
    }
  }
}

function expectObject(v: Json, pointer: string, what: string): Record<string, Json> {
  if (!isObject(v)) fail(pointer, `${what} must be a JSON object`);
  return v;
}

function expectStringArray(v: Json, pointer: string, what: string): readonly string[] {
  if (!Array.isArray(v) || !v.every((x) => typeof x === 'string')) {
    fail(pointer, `${what} must be an array of strings`);
  }
  return v as string[];
}

function annotationsOf(v: Json, pointer: string): Annotations {
  if (v === undefined) return {};
  const o = expectObject(v, pointer, 'annotations');
  for (const [k, x] of Object.entries(o)) {
    if (!IDENT.test(k)) fail(`${pointer}/${pointerSegment(k)}`, `invalid annotation name \`${k}\``);
    if (typeof x !== 'string')
      fail(`${pointer}/${pointerSegment(k)}`, 'an annotation value must be a string');
  }
  return o as Annotations;
}

interface Defs {
  readonly common: Map<string, { json: Json; ns: string; pointer: string }>;
  readonly entities: Set<string>;
}

/** Checks the JSON shape and resolves every name; throws {@link SchemaResolveError}. */
export function resolveSchemaJson(input: Json): SchemaModel {
  const root = expectObject(input, '', 'a schema');
  const defs: Defs = { common: new Map(), entities: new Set() };
  // Pass 1: shapes of namespaces and declarations; collect declared names.
  for (const [nsName, nsJson] of Object.entries(root)) {
    const p = `/${pointerSegment(nsName)}`;
    if (nsName !== '' && !isName(nsName)) fail(p, `invalid namespace name \`${nsName}\``);
    if (nsName === '__cedar' || nsName.startsWith('__cedar::'))
      fail(p, 'use of the reserved `__cedar` namespace');
    const ns = expectObject(nsJson, p, 'a namespace');
    checkKeys(ns, ['commonTypes', 'entityTypes', 'actions', 'annotations'], p);
    if (ns.entityTypes === undefined) fail(p, 'missing field `entityTypes`');
    if (ns.actions === undefined) fail(p, 'missing field `actions`');
    annotationsOf(ns.annotations, `${p}/annotations`);
    const common =
      ns.commonTypes === undefined
        ? {}
        : expectObject(ns.commonTypes, `${p}/commonTypes`, 'commonTypes');
    for (const [name, ty] of Object.entries(common)) {
      const cp = `${p}/commonTypes/${pointerSegment(name)}`;
      if (!IDENT.test(name)) fail(cp, `invalid common type name \`${name}\``);
      if (
        ['Bool', 'Boolean', 'Entity', 'Extension', 'Long', 'Record', 'Set', 'String'].includes(name)
      ) {
        fail(cp, `this uses a reserved schema keyword: \`${name}\``);
      }
      defs.common.set(qualify(nsName, name), { json: ty, ns: nsName, pointer: cp });
    }
    const ets = expectObject(ns.entityTypes, `${p}/entityTypes`, 'entityTypes');
    for (const name of Object.keys(ets)) {
      const ep = `${p}/entityTypes/${pointerSegment(name)}`;
      if (!IDENT.test(name)) fail(ep, `invalid entity type name \`${name}\``);
      if (name === 'Action') fail(ep, 'entity type `Action` declared in `entityTypes` list');
      defs.entities.add(qualify(nsName, name));
    }
    expectObject(ns.actions, `${p}/actions`, 'actions');
  }
  const actionTypes = new Set<string>();
  for (const [nsName, nsJson] of Object.entries(root)) {
    if (Object.keys((nsJson as { actions: object }).actions).length > 0) {
      actionTypes.add(qualify(nsName, 'Action'));
    }
  }

  const resolver = new TypeResolver(defs);
  const entityTypes = new Map<string, EntityTypeDef>();
  const actions = new Map<string, ActionDef>();
  const pendingMembers: {
    key: string;
    refs: { type: string | undefined; id: string; ns: string; pointer: string }[];
  }[] = [];

  for (const [nsName, nsJson] of Object.entries(root)) {
    const p = `/${pointerSegment(nsName)}`;
    const ns = nsJson as Record<string, Json>;
    // Common types are resolved eagerly so that unused ones are still checked (cycles, names).
    for (const name of Object.keys((ns.commonTypes ?? {}) as object)) {
      resolver.common(qualify(nsName, name));
    }
    for (const [name, etJson] of Object.entries(ns.entityTypes as Record<string, Json>)) {
      const ep = `${p}/entityTypes/${pointerSegment(name)}`;
      const et = expectObject(etJson, ep, 'an entity type');
      checkKeys(et, ['memberOfTypes', 'shape', 'tags', 'enum', 'annotations'], ep);
      const fullName = qualify(nsName, name);
      const memberOfTypes = (
        et.memberOfTypes === undefined
          ? []
          : expectStringArray(et.memberOfTypes, `${ep}/memberOfTypes`, 'memberOfTypes')
      ).map((n, i) => resolver.entityName(n, nsName, `${ep}/memberOfTypes/${i}`));
      let shape: RecordAttrs = new Map();
      if (et.shape !== undefined) {
        const t = resolver.type(et.shape, nsName, `${ep}/shape`, false);
        if (t.kind !== 'Record')
          fail(`${ep}/shape`, `the shape of entity type \`${fullName}\` must be a record`);
        shape = t.attrs;
      }
      const tags =
        et.tags === undefined ? undefined : resolver.type(et.tags, nsName, `${ep}/tags`, false);
      let enumValues: readonly string[] | undefined;
      if (et.enum !== undefined) {
        enumValues = expectStringArray(et.enum, `${ep}/enum`, 'enum');
        if (enumValues.length === 0)
          fail(`${ep}/enum`, `enumerated entity type \`${fullName}\` must have at least one value`);
        if (new Set(enumValues).size !== enumValues.length)
          fail(`${ep}/enum`, `enumerated entity type \`${fullName}\` has a duplicate value`);
        if (et.shape !== undefined || et.tags !== undefined || et.memberOfTypes !== undefined) {
          fail(ep, `enumerated entity type \`${fullName}\` cannot have a shape, tags or parents`);
        }
      }
      entityTypes.set(fullName, {
        name: fullName,
        memberOfTypes,
        shape,
        ...(tags ? { tags } : {}),
        ...(enumValues ? { enum: enumValues } : {}),
        annotations: annotationsOf(et.annotations, `${ep}/annotations`),
      });
    }
    const actionType = qualify(nsName, 'Action');
    for (const [id, aJson] of Object.entries(ns.actions as Record<string, Json>)) {
      const ap = `${p}/actions/${pointerSegment(id)}`;
      const a = expectObject(aJson, ap, 'an action');
      checkKeys(a, ['appliesTo', 'memberOf', 'annotations', 'attributes'], ap);
      if (a.attributes !== undefined)
        fail(`${ap}/attributes`, 'action attributes are not supported by Cedar 4');
      const key = actionKey(actionType, id);
      let appliesTo: ActionDef['appliesTo'];
      if (a.appliesTo !== undefined && a.appliesTo !== null) {
        const tp = `${ap}/appliesTo`;
        const at = expectObject(a.appliesTo, tp, 'appliesTo');
        checkKeys(at, ['principalTypes', 'resourceTypes', 'context'], tp);
        if (at.principalTypes === undefined) fail(tp, 'missing field `principalTypes`');
        if (at.resourceTypes === undefined) fail(tp, 'missing field `resourceTypes`');
        const principalTypes = expectStringArray(
          at.principalTypes,
          `${tp}/principalTypes`,
          'principalTypes',
        ).map((n, i) => resolver.entityName(n, nsName, `${tp}/principalTypes/${i}`));
        const resourceTypes = expectStringArray(
          at.resourceTypes,
          `${tp}/resourceTypes`,
          'resourceTypes',
        ).map((n, i) => resolver.entityName(n, nsName, `${tp}/resourceTypes/${i}`));
        let context: RecordAttrs = new Map();
        let contextOpen = false;
        if (at.context !== undefined) {
          const t = resolver.type(at.context, nsName, `${tp}/context`, false);
          if (t.kind !== 'Record')
            fail(`${tp}/context`, `the context of action \`${key}\` must be a record`);
          context = t.attrs;
          contextOpen = t.open;
        }
        if (principalTypes.length > 0 && resourceTypes.length > 0) {
          appliesTo = {
            principalTypes: dedupe(principalTypes),
            resourceTypes: dedupe(resourceTypes),
            context,
            contextOpen,
          };
        }
      }
      const refs: (typeof pendingMembers)[number]['refs'] = [];
      if (a.memberOf !== undefined) {
        if (!Array.isArray(a.memberOf)) fail(`${ap}/memberOf`, 'memberOf must be an array');
        a.memberOf.forEach((m: Json, i: number) => {
          const mp = `${ap}/memberOf/${i}`;
          const mo = expectObject(m, mp, 'a memberOf entry');
          checkKeys(mo, ['id', 'type'], mp);
          if (typeof mo.id !== 'string') fail(`${mp}/id`, 'an action id must be a string');
          if (mo.type !== undefined && (typeof mo.type !== 'string' || !isName(mo.type))) {
            fail(`${mp}/type`, 'an action type must be an entity type name');
          }
          refs.push({ type: mo.type as string | undefined, id: mo.id, ns: nsName, pointer: mp });
        });
      }
      pendingMembers.push({ key, refs });
      actions.set(key, {
        type: actionType,
        id,
        key,
        memberOf: [],
        ...(appliesTo ? { appliesTo } : {}),
        annotations: annotationsOf(a.annotations, `${ap}/annotations`),
      });
    }
  }
  // Action groups: each memberOf entry must name a declared action.
  for (const { key, refs } of pendingMembers) {
    const memberOf = refs.map((r) => {
      const candidates =
        r.type === undefined
          ? [qualify(r.ns, 'Action')]
          : r.type.includes('::')
            ? [r.type]
            : [qualify(r.ns, r.type), r.type];
      for (const t of candidates) {
        const k = actionKey(t, r.id);
        if (actions.has(k)) return k;
      }
      return fail(r.pointer, `undeclared action: ${actionKey(candidates[0]!, r.id)}`);
    });
    const def = actions.get(key)!;
    actions.set(key, { ...def, memberOf: dedupe(memberOf) });
  }
  const actionDescendants = new Map<string, Set<string>>();
  for (const key of actions.keys()) actionDescendants.set(key, new Set([key]));
  for (const key of actions.keys()) {
    // Walk up the groups; a path back to the start is a cycle.
    const stack = [...actions.get(key)!.memberOf];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (g === key) {
        const a = actions.get(key)!;
        fail(
          `/${pointerSegment(splitName(a.type)[0])}/actions/${pointerSegment(a.id)}/memberOf`,
          `cycle in action hierarchy containing \`${key}\``,
        );
      }
      if (seen.has(g)) continue;
      seen.add(g);
      actionDescendants.get(g)!.add(key);
      stack.push(...actions.get(g)!.memberOf);
    }
  }
  const entityDescendants = new Map<string, Set<string>>();
  for (const name of entityTypes.keys()) entityDescendants.set(name, new Set([name]));
  for (const name of entityTypes.keys()) {
    const stack = [...entityTypes.get(name)!.memberOfTypes];
    const seen = new Set<string>();
    while (stack.length > 0) {
      const g = stack.pop()!;
      if (seen.has(g)) continue;
      seen.add(g);
      entityDescendants.get(g)?.add(name);
      stack.push(...(entityTypes.get(g)?.memberOfTypes ?? []));
    }
  }
  return { entityTypes, actions, entityDescendants, actionDescendants, actionTypes };
}

function dedupe<T>(xs: readonly T[]): T[] {
  return [...new Set(xs)];
}

class TypeResolver {
  private readonly done = new Map<string, SchemaType>();
  private readonly active = new Set<string>();
  constructor(private readonly defs: Defs) {}

  /** The resolved type of a declared common type (fully qualified name). */
  common(name: string): SchemaType {
    const hit = this.done.get(name);
    if (hit) return hit;
    const def = this.defs.common.get(name)!;
    if (this.active.has(name))
      fail(def.pointer, `cycle in common type references containing \`${name}\``);
    this.active.add(name);
    const t = this.type(def.json, def.ns, def.pointer, true);
    this.active.delete(name);
    this.done.set(name, t);
    return t;
  }

  private isCommon(name: string): boolean {
    if (this.defs.common.has(name)) return true;
    const [ns, base] = splitName(name);
    if (ns === '__cedar') return base in PRIMITIVES || EXTENSION_TYPES.has(base);
    if (ns === '' && (base in PRIMITIVES || EXTENSION_TYPES.has(base)))
      return !this.defs.entities.has(name);
    return false;
  }

  private commonOrBuiltin(name: string): SchemaType {
    if (this.defs.common.has(name)) return this.common(name);
    const base = splitName(name)[1];
    return PRIMITIVES[base] ?? { kind: 'Extension', name: base };
  }

  private candidates(name: string, ns: string): string[] {
    return !name.includes('::') && ns !== '' ? [qualify(ns, name), name] : [name];
  }

  /** An entity type reference: `NS::X` first, then `X`. */
  entityName(name: string, ns: string, pointer: string): string {
    if (!isName(name)) fail(pointer, `invalid entity type name \`${name}\``);
    for (const c of this.candidates(name, ns)) if (this.defs.entities.has(c)) return c;
    return fail(
      pointer,
      `failed to resolve type: ${name}; \`${name}\` has not been declared as an entity type`,
    );
  }

  private entityOrCommon(
    name: string,
    ns: string,
    pointer: string,
    allowCommon: boolean,
  ): SchemaType {
    if (!isName(name)) fail(pointer, `invalid type name \`${name}\``);
    for (const c of this.candidates(name, ns)) {
      if (allowCommon && this.isCommon(c)) return this.commonOrBuiltin(c);
      if (this.defs.entities.has(c)) return { kind: 'Entity', name: c };
    }
    return fail(
      pointer,
      `failed to resolve type: ${name}; \`${name}\` has not been declared as a ${allowCommon ? 'common or entity type' : 'entity type'}`,
    );
  }

  type(v: Json, ns: string, pointer: string, _inCommon: boolean): SchemaType {
    const o = expectObject(v, pointer, 'a type');
    const ty = o.type;
    if (typeof ty !== 'string') fail(`${pointer}/type`, 'missing field `type` (a string)');
    const extra = ['required', 'annotations'];
    switch (ty) {
      case 'Long':
      case 'String':
      case 'Boolean':
        checkKeys(o, ['type', ...extra], pointer);
        return ty === 'Boolean' ? { kind: 'Bool' } : { kind: ty };
      case 'Set':
        checkKeys(o, ['type', 'element', ...extra], pointer);
        if (o.element === undefined) fail(pointer, 'missing field `element`');
        return { kind: 'Set', element: this.type(o.element, ns, `${pointer}/element`, false) };
      case 'Record': {
        checkKeys(o, ['type', 'attributes', 'additionalAttributes', ...extra], pointer);
        if (o.additionalAttributes !== undefined && typeof o.additionalAttributes !== 'boolean') {
          fail(`${pointer}/additionalAttributes`, 'additionalAttributes must be a boolean');
        }
        const attrsJson =
          o.attributes === undefined
            ? {}
            : expectObject(o.attributes, `${pointer}/attributes`, 'attributes');
        const attrs = new Map<string, AttributeType>();
        for (const [name, aj] of Object.entries(attrsJson)) {
          const ap = `${pointer}/attributes/${pointerSegment(name)}`;
          const a = expectObject(aj, ap, 'an attribute type');
          if (a.required !== undefined && typeof a.required !== 'boolean')
            fail(`${ap}/required`, '`required` must be a boolean');
          annotationsOf(a.annotations, `${ap}/annotations`);
          attrs.set(name, { type: this.type(a, ns, ap, false), required: a.required !== false });
        }
        return { kind: 'Record', attrs, open: o.additionalAttributes === true };
      }
      case 'Entity':
      case 'Extension':
      case 'EntityOrCommon': {
        checkKeys(o, ['type', 'name', ...extra], pointer);
        const name = o.name;
        if (typeof name !== 'string') fail(`${pointer}/name`, 'missing field `name` (a string)');
        if (ty === 'Entity')
          return { kind: 'Entity', name: this.entityName(name, ns, `${pointer}/name`) };
        if (ty === 'Extension') {
          if (!EXTENSION_TYPES.has(name))
            fail(`${pointer}/name`, `unknown extension type \`${name}\``);
          return { kind: 'Extension', name };
        }
        return this.entityOrCommon(name, ns, pointer, true);
      }
      default: {
        // `{ "type": "Addr" }`: a common type reference.
        checkKeys(o, ['type', ...extra], pointer);
        if (!isName(ty)) fail(`${pointer}/type`, `invalid type \`${ty}\``);
        for (const c of this.candidates(ty, ns))
          if (this.isCommon(c)) return this.commonOrBuiltin(c);
        return fail(
          pointer,
          `failed to resolve type: ${ty}; \`${ty}\` has not been declared as a common type`,
        );
      }
    }
  }
}

/** Turns resolver failures into `E_SCHEMA_PARSE` with the pointer (JSON input). */
export function resolveOrThrow(
  json: SchemaJson | Json,
  toDetails?: (pointer: string) => Record<string, unknown> | undefined,
): SchemaModel {
  try {
    return resolveSchemaJson(json);
  } catch (e) {
    if (!(e instanceof SchemaResolveError)) throw e;
    const details = toDetails?.(e.pointer) ?? { pointer: e.pointer };
    const where =
      'line' in details
        ? `line ${String(details.line)}, column ${String(details.column)}`
        : `at ${e.pointer || '/'}`;
    throw policyErrors.create('E_SCHEMA_PARSE', `${e.message} (${where})`, { details });
  }
}
