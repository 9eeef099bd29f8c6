/**
 * An immutable set of Cedar policies, templates and template-linked policies, read from Cedar
 * text or Cedar's JSON policy-set format (`{ staticPolicies, templates, templateLinks }`).
 *
 * Ids: a policy's `@id("…")` annotation when it has one, else `policy0`, `policy1`, … by its
 * position in the text (templates count), which are the names Cedar gives the policies of a
 * text. In the JSON format the key of each policy is its id. Ids are unique across policies,
 * templates and links.
 *
 * Every change (`link`, `with`, `without`) returns a new set; the `Policy` objects of the old set
 * are shared, so an authorizer swapping sets recompiles only what is new. The `digest` is the
 * SHA-256 of the canonical JSON form, so two sets with the same policies under the same ids have
 * the same digest whatever their text layout.
 */
import { isPlinthError, sha256Hex } from '@plinth/core';
import { policyErrors } from './errors.js';
import { DEFAULT_POLICY_LIMITS } from './options.js';
import type { EntityRef, PolicyLimits } from './types.js';
import { isTemplate, type PolicyAst, type ScopeConstraint, type SlotName } from './internal/ast.js';
import { uidFromRef } from './internal/json-values.js';
import { parsePolicies, type ParsedPolicy } from './internal/parser.js';
import {
  policyFromJson,
  policyToJson,
  type EntityJsonRef,
  type PolicyJson,
} from './internal/policy-json.js';
import { printPolicy } from './internal/printer.js';
import type { EntityUID } from './internal/values.js';

/** The values of a template's slots, for {@link PolicySet.link}. */
export interface LinkSlots {
  readonly '?principal'?: EntityRef;
  readonly '?resource'?: EntityRef;
}

/** One policy, template or template-linked policy of a {@link PolicySet}. */
export interface Policy {
  readonly id: string;
  readonly effect: 'permit' | 'forbid';
  /** `static` policy, `template` (has slots, never evaluated) or `link` (a linked template). */
  readonly kind: 'static' | 'template' | 'link';
  /** The policy as written; for a link, the template with its slots replaced by the values. */
  readonly ast: PolicyAst;
  readonly annotations: ReadonlyMap<string, string>;
  /** For a link: the template it links. */
  readonly templateId?: string;
  /** For a link: the value of each slot. */
  readonly slots?: Readonly<Partial<Record<SlotName, EntityUID>>>;
  /** Cedar text: the source slice when read from text, else the printed policy. */
  readonly text: string;
}

/** One template link in Cedar's JSON policy-set format. */
export interface TemplateLinkJson {
  readonly templateId: string;
  readonly newId: string;
  readonly values: {
    readonly [slot: string]: EntityJsonRef | { readonly __entity: EntityJsonRef };
  };
}

/**
 * Cedar's JSON policy-set format. Policies may also be given as Cedar text, one per id; static
 * policies also as one text or a list (ids by `@id` or position), as cedar-wasm reads them.
 */
export interface PolicySetJson {
  readonly staticPolicies?:
    { readonly [id: string]: PolicyJson | string } | readonly (PolicyJson | string)[] | string;
  readonly templates?: { readonly [id: string]: PolicyJson | string };
  readonly templateLinks?: readonly TemplateLinkJson[];
}

/** What {@link PolicySet.toJson} writes: every part present. */
export interface PolicySetJsonOut {
  readonly staticPolicies: { readonly [id: string]: PolicyJson };
  readonly templates: { readonly [id: string]: PolicyJson };
  readonly templateLinks: readonly TemplateLinkJson[];
}

export interface PolicySetParseOptions {
  /** Input limits. @default DEFAULT_POLICY_LIMITS */
  readonly limits?: Partial<PolicyLimits>;
}

const SLOTS: readonly SlotName[] = ['?principal', '?resource'];

function freezePolicy(p: Policy): Policy {
  return Object.freeze(p);
}

function fromParsed(parsed: ParsedPolicy, position: number): Policy {
  const { ast, text } = parsed;
  return freezePolicy({
    id: ast.annotations.get('id') ?? `policy${position}`,
    effect: ast.effect,
    kind: isTemplate(ast) ? 'template' : 'static',
    ast,
    annotations: ast.annotations,
    text,
  });
}

function slotsOf(ast: PolicyAst): SlotName[] {
  const out: SlotName[] = [];
  const visit = (c: ScopeConstraint): void => {
    const t = c.op === '==' || c.op === 'in' ? c.target : c.op === 'is' ? c.in : undefined;
    if (t?.kind === 'slot' && !out.includes(t.name)) out.push(t.name);
  };
  visit(ast.principal);
  visit(ast.resource);
  return out;
}

