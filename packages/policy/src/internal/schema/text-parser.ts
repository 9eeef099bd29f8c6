/**
 * Cedar's human schema syntax → Cedar's JSON schema format, as `schemaToJson` converts it:
 * names stay as written (`EntityOrCommon`), resolution happens afterwards in `resolve.ts`.
 * Every name reference records its offset under its JSON pointer, so that resolution errors
 * found on the JSON can point back into the text.
 */
import { policyErrors } from '../../errors.js';
import type {
  ActionJson,
  ActionRefJson,
  Annotations,
  AttributeTypeJson,
  EntityTypeJson,
  NamespaceJson,
  SchemaJson,
  SchemaTypeJson,
} from './model.js';

type TokKind = 'ident' | 'string' | 'punct' | 'eof';
interface Token {
  readonly kind: TokKind;
  readonly value: string;
  readonly start: number;
}

/** What the text parser returns: the JSON form and the offsets of the names it references. */
export interface ParsedSchemaText {
  readonly json: SchemaJson;
  /** JSON pointer of a declaration or name reference → offset in the text. */
  readonly offsets: ReadonlyMap<string, number>;
}

const RESERVED_TYPE_NAMES = new Set([
  'Bool',
  'Boolean',
  'Entity',
  'Extension',
  'Long',
  'Record',
  'Set',
  'String',
]);

/** 1-based line and column of an offset. */
export function textLineColumn(text: string, offset: number): { line: number; column: number } {
  let line = 1;
  let lineStart = 0;
  for (let i = 0; i < offset && i < text.length; i++) {
    if (text.charCodeAt(i) === 10) {
      line++;
      lineStart = i + 1;
    }
  }
  return { line, column: offset - lineStart + 1 };
}

/** Escapes one JSON pointer segment (RFC 6901). */
export function pointerSegment(s: string): string {
  return s.replace(/~/g, '~0').replace(/\//g, '~1');
}

function parseError(text: string, offset: number, message: string): Error {
  const { line, column } = textLineColumn(text, offset);
  return policyErrors.create('E_SCHEMA_PARSE', `${message} (line ${line}, column ${column})`, {
    details: { line, column, offset },
  });
}

function tokenize(text: string): Token[] {
  const out: Token[] = [];
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '\f' || c === '\v') {
      i++;
      continue;
    }
    if (c === '/' && text[i + 1] === '/') {
      while (i < n && text[i] !== '\n') i++;
      continue;
    }
    if (/[A-Za-z_]/.test(c)) {
      const start = i;
      while (i < n && /[A-Za-z0-9_]/.test(text[i]!)) i++;
      out.push({ kind: 'ident', value: text.slice(start, i), start });
      continue;
    }
    if (c === '"') {
      const start = i;
      i++;
      let value = '';
      for (;;) {
        if (i >= n) throw parseError(text, start, 'unterminated string literal');
        const d = text[i]!;
        if (d === '"') {
          i++;
          break;
        }
        if (d === '\\') {
          const e = text[i + 1];
          i += 2;
          switch (e) {
            case 'n':
              value += '\n';
              break;
            case 'r':
              value += '\r';
              break;
            case 't':
              value += '\t';
              break;
            case '\\':
              value += '\\';
              break;
            case '0':
              value += '\0';
              break;
            case "'":
              value += "'";
              break;
            case '"':
              value += '"';
              break;
            case 'u': {
              const m = /^\{([0-9a-fA-F]{1,6})\}/.exec(text.slice(i));
              const cp = m ? parseInt(m[1]!, 16) : NaN;
              if (!m || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) {
                throw parseError(text, i - 2, 'invalid unicode escape in string literal');
              }
              value += String.fromCodePoint(cp);
              i += m[0].length;
              break;
            }
            default:
              throw parseError(text, i - 2, 'invalid escape sequence in string literal');
          }
          continue;
        }
        value += d;
        i++;
      }
      out.push({ kind: 'string', value, start });
      continue;
    }
    if (c === ':' && text[i + 1] === ':') {
      out.push({ kind: 'punct', value: '::', start: i });
      i += 2;
      continue;
    }
    if ('{}[]()<>,;:?=@'.includes(c)) {
      out.push({ kind: 'punct', value: c, start: i });
      i++;
      continue;
    }
    throw parseError(text, i, `invalid token \`${c}\``);
  }
  out.push({ kind: 'eof', value: '', start: n });
  return out;
}

