import type { SchemaChange, SemverBump } from '../types.js';

/** breaking → major, additive → minor, cosmetic → patch, nothing → none. */
export function bumpOf(changes: readonly SchemaChange[]): SemverBump {
  let bump: SemverBump = 'none';
  for (const c of changes) {
    if (c.severity === 'breaking') return 'major';
    if (c.severity === 'additive') bump = 'minor';
    else if (bump === 'none') bump = 'patch';
  }
  return bump;
}

/**
 * Ignore-list matching: `RULE`, `RULE@/path/prefix`, and a trailing `*` on the rule part
 * (`AVRO_DOC_*`).
 */
export function makeIgnore(ignore: readonly string[] | undefined): (c: SchemaChange) => boolean {
  if (ignore === undefined || ignore.length === 0) return () => false;
  const entries = ignore.map((e) => {
    const at = e.indexOf('@');
    const rule = at < 0 ? e : e.slice(0, at);
    const path = at < 0 ? undefined : e.slice(at + 1);
    return { rule, prefix: rule.endsWith('*') ? rule.slice(0, -1) : undefined, path };
  });
  return (c) =>
    entries.some(
      (e) =>
        (e.prefix !== undefined ? c.rule.startsWith(e.prefix) : c.rule === e.rule) &&
        (e.path === undefined ||
          c.path === e.path ||
          c.path.startsWith(`${e.path}/`) ||
          c.path.startsWith(`${e.path}.`)),
    );
}