function substitute(
  c: ScopeConstraint,
  values: Partial<Record<SlotName, EntityUID>>,
): ScopeConstraint {
  switch (c.op) {
    case '==':
    case 'in':
      if (c.target.kind !== 'slot') return c;
      return { op: c.op, target: { kind: 'entity', uid: values[c.target.name]! } };
    case 'is':
      if (c.in?.kind !== 'slot') return c;
      return {
        op: 'is',
        entityType: c.entityType,
        in: { kind: 'entity', uid: values[c.in.name]! },
      };
    default:
      return c;
  }
}

function linkError(message: string, details: Record<string, unknown>, cause?: unknown): never {
  throw policyErrors.create(
    'E_LINK',
    message,
    cause === undefined ? { details } : { details, cause },
  );
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function jsonError(message: string, path: string): never {
  throw policyErrors.create('E_PARSE', `policy set JSON ${path}: ${message}`, {
    details: { path },
  });
}

/**
 * Canonical JSON of a policy-set document, for the digest: keys sorted, no whitespace, and a
 * Long past ±(2^53 − 1) written exactly as `{"__long":"digits"}` (a `Value` holds no other
 * object with a string inside, so this cannot collide with written content).
 */
function canonical(v: unknown): string {
  return JSON.stringify(v, (_key, x: unknown) => {
    if (typeof x === 'bigint') return { __long: x.toString() };
    if (!isPlainObject(x)) return x;
    const keys = Object.keys(x);
    if (keys.length < 2) return x;
    keys.sort();
    // A null prototype keeps a `__proto__` key an ordinary property.
    const sorted = Object.create(null) as Record<string, unknown>;
    for (const k of keys) sorted[k] = x[k];
    return sorted;
  });
}

export class PolicySet {
  readonly #entries: readonly Policy[];
  readonly #byId: ReadonlyMap<string, Policy>;
  #policies: readonly Policy[] | undefined;
  #templates: readonly Policy[] | undefined;
  #digest: string | undefined;

  private constructor(entries: readonly Policy[]) {
    const byId = new Map<string, Policy>();
    for (const p of entries) {
      if (byId.has(p.id)) {
        throw policyErrors.create(
          'E_DUPLICATE_POLICY_ID',
          `two policies or templates have the id ${JSON.stringify(p.id)}`,
          { details: { id: p.id } },
        );
      }
      byId.set(p.id, p);
    }
    this.#entries = Object.freeze([...entries]);
    this.#byId = byId;
  }

  /** The empty set. */
  static empty(): PolicySet {
    return new PolicySet([]);
  }

  /** Parses Cedar policy text (policies and templates). Throws `E_PARSE`, `E_LIMIT_EXCEEDED`, `E_DUPLICATE_POLICY_ID`. */
  static parse(text: string, options: PolicySetParseOptions = {}): PolicySet {
    if (typeof text !== 'string') {
      throw policyErrors.create('E_INVALID_ARGUMENT', 'PolicySet.parse expects Cedar policy text');
    }
    return new PolicySet(parsePolicies(text, options.limits).map(fromParsed));
  }

  /**
   * Reads Cedar's JSON policy-set format (an object or its JSON text). A policy may be given as
   * JSON or as the Cedar text of one policy; its key is its id.
   */
  static fromJson(json: PolicySetJson | string, options: PolicySetParseOptions = {}): PolicySet {
    let doc: unknown = json;
    if (typeof json === 'string') {
      const max = options.limits?.maxDocumentSize ?? DEFAULT_POLICY_LIMITS.maxDocumentSize;
      if (json.length > max) {
        throw policyErrors.create(
          'E_LIMIT_EXCEEDED',
          `policy set JSON is ${json.length} characters, more than maxDocumentSize (${max})`,
          { details: { limit: 'maxDocumentSize', size: json.length, max } },
        );
      }
      try {
        doc = JSON.parse(json) as unknown;
      } catch (e) {
        throw policyErrors.create(
          'E_PARSE',
          `policy set JSON is not valid JSON: ${(e as Error).message}`,
          {
            cause: e,
          },
        );
      }
    }
    if (!isPlainObject(doc)) jsonError('expected an object', '');
    for (const k of Object.keys(doc)) {
      if (k !== 'staticPolicies' && k !== 'templates' && k !== 'templateLinks') {
        jsonError(`unknown field \`${k}\``, '');
      }
    }
    const entries: Policy[] = [];
    /** One policy given as JSON or as the text of one policy; `id` undefined: by annotation or position. */
    const readOne = (
      v: unknown,
      path: string,
      wantTemplate: boolean,
      id: string | undefined,
      position: number,
    ): Policy => {
      let ast: PolicyAst;
      let text: string | undefined;
      if (typeof v === 'string') {
        const parsed = parsePolicies(v, options.limits);
        if (parsed.length !== 1) jsonError(`expected one policy, found ${parsed.length}`, path);
        ast = parsed[0]!.ast;
        text = parsed[0]!.text;
      } else {
        try {
          ast = policyFromJson(v, options.limits);
        } catch (e) {
          if (isPlinthError(e, 'E_PARSE')) {
            throw policyErrors.create('E_PARSE', `policy set JSON ${path}: ${e.message}`, {
              details: { path },
              cause: e,
            });
          }
          throw e;
        }
      }
      if (isTemplate(ast) !== wantTemplate) {
        jsonError(
          wantTemplate
            ? 'expected a template, got a static policy'
            : 'expected a static policy, got a template',
          path,
        );
      }
      return freezePolicy({
        id: id ?? ast.annotations.get('id') ?? `policy${position}`,
        effect: ast.effect,
        kind: wantTemplate ? 'template' : 'static',
        ast,
        annotations: ast.annotations,
        text: text ?? printPolicy(ast),
      });
    };
    const read = (part: 'staticPolicies' | 'templates'): void => {
      const group = doc[part];
      if (group === undefined) return;
      const wantTemplate = part === 'templates';
      // As cedar-wasm also reads them: static policies as one text, or a list (ids by position).
      if (typeof group === 'string' && !wantTemplate) {
        parsePolicies(group, options.limits).forEach((p, i) => {
          const policy = fromParsed(p, i);
          if (policy.kind === 'template')
            jsonError('expected static policies, got a template', part);
          entries.push(policy);
        });
        return;
      }
      if (Array.isArray(group) && !wantTemplate) {
        group.forEach((v, i) => entries.push(readOne(v, `${part}[${i}]`, false, undefined, i)));
        return;
      }
      if (!isPlainObject(group)) jsonError('expected an object of id → policy', part);
      for (const [id, v] of Object.entries(group)) {
        entries.push(readOne(v, `${part}[${JSON.stringify(id)}]`, wantTemplate, id, 0));
      }
    };
    read('staticPolicies');
    read('templates');
    let set = new PolicySet(entries);
    const links = doc.templateLinks;
    if (links !== undefined) {
      if (!Array.isArray(links)) jsonError('expected an array', 'templateLinks');
      links.forEach((l, i) => {
        const path = `templateLinks[${i}]`;
        if (!isPlainObject(l)) jsonError('expected { templateId, newId, values }', path);
        const { templateId, newId, values } = l;
        if (typeof templateId !== 'string' || typeof newId !== 'string' || !isPlainObject(values)) {
          jsonError('expected { templateId: string, newId: string, values: object }', path);
        }
        set = set.link(templateId, newId, values as LinkSlots);
      });
    }
    return set;
  }

  /** Static and template-linked policies, in order (what an authorizer evaluates). */
  policies(): readonly Policy[] {
    return (this.#policies ??= Object.freeze(this.#entries.filter((p) => p.kind !== 'template')));
  }

  /** The templates, in order. */
  templates(): readonly Policy[] {
    return (this.#templates ??= Object.freeze(this.#entries.filter((p) => p.kind === 'template')));
  }

  /** The policy, template or link with that id. */
  get(id: string): Policy | undefined {
    return this.#byId.get(id);
  }

  /** How many policies (static and linked; templates are not counted). */
  get size(): number {
    return this.policies().length;
  }

  /**
   * Links template `templateId` as policy `newId`, each slot of the template given an entity.
   * Throws `E_LINK` (unknown template, a slot missing or extra, a value that is not an entity)
   * or `E_DUPLICATE_POLICY_ID`.
   */
  link(templateId: string, newId: string, slots: LinkSlots): PolicySet {
    const t = this.#byId.get(templateId);
    if (t === undefined || t.kind !== 'template') {
      linkError(`no template with the id ${JSON.stringify(templateId)}`, { templateId, newId });
    }
    if (typeof newId !== 'string')
      linkError('the linked policy id must be a string', { templateId });
    if (!isPlainObject(slots)) linkError('slot values must be an object', { templateId, newId });
    const wanted = slotsOf(t.ast);
    const given = Object.keys(slots);
    const extra = given.filter((k) => !wanted.includes(k as SlotName));
    if (extra.length > 0) {
      linkError(`template ${JSON.stringify(templateId)} has no slot ${extra.join(', ')}`, {
        templateId,
        newId,
        extra,
      });
    }
    const missing = wanted.filter((s) => !given.includes(s));
    if (missing.length > 0) {
      linkError(
        `slot ${missing.join(', ')} of template ${JSON.stringify(templateId)} has no value`,
        {
          templateId,
          newId,
          missing,
        },
      );
    }
    const values: Partial<Record<SlotName, EntityUID>> = {};
    for (const s of SLOTS) {
      if (!wanted.includes(s)) continue;
      try {
        values[s] = uidFromRef(slots[s], 'E_INVALID_VALUE', s);
      } catch (e) {
        linkError(
          `slot ${s} needs an entity: ${(e as Error).message}`,
          { templateId, newId, slot: s },
          e,
        );
      }
    }
    const ast: PolicyAst = {
      ...t.ast,
      principal: substitute(t.ast.principal, values),
      resource: substitute(t.ast.resource, values),
    };
    const linked = freezePolicy({
      id: newId,
      effect: t.effect,
      kind: 'link',
      ast,
      annotations: t.annotations,
      templateId,
      slots: Object.freeze(values),
      text: printPolicy(ast),
    });
    return new PolicySet([...this.#entries, linked]);
  }

  /**
   * This set and `other` together (`other` may be Cedar text, whose unannotated policies are
   * numbered after this set's policies and templates, as if the texts were one). Throws
   * `E_DUPLICATE_POLICY_ID` when an id is in both.
   */
  with(other: PolicySet | string, options: PolicySetParseOptions = {}): PolicySet {
    if (other instanceof PolicySet) return new PolicySet([...this.#entries, ...other.#entries]);
    if (typeof other !== 'string') {
      throw policyErrors.create('E_INVALID_ARGUMENT', 'with() expects a PolicySet or Cedar text');
    }
    const offset = this.#entries.filter((p) => p.kind !== 'link').length;
    const added = parsePolicies(other, options.limits).map((p, i) => fromParsed(p, offset + i));
    return new PolicySet([...this.#entries, ...added]);
  }

  /**
   * This set without the policies, templates or links with these ids. Throws `E_UNKNOWN_POLICY`
   * for an id not in the set, and `E_LINK` for a template whose links stay.
   */
  without(...ids: string[]): PolicySet {
    const drop = new Set(ids);
    for (const id of drop) {
      if (!this.#byId.has(id)) {
        throw policyErrors.create(
          'E_UNKNOWN_POLICY',
          `no policy or template with the id ${JSON.stringify(id)}`,
          {
            details: { id },
          },
        );
      }
    }
    for (const p of this.#entries) {
      if (p.kind === 'link' && !drop.has(p.id) && drop.has(p.templateId!)) {
        linkError(
          `template ${JSON.stringify(p.templateId)} is still linked by ${JSON.stringify(p.id)}; remove the link too`,
          { templateId: p.templateId, linkId: p.id },
        );
      }
    }
    return new PolicySet(this.#entries.filter((p) => !drop.has(p.id)));
  }

  /**
   * Cedar text of the static policies and templates (links have no text form; they are in
   * {@link toJson}). A policy whose id its position would not give back gets an `@id`, so the
   * text parses back to the same ids.
   */
  toText(): string {
    const out: string[] = [];
    let position = 0;
    for (const p of this.#entries) {
      if (p.kind === 'link') continue;
      const annotated = p.annotations.get('id');
      if (annotated === p.id || (annotated === undefined && p.id === `policy${position}`)) {
        out.push(p.text);
      } else if (annotated === undefined) {
        out.push(`@id(${JSON.stringify(p.id)})\n${p.text}`);
      } else {
        const annotations = new Map(p.annotations);
        annotations.set('id', p.id);
        out.push(printPolicy({ ...p.ast, annotations }));
      }
      position++;
    }
    return out.length === 0 ? '' : out.join('\n\n') + '\n';
  }

  /** Cedar's JSON policy-set format. Longs outside ±(2^53 − 1) are `bigint`s. */
  toJson(): PolicySetJsonOut {
    const staticPolicies: Record<string, PolicyJson> = {};
    const templates: Record<string, PolicyJson> = {};
    const templateLinks: TemplateLinkJson[] = [];
    for (const p of this.#entries) {
      if (p.kind === 'link') {
        const values: Record<string, EntityJsonRef> = {};
        for (const s of SLOTS) {
          const uid = p.slots?.[s];
          if (uid !== undefined) values[s] = { type: uid.type, id: uid.id };
        }
        templateLinks.push({ templateId: p.templateId!, newId: p.id, values });
      } else {
        Object.defineProperty(p.kind === 'template' ? templates : staticPolicies, p.id, {
          value: policyToJson(p.ast),
          enumerable: true,
          writable: true,
          configurable: true,
        });
      }
    }
    return { staticPolicies, templates, templateLinks };
  }

  /** SHA-256 (hex) of the canonical JSON form. */
  get digest(): string {
    return (this.#digest ??= sha256Hex(canonical(this.toJson())));
  }
}
