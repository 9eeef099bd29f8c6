/**
 * A small semver matcher for release dependencies (`orders@^3`). It covers exact versions,
 * `^`, `~`, x-ranges (`1.x`, `1.2.*`, `*`), comparators (`>=1.2.0 <2`), hyphen ranges
 * (`1.2 - 1.4`) and `||` unions, on `major.minor.patch[-prerelease]` strings. Prereleases
 * only match a comparator on the same `major.minor.patch` (node-semver's default rule).
 * Build metadata is ignored. Anything else (git shas, tags) matches only an identical string.
 */

export interface SemVer {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly (string | number)[];
}

const VERSION = /^v?(\d+)\.(\d+)\.(\d+)(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

export function parseVersion(text: string): SemVer | undefined {
  const m = VERSION.exec(text.trim());
  if (m === null) return undefined;
  const pre =
    m[4] === undefined ? [] : m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), pre };
}

export function compareVersions(a: SemVer, b: SemVer): number {
  const d = a.major - b.major || a.minor - b.minor || a.patch - b.patch;
  if (d !== 0) return Math.sign(d);
  if (a.pre.length === 0 && b.pre.length === 0) return 0;
  if (a.pre.length === 0) return 1;
  if (b.pre.length === 0) return -1;
  for (let i = 0; i < Math.max(a.pre.length, b.pre.length); i++) {
    const x = a.pre[i];
    const y = b.pre[i];
    if (x === undefined) return -1;
    if (y === undefined) return 1;
    if (x === y) continue;
    if (typeof x === 'number' && typeof y === 'number') return Math.sign(x - y);
    if (typeof x === 'number') return -1;
    if (typeof y === 'number') return 1;
    return x < y ? -1 : 1;
  }
  return 0;
}

type Op = '<' | '<=' | '>' | '>=' | '=';
interface Comparator {
  readonly op: Op;
  readonly version: SemVer;
}
/** A union (||) of intersections of comparators; an empty intersection matches everything. */
export type Range = readonly (readonly Comparator[])[];

/** A partial version: missing parts are wildcards. */
interface Partial {
  readonly major?: number;
  readonly minor?: number;
  readonly patch?: number;
  readonly pre: readonly (string | number)[];
}

const PARTIAL =
  /^v?(\d+|[xX*])(?:\.(\d+|[xX*]))?(?:\.(\d+|[xX*]))?(?:-([0-9A-Za-z.-]+))?(?:\+[0-9A-Za-z.-]+)?$/;

function parsePartial(text: string): Partial | undefined {
  const m = PARTIAL.exec(text);
  if (m === null) return undefined;
  const num = (s: string | undefined) =>
    s === undefined || /^[xX*]$/.test(s) ? undefined : Number(s);
  const major = num(m[1]);
  const minor = major === undefined ? undefined : num(m[2]);
  const patch = minor === undefined ? undefined : num(m[3]);
  const pre =
    m[4] === undefined || patch === undefined
      ? []
      : m[4].split('.').map((p) => (/^\d+$/.test(p) ? Number(p) : p));
  return {
    ...(major !== undefined && { major }),
    ...(minor !== undefined && { minor }),
    ...(patch !== undefined && { patch }),
    pre,
  };
}

const v = (
  major: number,
  minor = 0,
  patch = 0,
  pre: readonly (string | number)[] = [],
): SemVer => ({
  major,
  minor,
  patch,
  pre,
});
/** The smallest version of a major/minor (below any of its prereleases). */
const floor = (major: number, minor = 0): SemVer => v(major, minor, 0, [0]);

