import { ManualClock } from '@plinth/core';
import { registryErrors, type Registry, type VersionInfo } from '@plinth/registry';
import type { SemverBump } from '@plinth/validation';
import { ORDER_COMPATIBLE, ORDER_INCOMPATIBLE, ORDER_V1 } from './schemas.js';
import { promote, type PromotionOutcome } from './promote.js';
import { openServices } from './services.js';

export interface QuickstartOptions {
  /** Where the narrative goes, one line at a time. @default discard */
  readonly log?: (line: string) => void;
}

/** What the run did; the test asserts it. */
export interface QuickstartSummary {
  /** Versions of `shop/orders` in publish order. */
  readonly published: string[];
  /** The change the registry refused. */
  readonly refused: {
    readonly code: string;
    readonly level: string;
    readonly violations: ReadonlyArray<{ rule: string; path: string }>;
  };
  /** The bump @plinth/validation suggested for the compatible change, and what the registry did. */
  readonly suggestedBump: SemverBump;
  readonly appliedBump: string | null;
  readonly resolved: { readonly range: string; readonly version: string; readonly id: number };
  readonly cache: {
    readonly l1Hits: number;
    readonly misses: number;
    readonly factoryCalls: number;
  };
  /** The dev promotion's final state and the prod promotion's states, step by step. */
  readonly promotions: PromotionOutcome;
  /** `artifact@version` held per stage at the end. */
  readonly stages: Record<string, string[]>;
  readonly deployments: string[];
}

const ARTIFACT = 'shop/orders';
const RANGE = `${ARTIFACT}@^1.0.0`;

/**
 * The library-level quickstart: @plinth/storage, validation, registry, promotion and cache
 * composed in-process on an embedded SQLite file, no HTTP, under a manual clock.
 */
export async function runQuickstart(options: QuickstartOptions = {}): Promise<QuickstartSummary> {
  const log = options.log ?? (() => {});
  const clock = new ManualClock(Date.parse('2026-01-01T09:00:00Z'));
  const s = await openServices(clock);
  try {
    log(`storage     opened a Store on SQLite at ${s.dir}/plinth.db`);
    log('            validation, registry and promotion declared their collections on it');

    const v1 = await s.registry.publish({
      artifact: ARTIFACT,
      kind: 'schema',
      format: 'avro',
      schema: ORDER_V1,
      actor: 'ann',
    });
    const published = [v1.version.version];
    log(`registry    published ${ARTIFACT}@${v1.version.version} (Avro, id ${v1.version.id})`);

    const refused = await publishRefused(s.registry, log);

    const avro = (schema: unknown) => ({ format: 'avro', schema }) as const;
    const check = s.validation.checkCompatibility(avro(ORDER_COMPATIBLE), [avro(ORDER_V1)]);
    for (const c of check.changes) log(`validation  ${c.severity} change ${c.rule} at ${c.path}`);
    log(`validation  ${check.level}: compatible=${check.compatible}, suggested bump ${check.bump}`);
    const v2 = await s.registry.publish({
      artifact: ARTIFACT,
      schema: ORDER_COMPATIBLE,
      actor: 'ann',
    });
    published.push(v2.version.version);
    log(`registry    published ${ARTIFACT}@${v2.version.version} (bump ${v2.bump ?? 'none'})`);

    const lookups = s.cache.namespace('registry');
    const lookup = () => lookups.getOrSet(RANGE, () => s.registry.resolve(RANGE));
    const first: VersionInfo = await lookup();
    const again: VersionInfo = await lookup();
    const stats = s.cache.stats();
    log(
      `registry    resolved ${RANGE} → ${first.version} (id ${first.id}, ${first.digest.slice(0, 19)}…)`,
    );
    log(
      `cache       ${RANGE} again → ${again.version} from L1; misses ${stats.misses}, L1 hits ${stats.l1Hits}, registry calls ${stats.factoryCalls}`,
    );

    const promotions = await promote(s.engine, clock, log);
    const stages: Record<string, string[]> = {};
    for (const stage of ['dev', 'prod']) {
      const view = await s.engine.stage('shop', stage);
      stages[stage] = view.releases.flatMap((r) =>
        r.release.artifacts.map((a) => `${a.name}@${a.version}`),
      );
      log(`promotion   ${stage} holds ${stages[stage].join(', ')}`);
    }
    log(`promotion   the deploy step ran for ${s.deployments.join('; ')}`);
    return {
      published,
      refused,
      suggestedBump: check.bump,
      appliedBump: v2.bump,
      resolved: { range: RANGE, version: first.version, id: first.id },
      cache: { l1Hits: stats.l1Hits, misses: stats.misses, factoryCalls: stats.factoryCalls },
      promotions,
      stages,
      deployments: [...s.deployments],
    };
  } finally {
    await s.close();
    log('storage     closed everything and removed the directory');
  }
}

/** Tries the incompatible change; the registry's BACKWARD rule refuses it with the diff. */
async function publishRefused(
  registry: Registry,
  log: (line: string) => void,
): Promise<QuickstartSummary['refused']> {
  try {
    await registry.publish({ artifact: ARTIFACT, schema: ORDER_INCOMPATIBLE, actor: 'ann' });
  } catch (error) {
    if (!registryErrors.is(error, 'E_INCOMPATIBLE')) throw error;
    const details = error.details as {
      level: string;
      violations: Array<{ rule: string; path: string; message: string; againstVersion: string }>;
    };
    log(`registry    refused the next version: ${error.code} (${details.level})`);
    for (const v of details.violations) {
      log(`              ${v.rule} at ${v.path} vs ${v.againstVersion}: ${v.message}`);
    }
    return {
      code: error.code,
      level: details.level,
      violations: details.violations.map(({ rule, path }) => ({ rule, path })),
    };
  }
  throw new Error('the incompatible change was published: the quickstart expected a refusal');
}
