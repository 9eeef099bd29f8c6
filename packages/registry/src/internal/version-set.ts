import semver from 'semver';

/** One version in a {@link VersionSet}. */
export interface VersionEntry<R> {
  readonly sv: semver.SemVer;
  /** The version without build metadata (the identity). */
  readonly key: string;
  readonly record: R;
}

type Bound = { readonly sv: semver.SemVer; readonly inclusive: boolean };

const { SemVer, Range } = semver;

function cmp(a: semver.SemVer, b: semver.SemVer): number {
  return a.compare(b);
}

/** Last index whose version is below (or at, when inclusive) `bound`; -1 if none. */
function lastIndexAtMost<R>(arr: readonly VersionEntry<R>[], bound: Bound): number {
  let lo = 0;
  let hi = arr.length; // first index > bound
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    const c = cmp((arr[mid] as VersionEntry<R>).sv, bound.sv);
    if (c < 0 || (c === 0 && bound.inclusive)) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

function firstIndexAtLeast<R>(arr: readonly VersionEntry<R>[], sv: semver.SemVer): number {
  let lo = 0;
  let hi = arr.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (cmp((arr[mid] as VersionEntry<R>).sv, sv) < 0) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function belowLower(sv: semver.SemVer, lower: Bound | undefined): boolean {
  if (lower === undefined) return false;
  const c = cmp(sv, lower.sv);
  return c < 0 || (c === 0 && !lower.inclusive);
}

function tighterUpper(a: Bound | undefined, b: Bound): Bound {
  if (a === undefined) return b;
  const c = cmp(b.sv, a.sv);
  return c < 0 || (c === 0 && !b.inclusive) ? b : a;
}

function tighterLower(a: Bound | undefined, b: Bound): Bound {
  if (a === undefined) return b;
  const c = cmp(b.sv, a.sv);
  return c > 0 || (c === 0 && !b.inclusive) ? b : a;
}

/**
 * The versions of one artifact, sorted by semver precedence, with an exact, indexed
 * `maxSatisfying`: for each comparator set of the range it binary-searches the set's upper bound
 * and walks down to the first acceptable version that satisfies the range; prereleases are looked
 * for only on the `[major, minor, patch]` tuples the set's comparators name (node-semver's rule),
 * unless `includePrerelease`. Answers are identical to `semver.maxSatisfying` over the same list.
 */
export class VersionSet<R> {
  /** Every version, ascending. */
  #all: VersionEntry<R>[] = [];
  /** Versions without a prerelease, ascending. */
  #releases: VersionEntry<R>[] = [];
  readonly #byKey = new Map<string, VersionEntry<R>>();

  get size(): number {
    return this.#all.length;
  }

  get(key: string): VersionEntry<R> | undefined {
    return this.#byKey.get(key);
  }

  /** Ascending by precedence. */
  entries(): readonly VersionEntry<R>[] {
    return this.#all;
  }

  /** Highest version overall (any prerelease), or undefined. */
  highest(accept?: (record: R) => boolean, releasesOnly = false): VersionEntry<R> | undefined {
    const arr = releasesOnly ? this.#releases : this.#all;
    for (let i = arr.length - 1; i >= 0; i--) {
      const e = arr[i] as VersionEntry<R>;
      if (accept === undefined || accept(e.record)) return e;
    }
    return undefined;
  }

  /** Adds or replaces the version `version` (parsed) with `record`. */
  upsert(version: string, record: R): void {
    const sv = new SemVer(version);
    const key = sv.version;
    const entry: VersionEntry<R> = { sv, key, record };
    const existing = this.#byKey.get(key);
    this.#byKey.set(key, entry);
    this.#place(this.#all, entry, existing !== undefined);
    if (sv.prerelease.length === 0) this.#place(this.#releases, entry, existing !== undefined);
  }

  remove(key: string): void {
    const existing = this.#byKey.get(key);
    if (existing === undefined) return;
    this.#byKey.delete(key);
    this.#drop(this.#all, existing.sv);
    if (existing.sv.prerelease.length === 0) this.#drop(this.#releases, existing.sv);
  }

  /** Builds the set from many records at once (one sort). */
  static from<R>(items: Iterable<{ version: string; record: R }>): VersionSet<R> {
    const set = new VersionSet<R>();
    for (const { version, record } of items) {
      const sv = new SemVer(version);
      const entry: VersionEntry<R> = { sv, key: sv.version, record };
      set.#byKey.set(entry.key, entry);
    }
    set.#all = [...set.#byKey.values()].sort((a, b) => cmp(a.sv, b.sv));
    set.#releases = set.#all.filter((e) => e.sv.prerelease.length === 0);
    return set;
  }

  /**
   * The highest version satisfying `range` among those `accept` lets through. `range` must have
   * been built with the same `includePrerelease` as passed here.
   */
  maxSatisfying(
    range: semver.Range,
    includePrerelease: boolean,
    accept?: (record: R) => boolean,
  ): VersionEntry<R> | undefined {
    let best: VersionEntry<R> | undefined;
    for (const set of planOf(range)) {
      const { lower, upper } = set;
      if (best !== undefined && upper !== undefined && cmp(best.sv, upper.sv) >= 0) continue;
      const arr = includePrerelease ? this.#all : this.#releases;
      let e = this.#walk(arr, lower, upper, range, accept);
      if (e !== undefined && (best === undefined || cmp(e.sv, best.sv) > 0)) best = e;
      if (includePrerelease) continue;
      for (const t of set.tuples) {
        e = this.#walk(this.#all, t.floor, t.top, range, accept);
        if (e !== undefined && (best === undefined || cmp(e.sv, best.sv) > 0)) best = e;
      }
    }
    return best;
  }

  #walk(
    arr: readonly VersionEntry<R>[],
    lower: Bound | undefined,
    upper: Bound | undefined,
    range: semver.Range,
    accept: ((record: R) => boolean) | undefined,
  ): VersionEntry<R> | undefined {
    let i = upper === undefined ? arr.length - 1 : lastIndexAtMost(arr, upper);
    for (; i >= 0; i--) {
      const e = arr[i] as VersionEntry<R>;
      if (belowLower(e.sv, lower)) return undefined;
      if ((accept === undefined || accept(e.record)) && range.test(e.sv)) return e;
    }
    return undefined;
  }

  #place(arr: VersionEntry<R>[], entry: VersionEntry<R>, replace: boolean): void {
    const i = firstIndexAtLeast(arr, entry.sv);
    const at = arr[i];
    if (replace && at !== undefined && cmp(at.sv, entry.sv) === 0) arr[i] = entry;
    else arr.splice(i, 0, entry);
  }

  #drop(arr: VersionEntry<R>[], sv: semver.SemVer): void {
    const i = firstIndexAtLeast(arr, sv);
    const at = arr[i];
    if (at !== undefined && cmp(at.sv, sv) === 0) arr.splice(i, 1);
  }
}

