import {
  check,
  mergeOptions,
  noopLogger,
  resolveOptions,
  systemClock,
  type OptionSpec,
} from '@plinth/core';
import { EVICTION_POLICIES } from './l1/policy.js';
import { jsonSerializer } from './serializer.js';
import type { CacheOptions, EntryOptions, L1Options, SetOptions } from './types.js';

/** Entry option defaults: the bottom layer under instance and per-call options. */
export const DEFAULT_ENTRY_OPTIONS = Object.freeze({
  /** @default 60000 */
  ttl: 60_000,
  /** @default 0 */
  ttlJitter: 0,
  /** @default 0 */
  grace: 0,
  /** @default 10000 */
  graceBackoff: 10_000,
  /** @default 0 */
  negativeTtl: 0,
  /** @default false */
  lock: false,
  /** @default 10000 */
  lockTtl: 10_000,
  /** @default 5000 */
  lockWait: 5_000,
  /** @default 50 */
  lockPoll: 50,
  /** @default false */
  throwOnL2Error: false,
});

/** Entry options after merging: every field present. */
export type ResolvedEntryOptions = Omit<Required<EntryOptions>, 'softTimeout' | 'hardTimeout'> & {
  readonly softTimeout: number | undefined;
  readonly hardTimeout: number | undefined;
  readonly tags: readonly string[] | undefined;
};

/** Instance-level defaults (everything that is not an entry option). */
export const DEFAULT_CACHE_OPTIONS = Object.freeze({
  ...DEFAULT_ENTRY_OPTIONS,
  /** @default 'default' */
  name: 'default',
  /** @default { policy: 'w-tinylfu', maxEntries: 10000 } */
  l1: Object.freeze({ policy: 'w-tinylfu', maxEntries: 10_000 }) as L1Options,
  /** @default 'plinth:cache:' */
  prefix: 'plinth:cache:',
  /** @default jsonSerializer */
  serializer: jsonSerializer,
  /** @default 5000 */
  l2RetryAfter: 5_000,
  /** @default false */
  startDegraded: false,
  /** @default 1 */
  timeResolution: 1,
  /** @default systemClock */
  clock: systemClock,
  /** @default Math.random */
  random: Math.random as () => number,
  /** @default noopLogger */
  logger: noopLogger,
});

const ms = check.number({ min: 0 });
const ttl = check.custom<number>(
  'a number > 0 (Infinity = never expires)',
  (v) => typeof v === 'number' && v > 0 && !Number.isNaN(v),
);

const ENTRY_SPEC: OptionSpec<SetOptions> = {
  ttl,
  ttlJitter: check.number({ min: 0, max: 1 }),
  grace: check.custom<number>(
    'a number >= 0 (Infinity allowed)',
    (v) => typeof v === 'number' && v >= 0,
  ),
  graceBackoff: ms,
  softTimeout: ms,
  hardTimeout: check.number({ min: 1 }),
  negativeTtl: ms,
  lock: check.boolean(),
  lockTtl: check.number({ min: 1 }),
  lockWait: ms,
  lockPoll: check.number({ min: 1 }),
  throwOnL2Error: check.boolean(),
  tags: check.arrayOf(check.string({ nonEmpty: true })),
};

const L1_SPEC: OptionSpec<L1Options> = {
  policy: check.oneOf(EVICTION_POLICIES),
  maxEntries: check.number({ min: 1, integer: true }),
  maxBytes: check.number({ min: 1, integer: true }),
  maxEntryBytes: check.number({ min: 1, integer: true }),
};

const { tags: _tags, ...INSTANCE_ENTRY_SPEC } = ENTRY_SPEC;

const CACHE_SPEC: OptionSpec<CacheOptions> = {
  ...INSTANCE_ENTRY_SPEC,
  name: check.string({ nonEmpty: true }),
  l1: check.object<L1Options>(),
  l2: check.implementing('connect', 'get', 'set', 'delete', 'deletePrefix', 'close'),
  bus: check.implementing('subscribe', 'publish', 'close'),
  prefix: check.string({ nonEmpty: true }),
  serializer: check.implementing('serialize', 'deserialize'),
  compression: check.custom('{ threshold: integer >= 0, algorithm?: "gzip" | "brotli" }', (v) => {
    if (typeof v !== 'object' || v === null) return false;
    const c = v as Record<string, unknown>;
    return (
      typeof c.threshold === 'number' &&
      Number.isInteger(c.threshold) &&
      c.threshold >= 0 &&
      (c.algorithm === undefined || c.algorithm === 'gzip' || c.algorithm === 'brotli') &&
      Object.keys(c).every((k) => k === 'threshold' || k === 'algorithm')
    );
  }),
  l2RetryAfter: check.number({ min: 1 }),
  startDegraded: check.boolean(),
  timeResolution: check.number({ min: 0, max: 1000 }),
  clock: check.implementing('now', 'setTimeout', 'setInterval', 'sleep'),
  random: check.func() as never,
  logger: check.implementing('info', 'warn', 'error', 'child'),
};

/** Validates the constructor options (once) and fills the defaults. */
export function resolveCacheOptions(
  input: unknown,
): Readonly<typeof DEFAULT_CACHE_OPTIONS & CacheOptions> {
  const resolved = resolveOptions<CacheOptions, typeof DEFAULT_CACHE_OPTIONS>({
    package: '@plinth/cache',
    owner: 'Cache',
    spec: CACHE_SPEC,
    defaults: DEFAULT_CACHE_OPTIONS,
    input,
  });
  const l1 = resolveOptions<L1Options, Record<string, never>>({
    package: '@plinth/cache',
    owner: 'Cache (l1)',
    spec: L1_SPEC,
    defaults: {},
    input: resolved.l1,
  });
  return Object.freeze({
    ...resolved,
    l1: Object.freeze({
      policy: l1.policy ?? 'w-tinylfu',
      ...(l1.maxBytes === undefined
        ? { maxEntries: l1.maxEntries ?? 10_000 }
        : {
            maxBytes: l1.maxBytes,
            ...(l1.maxEntries !== undefined && { maxEntries: l1.maxEntries }),
          }),
      ...(l1.maxEntryBytes !== undefined && { maxEntryBytes: l1.maxEntryBytes }),
    }),
  });
}

/** Validates per-call options (only on the paths that use them, never on a hit). */
export function checkCallOptions(input: unknown, owner: string): SetOptions {
  if (input === undefined) return {};
  return resolveOptions<SetOptions, Record<string, never>>({
    package: '@plinth/cache',
    owner,
    spec: ENTRY_SPEC,
    defaults: {},
    input,
  });
}

/**
 * THE merge of entry options: defaults < instance < call (each layer's undefined values do not
 * override). Every entry option anywhere in the cache is resolved through this function.
 */
export function mergeEntryOptions(
  instance: { readonly [K in keyof EntryOptions]?: EntryOptions[K] | undefined },
  call: SetOptions | undefined,
): ResolvedEntryOptions {
  return mergeOptions<ResolvedEntryOptions>(
    DEFAULT_ENTRY_OPTIONS,
    pickEntry(instance),
    call,
  ) as ResolvedEntryOptions;
}

const ENTRY_KEYS = Object.keys(ENTRY_SPEC) as Array<keyof SetOptions>;

function pickEntry(o: {
  readonly [K in keyof EntryOptions]?: EntryOptions[K] | undefined;
}): SetOptions {
  const out: Record<string, unknown> = {};
  for (const k of ENTRY_KEYS) {
    const v = (o as Record<string, unknown>)[k];
    if (v !== undefined && k !== 'tags') out[k] = v;
  }
  return out;
}