interface MutableNamespace {
  commonTypes: Record<string, SchemaTypeJson & { annotations?: Annotations }>;
  entityTypes: Record<string, EntityTypeJson>;
  actions: Record<string, ActionJson>;
  annotations?: Annotations;
}

class TextParser {
  private readonly toks: Token[];
  private pos = 0;
  readonly offsets = new Map<string, number>();

  constructor(private readonly text: string) {
    this.toks = tokenize(text);
  }

  private peek(k = 0): Token {
    return this.toks[Math.min(this.pos + k, this.toks.length - 1)]!;
  }
  private next(): Token {
    const t = this.peek();
    if (this.pos < this.toks.length - 1) this.pos++;
    return t;
  }
  private fail(t: Token, message: string): never {
    throw parseError(this.text, t.start, message);
  }
  private describe(t: Token): string {
    return t.kind === 'eof'
      ? 'end of input'
      : `token \`${t.kind === 'string' ? JSON.stringify(t.value) : t.value}\``;
  }
  private isPunct(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'punct' && t.value === v;
  }
  private isWord(v: string, k = 0): boolean {
    const t = this.peek(k);
    return t.kind === 'ident' && t.value === v;
  }
  private expectPunct(v: string): Token {
    const t = this.next();
    if (t.kind !== 'punct' || t.value !== v)
      this.fail(t, `unexpected ${this.describe(t)}, expected \`${v}\``);
    return t;
  }
  private expectIdent(what: string): Token {
    const t = this.next();
    if (t.kind !== 'ident') this.fail(t, `unexpected ${this.describe(t)}, expected ${what}`);
    return t;
  }
  /** IDENT or string literal. */
  private expectName(what: string): Token {
    const t = this.next();
    if (t.kind !== 'ident' && t.kind !== 'string') {
      this.fail(t, `unexpected ${this.describe(t)}, expected ${what}`);
    }
    return t;
  }

  parse(): ParsedSchemaText {
    const json: Record<string, MutableNamespace> = {};
    const nsStart = new Map<string, number>();
    const ensure = (ns: string): MutableNamespace =>
      (json[ns] ??= { commonTypes: {}, entityTypes: {}, actions: {} });
    while (this.peek().kind !== 'eof') {
      const annStart = this.peek();
      const annotations = this.annotations();
      if (this.isWord('namespace')) {
        const kw = this.next();
        const pathTok = this.peek();
        const path = this.path();
        if (path === '__cedar' || path.startsWith('__cedar::')) {
          this.fail(pathTok, 'use of the reserved `__cedar` namespace');
        }
        if (nsStart.has(path) || (path === '' && json[''] !== undefined)) {
          this.fail(pathTok, `duplicate namespace id: \`${path}\``);
        }
        nsStart.set(path, kw.start);
        const ns = ensure(path);
        if (Object.keys(annotations).length > 0) ns.annotations = annotations;
        this.expectPunct('{');
        while (!this.isPunct('}')) {
          if (this.peek().kind === 'eof')
            this.fail(this.peek(), 'unexpected end of input, expected `}`');
          this.declaration(path, ns, this.annotations(), this.peek());
        }
        this.next();
      } else {
        this.declaration('', ensure(''), annotations, annStart);
      }
    }
    return { json: finish(json), offsets: this.offsets };
  }

  private annotations(): Annotations {
    const out: Record<string, string> = {};
    while (this.isPunct('@')) {
      this.next();
      const name = this.expectIdent('an annotation name');
      let value = '';
      if (this.isPunct('(')) {
        this.next();
        const v = this.next();
        if (v.kind !== 'string')
          this.fail(v, `unexpected ${this.describe(v)}, expected a string literal`);
        value = v.value;
        this.expectPunct(')');
      }
      if (Object.hasOwn(out, name.value)) this.fail(name, `duplicate annotation: @${name.value}`);
      out[name.value] = value;
    }
    return out;
  }

