import { isObject } from '../../internal/json.js';

/** Resolves `$ref`s inside one schema and across its named references. */
export class RefResolver {
  readonly #byName = new Map<string, unknown>();

  constructor(
    readonly root: unknown,
    references: ReadonlyArray<{ readonly name: string; readonly schema: unknown }>,
  ) {
    for (const r of references) {
      this.#byName.set(r.name, r.schema);
      const id = isObject(r.schema) ? r.schema.$id : undefined;
      if (typeof id === 'string') this.#byName.set(id.replace(/#$/, ''), r.schema);
    }
    const rootId = isObject(root) ? root.$id : undefined;
    if (typeof rootId === 'string') this.#byName.set(rootId.replace(/#$/, ''), root);
  }

  /** The schema a `$ref` points to (from inside `doc`), with the document it lives in. */
  resolve(ref: string, doc: unknown): { schema: unknown; doc: unknown } | undefined {
    const hash = ref.indexOf('#');
    const base = hash < 0 ? ref : ref.slice(0, hash);
    const fragment = hash < 0 ? '' : ref.slice(hash + 1);
    let target = base === '' ? doc : this.#byName.get(base);
    if (target === undefined && base !== '') {
      // A relative name resolved against nothing: try the last path segment.
      const tail = base.split('/').pop() ?? base;
      for (const [k, v] of this.#byName) if (k.endsWith(`/${tail}`) || k === tail) target = v;
    }
    if (target === undefined) return undefined;
    const d = target;
    if (fragment === '' || fragment === '/') return { schema: target, doc: d };
    if (!fragment.startsWith('/')) {
      const found = findAnchor(target, fragment);
      return found === undefined ? undefined : { schema: found, doc: d };
    }
    let cur: unknown = target;
    for (const raw of fragment.slice(1).split('/')) {
      const key = decodeURIComponent(raw).replace(/~1/g, '/').replace(/~0/g, '~');
      if (Array.isArray(cur)) cur = cur[Number(key)];
      else if (isObject(cur)) cur = cur[key];
      else return undefined;
    }
    return cur === undefined ? undefined : { schema: cur, doc: d };
  }
}

function findAnchor(schema: unknown, anchor: string): unknown {
  const stack = [schema];
  while (stack.length > 0) {
    const s = stack.pop();
    if (!isObject(s) && !Array.isArray(s)) continue;
    if (isObject(s) && (s.$anchor === anchor || s.$id === `#${anchor}`)) return s;
    for (const v of Object.values(s)) if (typeof v === 'object' && v !== null) stack.push(v);
  }
  return undefined;
}