function expand(op: string, p: Partial): Comparator[] | undefined {
  const { major, minor, patch, pre } = p;
  if (op === '^') {
    if (major === undefined) return [];
    const lo = v(major, minor ?? 0, patch ?? 0, pre);
    const hi =
      major > 0 || minor === undefined
        ? floor(major + 1)
        : minor > 0 || patch === undefined
          ? floor(0, minor + 1)
          : v(0, 0, patch + 1, [0]);
    return [
      { op: '>=', version: lo },
      { op: '<', version: hi },
    ];
  }
  if (op === '~') {
    if (major === undefined) return [];
    const lo = v(major, minor ?? 0, patch ?? 0, pre);
    const hi = minor === undefined ? floor(major + 1) : floor(major, minor + 1);
    return [
      { op: '>=', version: lo },
      { op: '<', version: hi },
    ];
  }
  // Plain, '=' or a comparator.
  if (major === undefined)
    return op === '<' || op === '>' ? [{ op: '<', version: v(0, 0, 0, [0]) }] : [];
  if (patch !== undefined)
    return [{ op: (op === '' ? '=' : op) as Op, version: v(major, minor ?? 0, patch, pre) }];
  // A partial version with a comparator or as an x-range.
  const lo = minor === undefined ? floor(major) : floor(major, minor);
  const hi = minor === undefined ? floor(major + 1) : floor(major, minor + 1);
  switch (op) {
    case '':
    case '=':
      return [
        { op: '>=', version: lo },
        { op: '<', version: hi },
      ];
    case '>':
      return [{ op: '>=', version: hi }];
    case '>=':
      return [{ op: '>=', version: lo }];
    case '<':
      return [{ op: '<', version: lo }];
    case '<=':
      return [{ op: '<', version: hi }];
    default:
      return undefined;
  }
}

/** Parses a range; undefined when it is not one this matcher understands. */
export function parseRange(text: string): Range | undefined {
  const out: Comparator[][] = [];
  for (const alt of text.split('||')) {
    let s = alt.trim();
    const set: Comparator[] = [];
    const hyphen = /^(\S+)\s+-\s+(\S+)$/.exec(s);
    if (hyphen !== null) {
      const a = parsePartial(hyphen[1] as string);
      const b = parsePartial(hyphen[2] as string);
      if (a === undefined || b === undefined) return undefined;
      const lo = expand('>=', a);
      const hi = expand('<=', b);
      if (lo === undefined || hi === undefined) return undefined;
      out.push([...lo, ...hi]);
      continue;
    }
    s = s.replace(/(<=|>=|<|>|=|\^|~)\s+/g, '$1');
    for (const token of s.split(/\s+/).filter((t) => t.length > 0)) {
      const m = /^(<=|>=|<|>|=|\^|~>?|)(.*)$/.exec(token);
      if (m === null) return undefined;
      const p = parsePartial(m[2] as string);
      if (p === undefined) return undefined;
      const c = expand((m[1] as string).replace('~>', '~'), p);
      if (c === undefined) return undefined;
      set.push(...c);
    }
    out.push(set);
  }
  return out;
}

function test(c: Comparator, x: SemVer): boolean {
  const d = compareVersions(x, c.version);
  switch (c.op) {
    case '<':
      return d < 0;
    case '<=':
      return d <= 0;
    case '>':
      return d > 0;
    case '>=':
      return d >= 0;
    default:
      return d === 0;
  }
}

/** Whether `version` satisfies `range` (see the module comment for what is understood). */
export function satisfies(version: string, range: string): boolean {
  const x = parseVersion(version);
  const r = parseRange(range);
  if (x === undefined || r === undefined) return version.trim() === range.trim();
  return r.some((set) => {
    if (!set.every((c) => test(c, x))) return false;
    if (x.pre.length === 0) return true;
    // A prerelease matches only when some comparator names the same major.minor.patch with a
    // prerelease (synthetic floors `-0` do not count).
    return set.some(
      (c) =>
        c.version.pre.length > 0 &&
        !(c.version.pre.length === 1 && c.version.pre[0] === 0) &&
        c.version.major === x.major &&
        c.version.minor === x.minor &&
        c.version.patch === x.patch,
    );
  });
}

/** True when `range` is something this matcher understands (or a plain reference). */
export function isRange(range: string): boolean {
  return parseRange(range) !== undefined;
}