  private path(): string {
    let p = this.expectIdent('an identifier').value;
    while (this.isPunct('::') && this.peek(1).kind === 'ident') {
      this.next();
      p += '::' + this.next().value;
    }
    return p;
  }

  private declaration(
    nsName: string,
    ns: MutableNamespace,
    annotations: Annotations,
    at: Token,
  ): void {
    const kw = this.peek();
    const base = `/${pointerSegment(nsName)}`;
    if (this.isWord('entity')) {
      this.next();
      this.entity(base, ns, annotations);
    } else if (this.isWord('action')) {
      this.next();
      this.action(base, ns, annotations);
    } else if (this.isWord('type')) {
      this.next();
      const name = this.expectIdent('a common type name');
      if (RESERVED_TYPE_NAMES.has(name.value)) {
        this.fail(name, `this uses a reserved schema keyword: \`${name.value}\``);
      }
      this.expectPunct('=');
      const ptr = `${base}/commonTypes/${pointerSegment(name.value)}`;
      const ty = this.type(ptr);
      this.expectPunct(';');
      if (Object.hasOwn(ns.commonTypes, name.value))
        this.fail(name, `\`${name.value}\` is declared twice`);
      this.offsets.set(ptr, name.start);
      ns.commonTypes[name.value] =
        Object.keys(annotations).length > 0 ? { ...ty, annotations } : ty;
    } else {
      this.fail(
        kw === at ? kw : kw,
        `unexpected ${this.describe(kw)}, expected \`entity\`, \`action\`, \`type\` or \`namespace\``,
      );
    }
  }

  private entity(base: string, ns: MutableNamespace, annotations: Annotations): void {
    const names: Token[] = [this.expectIdent('an entity type name')];
    while (this.isPunct(',')) {
      this.next();
      names.push(this.expectIdent('an entity type name'));
    }
    const def: {
      memberOfTypes?: string[];
      shape?: SchemaTypeJson;
      tags?: SchemaTypeJson;
      enum?: string[];
    } = {};
    const refs: { suffix: string; start: number }[] = [];
    if (this.isWord('enum')) {
      this.next();
      this.expectPunct('[');
      const values: string[] = [];
      for (;;) {
        const v = this.next();
        if (v.kind !== 'string')
          this.fail(v, `unexpected ${this.describe(v)}, expected a string literal`);
        values.push(v.value);
        if (this.isPunct(',')) {
          this.next();
          if (this.isPunct(']')) break;
          continue;
        }
        break;
      }
      this.expectPunct(']');
      def.enum = values;
    } else {
      if (this.isWord('in')) {
        this.next();
        def.memberOfTypes = [];
        const one = (): void => {
          const t = this.peek();
          refs.push({ suffix: `/memberOfTypes/${def.memberOfTypes!.length}`, start: t.start });
          def.memberOfTypes!.push(this.path());
        };
        if (this.isPunct('[')) {
          this.next();
          while (!this.isPunct(']')) {
            one();
            if (!this.isPunct(',')) break;
            this.next();
          }
          this.expectPunct(']');
        } else {
          one();
        }
      }
      if (this.isPunct('=') || this.isPunct('{')) {
        if (this.isPunct('=')) this.next();
        if (!this.isPunct('{'))
          this.fail(this.peek(), `unexpected ${this.describe(this.peek())}, expected \`{\``);
        def.shape = this.recordType('\0shape');
      }
      if (this.isWord('tags')) {
        this.next();
        def.tags = this.type('\0tags');
      }
    }
    this.expectPunct(';');
    for (const name of names) {
      if (name.value === 'Action')
        this.fail(name, 'entity type `Action` declared in `entityTypes` list');
      if (Object.hasOwn(ns.entityTypes, name.value))
        this.fail(name, `\`${name.value}\` is declared twice`);
      const ptr = `${base}/entityTypes/${pointerSegment(name.value)}`;
      this.offsets.set(ptr, name.start);
      for (const r of refs) this.offsets.set(ptr + r.suffix, r.start);
      this.relocate('\0shape', `${ptr}/shape`);
      this.relocate('\0tags', `${ptr}/tags`);
      const out: EntityTypeJson = {
        ...(def.memberOfTypes ? { memberOfTypes: [...def.memberOfTypes] } : {}),
        ...(def.shape ? { shape: def.shape } : {}),
        ...(def.tags ? { tags: def.tags } : {}),
        ...(def.enum ? { enum: [...def.enum] } : {}),
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      };
      ns.entityTypes[name.value] = out;
    }
    this.dropPlaceholder('\0shape');
    this.dropPlaceholder('\0tags');
  }

