import protobuf from 'protobufjs';
import type { FlaggedChange } from '../../format-plugin.js';
import type { ProtobufStrictness } from '../../types.js';
import {
  ALL,
  type Category,
  compareEnum,
  compareService,
  type Emit,
  FILE_ONLY,
  PACKAGE_ONLY,
  SOURCE,
} from './compare-enum-service.js';
import {
  compareExtension,
  compareMessage,
  mapEntries,
  type Syntax,
  type TypeNaming,
} from './compare-message.js';
import type { ParsedProtobuf, ProtoFile } from './parse.js';

/**
 * Protobuf breaking-change rules, as Buf defines them (`buf breaking`, v2 rules): the same rule
 * ids, the same categories, the same verdicts. `protobufStrictness` picks the category; a change
 * whose rule is not in it is still listed, as non-breaking.
 */

/** File options Buf compares in FILE (`FILE_SAME_<OPTION>`), with their defaults. */
const FILE_OPTIONS: Record<string, unknown> = {
  go_package: '',
  java_package: '',
  java_outer_classname: '',
  java_multiple_files: false,
  java_generic_services: false,
  cc_enable_arenas: true,
  cc_generic_services: false,
  py_generic_services: false,
  csharp_namespace: '',
  objc_class_prefix: '',
  php_namespace: '',
  php_class_prefix: '',
  php_metadata_namespace: '',
  ruby_package: '',
  swift_prefix: '',
  optimize_for: 'SPEED',
};

function collect(
  ns: protobuf.NamespaceBase,
  out = new Map<string, protobuf.ReflectionObject>(),
): Map<string, protobuf.ReflectionObject> {
  for (const n of ns.nestedArray) {
    if (n instanceof protobuf.Type || n instanceof protobuf.Enum || n instanceof protobuf.Service)
      out.set(n.fullName.slice(1), n);
    if (n instanceof protobuf.Namespace || n instanceof protobuf.Type) collect(n, out);
  }
  return out;
}

/** The package an object belongs to: the namespace above its outermost message. */
function packageOf(o: protobuf.ReflectionObject): string {
  let p = o.parent;
  while (p instanceof protobuf.Type) p = p.parent;
  return p === null || p instanceof protobuf.Root ? '' : p.fullName.slice(1);
}

/** A name relative to a package (`a.b.M.N` in `a.b` → `M.N`). */
const inPackage = (pkg: string, full: string) => (pkg === '' ? full : full.slice(pkg.length + 1));

function namingOf(p: ParsedProtobuf): TypeNaming {
  const fileSyntax = new Map<string, Syntax>();
  for (const f of p.files) for (const t of f.types) fileSyntax.set(t, f.syntax);
  return {
    // Types match by full name (after a package change nothing matches, as in Buf).
    key: (full) => full,
    syntaxOf: (o) => {
      const own = fileSyntax.get(o.fullName.slice(1));
      if (own !== undefined) return own;
      const e = (o as { _edition?: string })._edition;
      if (e === undefined) return p.syntax;
      return e === 'proto2' || e === 'proto3' ? e : 'editions';
    },
  };
}

const kindName = (o: protobuf.ReflectionObject) =>
  o instanceof protobuf.Type ? 'MESSAGE' : o instanceof protobuf.Enum ? 'ENUM' : 'SERVICE';

type Kind = 'MESSAGE' | 'ENUM' | 'SERVICE' | 'EXTENSION';

/** What a file declares, by kind and name (map entries are messages, as in descriptors). */
function declared(
  root: protobuf.Root,
  f: ProtoFile,
): Array<{ kind: Kind; full: string; pkg: string }> {
  const out: Array<{ kind: Kind; full: string; pkg: string }> = [];
  for (const full of f.types) {
    const o = root.lookup(full);
    if (o === null) continue;
    const pkg = packageOf(o);
    out.push({ kind: kindName(o), full, pkg });
    if (o instanceof protobuf.Type)
      for (const e of mapEntries(o)) out.push({ kind: 'MESSAGE', full: `${full}.${e}`, pkg });
  }
  for (const full of f.extensions) {
    const o = root.lookup(full);
    out.push({ kind: 'EXTENSION', full, pkg: o === null ? '' : packageOf(o) });
  }
  return out;
}

