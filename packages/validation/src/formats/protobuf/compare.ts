import protobuf from 'protobufjs';
import type { FlaggedChange } from '../../format-plugin.js';
import type { ProtobufStrictness } from '../../types.js';
import {
  ALL,
  type Category,
  compareEnum,
  compareService,
  type Emit,
  SOURCE,
} from './compare-enum-service.js';
import { compareMessage, mapEntries, type TypeNaming } from './compare-message.js';
import type { ParsedProtobuf } from './parse.js';

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

/** A type's name relative to the package of the file that declares it. */
function relative(p: ParsedProtobuf, full: string): string {
  return p.package === '' ? full : full.slice(p.package.length + 1);
}

function namingOf(p: ParsedProtobuf): TypeNaming {
  return {
    // Types match by full name (after a package change nothing matches, as in Buf).
    key: (full) => full,
    syntaxOf: (o) => {
      const e = (o as { _edition?: string })._edition;
      if (e === undefined) return p.syntax;
      return e === 'proto2' || e === 'proto3' ? e : 'editions';
    },
  };
}

const kindName = (o: protobuf.ReflectionObject) =>
  o instanceof protobuf.Type ? 'MESSAGE' : o instanceof protobuf.Enum ? 'ENUM' : 'SERVICE';

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
  if (prev.package !== next.package)
    emit('FILE_SAME_PACKAGE', '', `package "${prev.package}" → "${next.package}"`, ALL);
  if (prev.syntax !== next.syntax)
    emit('FILE_SAME_SYNTAX', '', `syntax ${prev.syntax} → ${next.syntax}`, SOURCE);
  for (const [opt, dflt] of Object.entries(FILE_OPTIONS)) {
    const a = prev.fileOptions[opt] ?? dflt;
    const b = next.fileOptions[opt] ?? dflt;
    if (String(a) !== String(b))
      emit(
        `FILE_SAME_${opt.toUpperCase()}`,
        '',
        `file option ${opt} ${String(a)} → ${String(b)}`,
        SOURCE,
      );
  }
  const pn = namingOf(prev);
  const nn = namingOf(next);
  const a = collect(prev.root);
  const b = collect(next.root);
  /** Own types (and map entries) by name relative to the package: FILE's deletion rules. */
  const own = (p: ParsedProtobuf, all: Map<string, protobuf.ReflectionObject>) => {
    const m = new Map<string, string>();
    for (const [name, o] of all) {
      if (!p.ownTypes.has(name)) continue;
      m.set(relative(p, name), kindName(o));
      if (o instanceof protobuf.Type)
        for (const e of mapEntries(o)) m.set(`${relative(p, name)}.${e}`, 'MESSAGE');
    }
    return m;
  };
  const ownB = own(next, b);
  for (const [rel, kind] of own(prev, a))
    if (ownB.get(rel) !== kind)
      emit(`${kind}_NO_DELETE`, rel, `${kind.toLowerCase()} ${rel} deleted`, SOURCE);
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
  for (const [name, o] of b) {
    const old = a.get(name);
    if (old !== undefined && kindName(old) === kindName(o)) continue;
    emit(`${kindName(o)}_ADDED`, name, `${name} added`, null);
  }
  return out;
}