  /** Copies offsets recorded under a placeholder prefix to a real pointer prefix. */
  private relocate(placeholder: string, real: string): void {
    for (const [k, v] of [...this.offsets]) {
      if (k.startsWith(placeholder)) this.offsets.set(real + k.slice(placeholder.length), v);
    }
  }
  private dropPlaceholder(placeholder: string): void {
    for (const k of [...this.offsets.keys()]) if (k.startsWith(placeholder)) this.offsets.delete(k);
  }

  private action(base: string, ns: MutableNamespace, annotations: Annotations): void {
    const names: Token[] = [this.expectName('an action name')];
    while (this.isPunct(',')) {
      this.next();
      names.push(this.expectName('an action name'));
    }
    let memberOf: ActionRefJson[] | undefined;
    const memberStarts: number[] = [];
    if (this.isWord('in')) {
      this.next();
      memberOf = [];
      const one = (): void => {
        const t = this.peek();
        memberStarts.push(t.start);
        if (t.kind === 'string') {
          this.next();
          memberOf!.push({ id: t.value });
          return;
        }
        const first = this.expectIdent('an action name');
        let path = first.value;
        for (;;) {
          if (this.isPunct('::') && this.peek(1).kind === 'ident') {
            this.next();
            path += '::' + this.next().value;
          } else if (this.isPunct('::') && this.peek(1).kind === 'string') {
            this.next();
            memberOf!.push({ id: this.next().value, type: path });
            return;
          } else break;
        }
        if (path.includes('::'))
          this.fail(
            t,
            `unexpected ${this.describe(this.peek())}, expected \`::\` and a string literal`,
          );
        memberOf!.push({ id: path });
      };
      if (this.isPunct('[')) {
        this.next();
        while (!this.isPunct(']')) {
          one();
          if (!this.isPunct(',')) break;
          this.next();
        }
        this.expectPunct(']');
      } else {
        one();
      }
    }
    let appliesTo: ActionJson['appliesTo'];
    const appliesOffsets: [string, number][] = [];
    if (this.isWord('appliesTo')) {
      const kw = this.next();
      this.expectPunct('{');
      let principal: string[] | undefined;
      let resource: string[] | undefined;
      let context: SchemaTypeJson | undefined;
      while (!this.isPunct('}')) {
        const key = this.expectIdent('`principal`, `resource` or `context`');
        this.expectPunct(':');
        if (key.value === 'principal' || key.value === 'resource') {
          if ((key.value === 'principal' ? principal : resource) !== undefined) {
            this.fail(
              key,
              `duplicate \`${key.value}\` declaration in action \`${names[0]!.value}\``,
            );
          }
          const list: string[] = [];
          const field = key.value === 'principal' ? 'principalTypes' : 'resourceTypes';
          const one = (): void => {
            appliesOffsets.push([`/appliesTo/${field}/${list.length}`, this.peek().start]);
            list.push(this.path());
          };
          if (this.isPunct('[')) {
            const open = this.next();
            while (!this.isPunct(']')) {
              one();
              if (!this.isPunct(',')) break;
              this.next();
            }
            this.expectPunct(']');
            if (list.length === 0) {
              this.fail(
                open,
                `for action \`${names[0]!.value}\`, \`${key.value}\` is \`[]\`, which is invalid`,
              );
            }
          } else {
            one();
          }
          if (key.value === 'principal') principal = list;
          else resource = list;
        } else if (key.value === 'context') {
          if (context !== undefined) {
            this.fail(key, `duplicate \`context\` declaration in action \`${names[0]!.value}\``);
          }
          if (this.isPunct('{')) {
            context = this.recordType('\0context');
          } else {
            const t = this.peek();
            const name = this.path();
            appliesOffsets.push(['/appliesTo/context', t.start]);
            context = { type: name };
          }
        } else {
          this.fail(
            key,
            `unexpected ${this.describe(key)}, expected \`principal\`, \`resource\` or \`context\``,
          );
        }
        if (!this.isPunct(',')) break;
        this.next();
      }
      this.expectPunct('}');
      if (principal === undefined) {
        this.fail(kw, `missing \`principal\` declaration for \`${names[0]!.value}\``);
      }
      if (resource === undefined) {
        this.fail(kw, `missing \`resource\` declaration for \`${names[0]!.value}\``);
      }
      appliesTo = {
        resourceTypes: resource,
        principalTypes: principal,
        ...(context !== undefined ? { context } : {}),
      };
    }
    this.expectPunct(';');
    for (const name of names) {
      if (Object.hasOwn(ns.actions, name.value))
        this.fail(name, `\`${name.value}\` is declared twice`);
      const ptr = `${base}/actions/${pointerSegment(name.value)}`;
      this.offsets.set(ptr, name.start);
      memberStarts.forEach((s, i) => this.offsets.set(`${ptr}/memberOf/${i}`, s));
      for (const [suffix, s] of appliesOffsets) this.offsets.set(ptr + suffix, s);
      this.relocate('\0context', `${ptr}/appliesTo/context`);
      ns.actions[name.value] = {
        appliesTo: appliesTo
          ? {
              resourceTypes: [...appliesTo.resourceTypes],
              principalTypes: [...appliesTo.principalTypes],
              ...(appliesTo.context ? { context: appliesTo.context } : {}),
            }
          : { resourceTypes: [], principalTypes: [] },
        ...(memberOf ? { memberOf: memberOf.map((m) => ({ ...m })) } : {}),
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
      };
    }
    this.dropPlaceholder('\0context');
  }