interface SetPlan {
  readonly lower: Bound | undefined;
  readonly upper: Bound | undefined;
  /** Prerelease windows `[M.m.p-0, M.m.p)` the set's comparators open (node-semver's rule). */
  readonly tuples: ReadonlyArray<{ readonly floor: Bound; readonly top: Bound }>;
}

const plans = new WeakMap<semver.Range, readonly SetPlan[]>();

/** Bounds of each comparator set of a range, computed once per parsed range. */
function planOf(range: semver.Range): readonly SetPlan[] {
  let plan = plans.get(range);
  if (plan !== undefined) return plan;
  plan = range.set.map((set) => {
    let lower: Bound | undefined;
    let upper: Bound | undefined;
    for (const c of set) {
      if (!(c.semver instanceof SemVer)) continue; // ANY
      const b = (inclusive: boolean): Bound => ({ sv: c.semver, inclusive });
      switch (c.operator) {
        case '':
        case '=':
          upper = tighterUpper(upper, b(true));
          lower = tighterLower(lower, b(true));
          break;
        case '<':
          upper = tighterUpper(upper, b(false));
          break;
        case '<=':
          upper = tighterUpper(upper, b(true));
          break;
        case '>':
          lower = tighterLower(lower, b(false));
          break;
        case '>=':
          lower = tighterLower(lower, b(true));
          break;
      }
    }
    const tuples: Array<{ floor: Bound; top: Bound }> = [];
    for (const c of set) {
      if (!(c.semver instanceof SemVer) || c.semver.prerelease.length === 0) continue;
      const { major, minor, patch } = c.semver;
      tuples.push({
        top: tighterUpper(upper, {
          sv: new SemVer(`${major}.${minor}.${patch}`),
          inclusive: false,
        }),
        floor: tighterLower(lower, {
          sv: new SemVer(`${major}.${minor}.${patch}-0`),
          inclusive: true,
        }),
      });
    }
    return { lower, upper, tuples };
  });
  plans.set(range, plan);
  return plan;
}

/** A bounded cache of parsed ranges (parsing dominates a resolve otherwise). */
export class RangeCache {
  readonly #max: number;
  readonly #map = new Map<string, semver.Range | null>();

  constructor(max = 1000) {
    this.#max = max;
  }

  /** The parsed range, or null when `text` is not a valid range. */
  get(text: string, includePrerelease: boolean): semver.Range | null {
    const key = includePrerelease ? `1${text}` : `0${text}`;
    let range = this.#map.get(key);
    if (range !== undefined) return range;
    try {
      range = new Range(text, { includePrerelease });
    } catch {
      range = null;
    }
    if (this.#map.size >= this.#max) {
      const oldest = this.#map.keys().next();
      if (oldest.done !== true) this.#map.delete(oldest.value);
    }
    this.#map.set(key, range);
    return range;
  }
}
