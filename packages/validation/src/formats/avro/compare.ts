import type { FlaggedChange } from '../../format-plugin.js';
import { jsonEqual, ptr } from '../../internal/json.js';
import { AvroResolver, namesMatch, writerFieldFor } from './resolve.js';
import { type AvroField, type AvroNode, branchKey } from './schema.js';

const COSMETIC = new Set([
  'AVRO_DOC_CHANGED',
  'AVRO_ALIASES_CHANGED',
  'AVRO_FIELD_ORDER_CHANGED',
  'AVRO_FIELD_MOVED',
  'AVRO_ENUM_SYMBOLS_REORDERED',
  'AVRO_PROPERTY_CHANGED',
]);

/**
 * Structural diff of two Avro schemas. Each change carries whether it breaks BACKWARD (new
 * reader, old writer) or FORWARD (old reader, new writer), computed with the specification's
 * resolution rules at that node.
 */
export function compareAvro(prev: AvroNode, next: AvroNode): FlaggedChange[] {
  const out: FlaggedChange[] = [];
  const resolver = new AvroResolver();
  const seen = new Map<AvroNode, Set<AvroNode>>();
  const emit = (
    rule: string,
    path: string,
    message: string,
    breaksBackward: boolean,
    breaksForward: boolean,
    forceBreaking = false,
  ) => {
    const severity = COSMETIC.has(rule)
      ? 'cosmetic'
      : breaksBackward || breaksForward || forceBreaking
        ? 'breaking'
        : 'additive';
    out.push({ rule, path, severity, message, breaksBackward, breaksForward });
  };
  const flags = (o: AvroNode, n: AvroNode): [boolean, boolean] => [
    !resolver.canRead(n, o),
    !resolver.canRead(o, n),
  ];

  const walk = (o: AvroNode, n: AvroNode, path: string): void => {
    if (o === n) return;
    if (o.kind === 'record') {
      // Only named types can recurse.
      let pairs = seen.get(o);
      if (pairs === undefined) seen.set(o, (pairs = new Set()));
      if (pairs.has(n)) return;
      pairs.add(n);
    }
    if (o.logicalType !== n.logicalType) {
      emit(
        'AVRO_LOGICAL_TYPE_CHANGED',
        ptr(path, 'logicalType'),
        `logical type ${o.logicalType ?? 'none'} → ${n.logicalType ?? 'none'}`,
        false,
        false,
        true,
      );
    }
    if (o.kind === 'union' && n.kind === 'union') {
      const nk = new Map(n.branches.map((b, i) => [branchKey(b), i]));
      const ok = new Map(o.branches.map((b, i) => [branchKey(b), i]));
      o.branches.forEach((b, i) => {
        const j = nk.get(branchKey(b));
        if (j !== undefined) walk(b, n.branches[j] as AvroNode, ptr(path, j));
        else
          emit(
            'AVRO_UNION_BRANCH_REMOVED',
            ptr(path, i),
            `union branch ${branchKey(b)} removed`,
            !resolver.canRead(n, b),
            false,
          );
      });
      n.branches.forEach((b, j) => {
        if (!ok.has(branchKey(b)))
          emit(
            'AVRO_UNION_BRANCH_ADDED',
            ptr(path, j),
            `union branch ${branchKey(b)} added`,
            false,
            !resolver.canRead(o, b),
          );
      });
      const order = (u: typeof o) =>
        u.branches.map(branchKey).filter((k) => ok.has(k) && nk.has(k));
      if (!jsonEqual(order(o), order(n)))
        emit(
          'AVRO_UNION_BRANCHES_REORDERED',
          path,
          'union branches reordered (the first branch decides defaults)',
          false,
          false,
        );
      return;
    }
    if (o.kind === 'union' || n.kind === 'union') {
      const [b, f] = flags(o, n);
      const rule = n.kind === 'union' ? 'AVRO_TYPE_TO_UNION' : 'AVRO_UNION_TO_TYPE';
      emit(
        rule,
        path,
        n.kind === 'union' ? 'type became a union' : 'union became a single type',
        b,
        f,
      );
      return;
    }
    if (
      o.kind !== n.kind ||
      (o.kind === 'primitive' && n.kind === 'primitive' && o.type !== n.type)
    ) {
      const [b, f] = flags(o, n);
      const rule =
        !b && f
          ? 'AVRO_TYPE_PROMOTED'
          : b && !f
            ? 'AVRO_TYPE_DEMOTED'
            : b && f
              ? 'AVRO_TYPE_CHANGED'
              : 'AVRO_TYPE_PROMOTED';
      const d = (x: AvroNode) => (x.kind === 'primitive' ? x.type : x.kind);
      emit(rule, ptr(path, 'type'), `type ${d(o)} → ${d(n)}`, b, f);
      return;
    }
    if (o.attrs !== n.attrs && !jsonEqual(o.attrs, n.attrs)) {
      const ignored = n.ignoredLogicalType ?? o.ignoredLogicalType;
      const note = ignored === undefined ? '' : ` (an invalid logicalType is ignored: ${ignored})`;
      emit('AVRO_PROPERTY_CHANGED', path, `custom properties changed${note}`, false, false);
    }
    if (o.kind === 'array') return walk(o.items, (n as typeof o).items, ptr(path, 'items'));
    if (o.kind === 'map') return walk(o.values, (n as typeof o).values, ptr(path, 'values'));
    if (o.kind === 'primitive') return;
    const nn = n as typeof o;
    if (o.name !== nn.name)
      emit(
        'AVRO_NAME_CHANGED',
        ptr(path, 'name'),
        `${o.kind} ${o.name} renamed to ${nn.name}`,
        !namesMatch(nn, o),
        !namesMatch(o, nn),
      );
    if (!jsonEqual(o.aliases, nn.aliases))
      emit(
        'AVRO_ALIASES_CHANGED',
        ptr(path, 'aliases'),
        `aliases of ${nn.name} changed`,
        false,
        false,
      );
    if (o.doc !== nn.doc)
      emit('AVRO_DOC_CHANGED', ptr(path, 'doc'), `doc of ${nn.name} changed`, false, false);
    if (o.kind === 'fixed') {
      const nf = nn as typeof o;
      if (o.size !== nf.size)
        emit(
          'AVRO_FIXED_SIZE_CHANGED',
          ptr(path, 'size'),
          `fixed ${nf.name} size ${o.size} → ${nf.size}`,
          true,
          true,
        );
      return;
    }
    if (o.kind === 'enum') {
      const ne = nn as typeof o;
      const added = ne.symbols.filter((s) => !o.symbols.includes(s));
      const removed = o.symbols.filter((s) => !ne.symbols.includes(s));
      if (added.length > 0)
        emit(
          'AVRO_ENUM_SYMBOL_ADDED',
          ptr(path, 'symbols'),
          `enum ${ne.name} symbols added: ${added.join(', ')}`,
          false,
          o.default === undefined,
        );
      if (removed.length > 0)
        emit(
          'AVRO_ENUM_SYMBOL_REMOVED',
          ptr(path, 'symbols'),
          `enum ${ne.name} symbols removed: ${removed.join(', ')}`,
          ne.default === undefined,
          false,
        );
      const common = (xs: readonly string[], ys: readonly string[]) =>
        xs.filter((s) => ys.includes(s));
      if (
        added.length === 0 &&
        removed.length === 0 &&
        !jsonEqual(common(o.symbols, ne.symbols), common(ne.symbols, o.symbols))
      ) {
        emit(
          'AVRO_ENUM_SYMBOLS_REORDERED',
          ptr(path, 'symbols'),
          `enum ${ne.name} symbols reordered`,
          false,
          false,
        );
      }
      if (o.default !== ne.default)
        emit(
          'AVRO_ENUM_DEFAULT_CHANGED',
          ptr(path, 'default'),
          `enum ${ne.name} default ${o.default ?? 'none'} → ${ne.default ?? 'none'}`,
          false,
          false,
        );
      return;
    }
    if (o.kind === 'record') walkFields(o, nn as typeof o, path);
  };

  const walkFields = (
    o: AvroNode & { kind: 'record' },
    n: AvroNode & { kind: 'record' },
    path: string,
  ) => {
    const matched = new Set<AvroField>();
    n.fields.forEach((nf, j) => {
      const fp = ptr(ptr(path, 'fields'), j);
      const of = writerFieldFor(nf, o.fields) ?? o.fields.find((f) => f.aliases.includes(nf.name));
      if (of === undefined) {
        if (nf.hasDefault)
          emit(
            'AVRO_FIELD_ADDED_WITH_DEFAULT',
            fp,
            `field ${n.name}.${nf.name} added with a default`,
            false,
            false,
          );
        else
          emit(
            'AVRO_FIELD_ADDED_WITHOUT_DEFAULT',
            fp,
            `field ${n.name}.${nf.name} added without a default: old data cannot be read`,
            true,
            false,
          );
        return;
      }
      matched.add(of);
      if (of.name !== nf.name) {
        const backward = writerFieldFor(nf, o.fields) !== of && !nf.hasDefault;
        const forward = writerFieldFor(of, n.fields) !== nf && !of.hasDefault;
        emit(
          'AVRO_FIELD_RENAMED',
          ptr(fp, 'name'),
          `field ${n.name}.${of.name} renamed to ${nf.name}${backward ? ' without an alias' : ''}`,
          backward,
          forward,
        );
      }
      const i = o.fields.indexOf(of);
      if (i !== j)
        emit(
          'AVRO_FIELD_MOVED',
          fp,
          `field ${n.name}.${nf.name} moved from position ${i} to ${j}`,
          false,
          false,
        );
      if (of.hasDefault !== nf.hasDefault || !jsonEqual(of.default, nf.default)) {
        emit(
          'AVRO_FIELD_DEFAULT_CHANGED',
          ptr(fp, 'default'),
          `default of ${n.name}.${nf.name} ${of.hasDefault ? JSON.stringify(of.default) : 'none'} → ${nf.hasDefault ? JSON.stringify(nf.default) : 'none'}`,
          false,
          false,
        );
      }
      if (of.doc !== nf.doc)
        emit(
          'AVRO_DOC_CHANGED',
          ptr(fp, 'doc'),
          `doc of ${n.name}.${nf.name} changed`,
          false,
          false,
        );
      if (of.order !== nf.order)
        emit(
          'AVRO_FIELD_ORDER_CHANGED',
          ptr(fp, 'order'),
          `sort order of ${n.name}.${nf.name} ${of.order} → ${nf.order}`,
          false,
          false,
        );
      if ((of.aliases.length > 0 || nf.aliases.length > 0) && !jsonEqual(of.aliases, nf.aliases))
        emit(
          'AVRO_ALIASES_CHANGED',
          ptr(fp, 'aliases'),
          `aliases of ${n.name}.${nf.name} changed`,
          false,
          false,
        );
      walk(of.type, nf.type, ptr(fp, 'type'));
    });
    o.fields.forEach((of, i) => {
      if (matched.has(of)) return;
      const fp = ptr(ptr(path, 'fields'), i);
      if (of.hasDefault)
        emit(
          'AVRO_FIELD_REMOVED_WITH_DEFAULT',
          fp,
          `field ${o.name}.${of.name} removed (old readers use its default)`,
          false,
          false,
        );
      else
        emit(
          'AVRO_FIELD_REMOVED_WITHOUT_DEFAULT',
          fp,
          `field ${o.name}.${of.name} removed; it had no default, so old readers fail on new data`,
          false,
          true,
        );
    });
  };

  walk(prev, next, '');
  return out;
}