/** The file rules of one file present in both versions (Buf's FILE_SAME_* and *_NO_DELETE). */
function compareFile(
  prev: { parsed: ParsedProtobuf; file: ProtoFile },
  next: { parsed: ParsedProtobuf; file: ProtoFile },
  emit: Emit,
): void {
  const a = prev.file;
  const b = next.file;
  const where = a.name === '' ? '' : a.name;
  const of = a.name === '' ? '' : ` in reference "${a.name}"`;
  if ((a.package ?? '') !== (b.package ?? ''))
    emit(
      'FILE_SAME_PACKAGE',
      where,
      `package "${a.package ?? ''}" → "${b.package ?? ''}"${of}`,
      ALL,
    );
  if (a.syntax !== b.syntax)
    emit('FILE_SAME_SYNTAX', where, `syntax ${a.syntax} → ${b.syntax}${of}`, SOURCE);
  for (const [opt, dflt] of Object.entries(FILE_OPTIONS)) {
    const x = a.options[opt] ?? dflt;
    const y = b.options[opt] ?? dflt;
    if (String(x) !== String(y))
      emit(
        `FILE_SAME_${opt.toUpperCase()}`,
        where,
        `file option ${opt} ${String(x)} → ${String(y)}${of}`,
        SOURCE,
      );
  }
  // Declarations by name relative to the file's package (a JSON descriptor has none: full names).
  const own = (p: ParsedProtobuf, f: ProtoFile) =>
    new Map(
      declared(p.root, f).map((d) => [
        `${d.kind} ${f.package === undefined ? d.full : inPackage(f.package, d.full)}`,
        d,
      ]),
    );
  const kept = own(next.parsed, b);
  for (const [key, d] of own(prev.parsed, a)) {
    if (kept.has(key)) continue;
    const rel = key.slice(d.kind.length + 1);
    emit(`${d.kind}_NO_DELETE`, rel, `${d.kind.toLowerCase()} ${rel} deleted${of}`, FILE_ONLY);
  }
}

/** Buf's package rules over the whole file set: PACKAGE_NO_DELETE and PACKAGE_<KIND>_NO_DELETE. */
function comparePackages(prev: ParsedProtobuf, next: ParsedProtobuf, emit: Emit): void {
  const index = (p: ParsedProtobuf) => {
    const packages = new Set<string>();
    /** `kind` → package → names relative to the package. */
    const byKind = new Map<Kind, Map<string, Set<string>>>();
    for (const f of p.files) {
      const decl = declared(p.root, f);
      if (f.package !== undefined) packages.add(f.package);
      for (const d of decl) {
        packages.add(d.pkg);
        const m = byKind.get(d.kind) ?? new Map<string, Set<string>>();
        byKind.set(d.kind, m);
        const names = m.get(d.pkg) ?? new Set<string>();
        m.set(d.pkg, names);
        names.add(inPackage(d.pkg, d.full));
      }
    }
    return { packages, byKind };
  };
  const a = index(prev);
  const b = index(next);
  for (const pkg of a.packages)
    if (!b.packages.has(pkg))
      emit('PACKAGE_NO_DELETE', pkg, `package "${pkg}" deleted from the file set`, PACKAGE_ONLY);
  for (const [kind, packages] of a.byKind)
    for (const [pkg, names] of packages) {
      // As Buf: a package that now declares no message, enum or extension at all is not checked
      // for that kind; services are checked in every package that still exists.
      const now =
        b.byKind.get(kind)?.get(pkg) ??
        (kind === 'SERVICE' && b.packages.has(pkg) ? new Set<string>() : undefined);
      if (now === undefined) continue;
      for (const rel of names)
        if (!now.has(rel))
          emit(
            `PACKAGE_${kind}_NO_DELETE`,
            pkg === '' ? rel : `${pkg}.${rel}`,
            `${kind.toLowerCase()} ${rel} deleted from package "${pkg}"`,
            PACKAGE_ONLY,
          );
    }
}

