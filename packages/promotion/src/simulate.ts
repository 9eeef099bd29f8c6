import { ManualClock, isPlinthError } from '@plinth/core';
import { memoryAdapter, openStore, type Store } from '@plinth/storage';
import { COLLECTIONS, type StageDoc } from './internal/collections.js';
import { currentLevel } from './internal/approvals.js';
import type { PromotionEngine } from './engine.js';
import type {
  ApprovalRecord,
  CompatibilityChecker,
  GateDefinition,
  GateRecord,
  PipelineDefinition,
  Promotion,
  PromotionState,
} from './types.js';

export interface SimulationInput {
  readonly pipeline: string;
  readonly releaseId: string;
  /** Stages to walk, in order. @default every stage of the pipeline in topological order */
  readonly stages?: readonly string[];
  /** Approve every level with its listed (or synthetic) approvers. @default true */
  readonly approve?: boolean;
  /** Run the real gates (`run`) or assume they pass (`pass`). @default 'run' */
  readonly gates?: 'run' | 'pass';
  /** Give up after this much simulated time. @default 30 days */
  readonly maxDurationMs?: number;
}

export interface SimulatedStage {
  readonly stage: string;
  readonly outcome: PromotionState | 'blocked';
  readonly reason?: string;
  readonly startedAt: number;
  readonly finishedAt: number;
  /** Simulated time spent in the stage's promotion (soak, freezes, verification delay). */
  readonly durationMs: number;
  readonly gates: readonly GateRecord[];
  readonly verification: readonly GateRecord[];
  readonly approvals: readonly ApprovalRecord[];
}

export interface SimulationReport {
  readonly pipeline: string;
  readonly releaseId: string;
  /** `succeeded` when the release would reach the last stage. */
  readonly outcome: PromotionState | 'blocked';
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly durationMs: number;
  readonly stages: readonly SimulatedStage[];
  readonly timeline: ReadonlyArray<{
    readonly at: number;
    readonly event: string;
    readonly stage?: string;
    readonly detail?: string;
  }>;
  /** Promotions queued on the real stages that the simulation ignored. */
  readonly ignoredQueued: number;
}

const TERMINAL = new Set([
  'succeeded',
  'failed',
  'rolled_back',
  'rejected',
  'superseded',
  'cancelled',
]);
const DAY = 86_400_000;

function passing(g: GateDefinition): GateDefinition {
  return {
    kind: 'custom',
    name: g.name ?? g.kind,
    run: async () => ({ status: 'passed', messages: ['assumed (simulation)'] }),
  };
}

function simulatedPipeline(def: PipelineDefinition, gates: 'run' | 'pass'): PipelineDefinition {
  const recorder = async () => ({ simulated: true });
  return {
    name: def.name,
    stages: def.stages.map((s) => ({
      ...s,
      promote: recorder,
      rollback: recorder,
      ...(gates === 'pass' && s.gates !== undefined && { gates: s.gates.map(passing) }),
      ...(gates === 'pass' &&
        s.verification !== undefined && {
          verification: { ...s.verification, gates: s.verification.gates.map(passing) },
        }),
    })),
  };
}

async function copyState(from: Store, to: Store): Promise<number> {
  let ignored = 0;
  for (const name of [COLLECTIONS.releases, COLLECTIONS.stages, COLLECTIONS.occupancy]) {
    let cursor: string | undefined;
    do {
      const page = await from
        .collection(name)
        .list({ limit: 1000, ...(cursor !== undefined && { cursor }) });
      await to.transaction(async (tx) => {
        for (const e of page.items) {
          let value = e.value;
          if (name === COLLECTIONS.stages) {
            const s = value as StageDoc;
            ignored += s.queue.length + (s.active === null ? 0 : 1);
            value = { ...s, active: null, queue: [] };
          }
          await tx.collection(name).put(e.key, value);
        }
      });
      cursor = page.cursor;
    } while (cursor !== undefined);
  }
  return ignored;
}

/** Lets pending promise chains and memory-store I/O run. */
async function settle(engine: PromotionEngine): Promise<boolean> {
  let idle = false;
  void engine.idle().then(() => (idle = true));
  for (let i = 0; i < 50 && !idle; i++) await new Promise((r) => setImmediate(r));
  return idle;
}

/**
 * Runs a release through the pipeline on a copy of the current state, under a manual clock,
 * without calling any deploy or rollback handler, and reports what would happen.
 * @internal Called by {@link PromotionEngine.simulate}.
 */
