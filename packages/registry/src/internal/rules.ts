import { checkJsonLimits, DEFAULT_LIMITS as CORE_LIMITS, describeValue } from '@plinth/core';
import { registryErrors } from '../errors.js';
import { DEFAULT_RULES } from '../options.js';
import type { ResolvedRules, RuleScope, Rules } from '../types.js';
import { artifactName, checkGroup } from './names.js';

const LEVELS = new Set([
  'NONE',
  'BACKWARD',
  'BACKWARD_TRANSITIVE',
  'FORWARD',
  'FORWARD_TRANSITIVE',
  'FULL',
  'FULL_TRANSITIVE',
]);

const FIELDS = ['validity', 'compatibility', 'compatibilityGroup', 'ignore', 'integrity'] as const;

/**
 * Checks a rule set given by a caller; returns a copy without undefined fields. Its nesting is
 * bounded first (`E_LIMIT_EXCEEDED`), so a hostile `ignore` array nested 100,000 levels deep is
 * refused before anything walks it.
 */
export function checkRules(
  rules: unknown,
  what = 'rules',
  maxDepth: number = CORE_LIMITS.maxDepth,
): Rules {
  if (typeof rules !== 'object' || rules === null || Array.isArray(rules)) {
    throw registryErrors.create('E_INVALID_ARGUMENT', `${what} must be an object`);
  }
  checkJsonLimits(rules, { maxDepth }, { package: '@plinth/registry', what });
  const r = rules as Record<string, unknown>;
  const bad = (field: string, expected: string): never => {
    throw registryErrors.create(
      'E_INVALID_ARGUMENT',
      `${what}.${field} must be ${expected}, got ${describeValue(r[field])}`,
      { details: { field } },
    );
  };
  for (const k of Object.keys(r)) {
    if (!(FIELDS as readonly string[]).includes(k))
      bad(k, `one of ${FIELDS.join(', ')} (unknown rule)`);
  }
  const out: Record<string, unknown> = {};
  if (r.validity !== undefined) {
    if (r.validity !== 'full' && r.validity !== 'none') bad('validity', '"full" or "none"');
    out.validity = r.validity;
  }
  if (r.compatibility !== undefined) {
    if (typeof r.compatibility !== 'string' || !LEVELS.has(r.compatibility))
      bad('compatibility', `one of ${[...LEVELS].join(', ')}`);
    out.compatibility = r.compatibility;
  }
  if (r.compatibilityGroup !== undefined) {
    if (r.compatibilityGroup !== 'all' && r.compatibilityGroup !== 'major')
      bad('compatibilityGroup', '"all" or "major"');
    out.compatibilityGroup = r.compatibilityGroup;
  }
  if (r.ignore !== undefined) {
    if (!Array.isArray(r.ignore) || !r.ignore.every((x) => typeof x === 'string'))
      bad('ignore', 'an array of rule ids');
    out.ignore = [...(r.ignore as string[])];
  }
  if (r.integrity !== undefined) {
    if (r.integrity !== 'full' && r.integrity !== 'none') bad('integrity', '"full" or "none"');
    out.integrity = r.integrity;
  }
  return out as Rules;
}

/** The rules document key of a scope. */
export function scopeKey(scope: RuleScope): string {
  switch (scope?.scope) {
    case 'global':
      return 'global';
    case 'group':
      return `group:${checkGroup(scope.group)}`;
    case 'artifact':
      return `artifact:${artifactName(scope.artifact).key}`;
    default:
      throw registryErrors.create(
        'E_INVALID_ARGUMENT',
        'scope must be { scope: "global" }, { scope: "group", group } or { scope: "artifact", artifact }',
      );
  }
}

/**
 * Merges rules field by field: artifact over group over global over the registry's defaults
 * over the built-in defaults. The most specific scope that sets a field wins.
 */
export function mergeRules(
  defaults: Rules,
  global: Rules | undefined,
  group: Rules | undefined,
  artifact: Rules | undefined,
): ResolvedRules {
  const out: Record<string, unknown> = {};
  const sources: Record<string, string> = {};
  for (const f of FIELDS) {
    const layers: Array<[string, Rules | undefined]> = [
      ['artifact', artifact],
      ['group', group],
      ['global', global],
      ['default', defaults],
    ];
    let chosen: unknown = DEFAULT_RULES[f];
    let source = 'default';
    for (const [name, layer] of layers) {
      if (layer?.[f] !== undefined) {
        chosen = layer[f];
        source = name;
        break;
      }
    }
    out[f] = chosen;
    sources[f] = source;
  }
  return { ...(out as Omit<ResolvedRules, 'sources'>), sources } as ResolvedRules;
}