export function compareProtobuf(
  prev: ParsedProtobuf,
  next: ParsedProtobuf,
  strictness: ProtobufStrictness,
): FlaggedChange[] {
  const out: FlaggedChange[] = [];
  const emit: Emit = (rule, path, message, categories: readonly Category[] | null) => {
    const breaks = categories !== null && categories.includes(strictness);
    out.push({
      rule,
      path,
      message,
      severity: breaks ? 'breaking' : 'additive',
      breaksBackward: breaks,
      breaksForward: breaks,
    });
  };
  const nextFiles = new Map(next.files.map((f) => [f.name, f]));
  for (const file of prev.files) {
    const now = nextFiles.get(file.name);
    if (now === undefined)
      emit('FILE_NO_DELETE', file.name, `reference "${file.name}" deleted`, FILE_ONLY);
    else compareFile({ parsed: prev, file }, { parsed: next, file: now }, emit);
  }
  comparePackages(prev, next, emit);
  const pn = namingOf(prev);
  const nn = namingOf(next);
  const a = collect(prev.root);
  const b = collect(next.root);
  const typeKey = (naming: TypeNaming) => (t: protobuf.Type | null | undefined, raw: string) =>
    t ? naming.key(t.fullName.slice(1)) : raw.replace(/^\./, '');
  for (const [name, o] of a) {
    const n = b.get(name);
    if (n === undefined || kindName(n) !== kindName(o)) continue;
    const syntaxA = pn.syntaxOf(o);
    const syntaxB = nn.syntaxOf(n);
    if (o instanceof protobuf.Type && n instanceof protobuf.Type)
      compareMessage(o, n, name, emit, pn, nn);
    else if (o instanceof protobuf.Enum && n instanceof protobuf.Enum)
      compareEnum(o, n, name, emit, {
        old: syntaxA !== 'proto2',
        new: syntaxB !== 'proto2',
        jsonOld: syntaxA === 'proto2' ? 'LEGACY_BEST_EFFORT' : 'ALLOW',
        jsonNew: syntaxB === 'proto2' ? 'LEGACY_BEST_EFFORT' : 'ALLOW',
      });
    else if (o instanceof protobuf.Service && n instanceof protobuf.Service)
      compareService(o, n, name, emit, typeKey(pn));
  }
  // Extensions are compared as fields of the message they extend, by number (as Buf does).
  const extensions = (p: ParsedProtobuf) => {
    const m = new Map<string, { field: protobuf.Field; syntax: Syntax }>();
    for (const f of p.files)
      for (const full of f.extensions) {
        const field = p.root.lookup(full);
        if (!(field instanceof protobuf.Field)) continue;
        const target = (field as { extensionField?: protobuf.Field }).extensionField?.parent;
        const extendee = target ? target.fullName.slice(1) : String(field.extend);
        m.set(`${extendee} ${field.id}`, { field, syntax: f.syntax });
      }
    return m;
  };
  const extB = extensions(next);
  for (const [key, o] of extensions(prev)) {
    const n = extB.get(key);
    if (n !== undefined)
      compareExtension(o.field, n.field, { old: o.syntax, new: n.syntax }, emit, pn, nn);
  }
  for (const [name, o] of b) {
    const old = a.get(name);
    if (old !== undefined && kindName(old) === kindName(o)) continue;
    emit(`${kindName(o)}_ADDED`, name, `${name} added`, null);
  }
  return out;
}