export async function runSimulation(
  source: {
    store: Store;
    now: number;
    pipelines: PipelineDefinition[];
    compatibility: CompatibilityChecker | undefined;
  },
  engineClass: typeof PromotionEngine,
  input: SimulationInput,
): Promise<SimulationReport> {
  const clock = new ManualClock(source.now);
  const store = await openStore({ adapter: memoryAdapter(), purgeIntervalMs: 0 });
  const gates = input.gates ?? 'run';
  const engine = new engineClass({
    store,
    clock,
    pipelines: source.pipelines.map((p) => simulatedPipeline(p, gates)),
    resumeIntervalMs: 0,
    instanceId: 'simulation',
    ...(source.compatibility !== undefined && { compatibility: source.compatibility }),
  });
  const timeline: Array<{ at: number; event: string; stage?: string; detail?: string }> = [];
  engine.subscribe((event, payload) => {
    const p = payload as { stage?: string; reason?: string; why?: string; gate?: GateRecord };
    const detail = p.reason ?? p.why ?? (p.gate ? `${p.gate.name}: ${p.gate.status}` : undefined);
    timeline.push({
      at: clock.now(),
      event,
      ...(p.stage !== undefined && { stage: p.stage }),
      ...(detail !== undefined && { detail }),
    });
  });
  try {
    await engine.open();
    const ignoredQueued = await copyState(source.store, store);
    const def = source.pipelines.find((p) => p.name === input.pipeline);
    const stages = input.stages ?? engine.topologicalStages(input.pipeline);
    const results: SimulatedStage[] = [];
    const deadline = source.now + (input.maxDurationMs ?? 30 * DAY);
    let outcome: SimulationReport['outcome'] = 'succeeded';
    for (const stage of stages) {
      const startedAt = clock.now();
      let promotion: Promotion | undefined;
      try {
        await settle(engine);
        const view = await engine.stage(input.pipeline, stage);
        const existing =
          view.active === undefined ? undefined : await engine.getPromotion(view.active);
        promotion =
          existing?.releaseId === input.releaseId
            ? existing
            : await engine.request({
                pipeline: input.pipeline,
                stage,
                releaseId: input.releaseId,
                principal: { id: 'simulation:requester' },
              });
      } catch (error) {
        const reason = isPlinthError(error) ? `${error.code}: ${error.message}` : String(error);
        results.push({
          stage,
          outcome: 'blocked',
          reason,
          startedAt,
          finishedAt: startedAt,
          durationMs: 0,
          gates: [],
          verification: [],
          approvals: [],
        });
        outcome = 'blocked';
        break;
      }
      const id = promotion.id;
      let blocked: string | undefined;
      for (;;) {
        const idle = await settle(engine);
        const p = (await engine.getPromotion(id)) as Promotion;
        if (TERMINAL.has(p.state) && idle) {
          promotion = p;
          break;
        }
        if (idle && p.state === 'awaiting_approval') {
          const level = currentLevel(
            def?.stages.find((s) => s.name === stage)?.approvals,
            p.approvals,
          );
          if (level !== undefined && input.approve !== false) {
            const done = new Set(p.approvals.map((a) => a.principal));
            const candidates =
              level.approvers ??
              Array.from(
                { length: (level.required ?? 1) + 2 },
                (_, i) => `simulation:approver-${level.name}-${i + 1}`,
              );
            const who = [...(level.requiredApprovers ?? []), ...candidates].find(
              (c) => !done.has(c) && c !== p.requestedBy,
            );
            if (who !== undefined) {
              await engine.approve(id, { principal: { id: who }, comment: 'simulated approval' });
              continue;
            }
          }
          if (p.approvalExpiresAt === undefined || input.approve === false) {
            blocked = 'awaiting approval';
            break;
          }
        }
        const next = clock.nextTimerAt();
        if (next === undefined) {
          if (idle) {
            blocked = `stuck in ${p.state}`;
            break;
          }
          continue;
        }
        if (next > deadline) {
          blocked = `would wait past the simulation horizon (until ${new Date(next).toISOString()})`;
          break;
        }
        await clock.advanceAsync(Math.max(0, next - clock.now()));
      }
      const p = (await engine.getPromotion(id)) as Promotion;
      const finishedAt = clock.now();
      const row: SimulatedStage = {
        stage,
        outcome: blocked !== undefined ? 'blocked' : p.state,
        ...((blocked ?? p.reason) !== undefined && { reason: (blocked ?? p.reason) as string }),
        startedAt,
        finishedAt,
        durationMs: finishedAt - startedAt,
        gates: p.gates,
        verification: p.verification,
        approvals: p.approvals,
      };
      results.push(row);
      if (row.outcome !== 'succeeded') {
        outcome = row.outcome;
        break;
      }
    }
    return {
      pipeline: input.pipeline,
      releaseId: input.releaseId,
      outcome,
      startedAt: source.now,
      finishedAt: clock.now(),
      durationMs: clock.now() - source.now,
      stages: results,
      timeline,
      ignoredQueued,
    };
  } finally {
    await engine.close();
    await store.close();
  }
}