  /** Type ::= Path | 'Set' '<' Type '>' | RecType. `ptr` is where the type sits in the JSON. */
  private type(ptr: string): SchemaTypeJson {
    if (this.isPunct('{')) return this.recordType(ptr);
    const t = this.peek();
    if (t.kind !== 'ident') this.fail(t, `unexpected ${this.describe(t)}, expected a type`);
    if (t.value === 'Set' && this.isPunct('<', 1)) {
      this.next();
      this.next();
      const element = this.type(`${ptr}/element`);
      this.expectPunct('>');
      return { type: 'Set', element };
    }
    const name = this.path();
    this.offsets.set(ptr, t.start);
    return { type: 'EntityOrCommon', name };
  }

  private recordType(ptr: string): SchemaTypeJson {
    const open = this.expectPunct('{');
    this.offsets.set(ptr, open.start);
    const attributes: Record<string, AttributeTypeJson> = {};
    while (!this.isPunct('}')) {
      const annotations = this.annotations();
      const name = this.expectName('an attribute name');
      let required = true;
      if (this.isPunct('?')) {
        this.next();
        required = false;
      }
      this.expectPunct(':');
      const aptr = `${ptr}/attributes/${pointerSegment(name.value)}`;
      const ty = this.type(aptr);
      const attr: AttributeTypeJson = {
        ...ty,
        ...(Object.keys(annotations).length > 0 ? { annotations } : {}),
        ...(required ? {} : { required: false }),
      } as AttributeTypeJson;
      attributes[name.value] = attr;
      if (!this.isPunct(',')) break;
      this.next();
    }
    this.expectPunct('}');
    return { type: 'Record', attributes };
  }
}

function finish(json: Record<string, MutableNamespace>): SchemaJson {
  const out: Record<string, NamespaceJson> = {};
  for (const [name, ns] of Object.entries(json)) {
    out[name] = {
      ...(Object.keys(ns.commonTypes).length > 0 ? { commonTypes: ns.commonTypes } : {}),
      entityTypes: ns.entityTypes,
      actions: ns.actions,
      ...(ns.annotations ? { annotations: ns.annotations } : {}),
    };
  }
  return out;
}

/** Parses Cedar schema text into Cedar's JSON schema format (unresolved). */
export function parseSchemaText(text: string): ParsedSchemaText {
  return new TextParser(text).parse();
}
