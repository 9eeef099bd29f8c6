import type { CompareContext, FlaggedChange, FormatPlugin } from '../format-plugin.js';
import { validationErrors } from '../errors.js';
import type {
  CompatibilityLevel,
  CompatibilityResult,
  CompatibilityViolation,
  SchemaChange,
} from '../types.js';
import { bumpOf, makeIgnore } from './bump.js';

const strip = (c: FlaggedChange): SchemaChange => ({
  rule: c.rule,
  path: c.path,
  severity: c.severity,
  message: c.message,
});

/** The structural diff of two parsed schemas of one plug-in. */
export function diffParsed(
  plugin: FormatPlugin,
  prev: unknown,
  next: unknown,
  ctx: CompareContext,
): FlaggedChange[] {
  if (plugin.compare === undefined) {
    throw validationErrors.create(
      'E_UNSUPPORTED',
      `format "${plugin.format}" does not support diffs or compatibility checks`,
      {
        details: { format: plugin.format },
      },
    );
  }
  return plugin.compare(prev, next, ctx);
}

/**
 * Runs a compatibility level over a history (oldest first). BACKWARD: the candidate reads data
 * written with the previous version(s); FORWARD: previous version(s) read the candidate's data;
 * FULL: both. Non-transitive levels look at the latest version only.
 */
export function runCompatibility(args: {
  plugin: FormatPlugin;
  candidate: unknown;
  previous: readonly unknown[];
  level: CompatibilityLevel;
  ignore: readonly string[] | undefined;
  ctx: CompareContext;
}): CompatibilityResult {
  const { plugin, candidate, previous, level, ctx } = args;
  const ignored = makeIgnore(args.ignore);
  const last = previous.length - 1;
  const flaggedLast = last >= 0 ? diffParsed(plugin, previous[last], candidate, ctx) : [];
  const changes = flaggedLast.filter((c) => !ignored(c)).map(strip);
  const violations: CompatibilityViolation[] = [];
  if (level !== 'NONE' && last >= 0) {
    const transitive = level.endsWith('_TRANSITIVE');
    const backward = level.startsWith('BACKWARD') || level.startsWith('FULL');
    const forward = level.startsWith('FORWARD') || level.startsWith('FULL');
    for (let i = transitive ? 0 : last; i <= last; i++) {
      const prev = previous[i];
      let flagged: FlaggedChange[] | undefined;
      const dirs: Array<'backward' | 'forward'> = [];
      if (backward) dirs.push('backward');
      if (forward) dirs.push('forward');
      for (const direction of dirs) {
        let found: SchemaChange[];
        if (plugin.check !== undefined) {
          found =
            direction === 'backward'
              ? plugin.check(candidate, prev, ctx)
              : plugin.check(prev, candidate, ctx);
        } else {
          flagged ??= i === last ? flaggedLast : diffParsed(plugin, prev, candidate, ctx);
          found = flagged
            .filter((c) => (direction === 'backward' ? c.breaksBackward : c.breaksForward))
            .map(strip);
        }
        for (const c of found) {
          if (!ignored(c)) violations.push({ ...c, severity: 'breaking', against: i, direction });
        }
      }
    }
  }
  const messages: string[] = violations.map(
    (v) =>
      `${v.direction === 'forward' ? 'FORWARD' : 'BACKWARD'} incompatible with previous[${v.against}]${v.against === last ? ' (latest)' : ''}: ${v.rule} at ${v.path || '/'}: ${v.message}`,
  );
  const compatible = violations.length === 0;
  if (compatible) {
    messages.push(
      level === 'NONE'
        ? 'compatibility level NONE: no check'
        : last < 0
          ? `${level}: no previous version to check against`
          : `${level}: compatible with ${level.endsWith('_TRANSITIVE') ? `all ${previous.length} previous versions` : 'the latest version'}`,
    );
  }
  const bump = violations.some((v) => v.against === last) ? 'major' : bumpOf(changes);
  return { compatible, level, changes, violations, bump, messages };
}
