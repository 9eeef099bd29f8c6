import { promotionErrors } from '../errors.js';
import { shown } from './args.js';
import type { FreezeWindow, PipelineDefinition, StageDefinition } from '../types.js';

const NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]{0,63}$/;

/** A validated pipeline: stages by name, with downstream edges. */
export interface ResolvedPipeline {
  readonly name: string;
  readonly stages: ReadonlyMap<string, StageDefinition>;
  readonly downstream: ReadonlyMap<string, readonly string[]>;
  /** Stages in topological order (roots first). */
  readonly order: readonly string[];
}

function invalid(pipeline: string, message: string, details: Record<string, unknown> = {}): never {
  throw promotionErrors.create('E_INVALID_PIPELINE', `pipeline "${pipeline}": ${message}`, {
    details: { pipeline, ...details },
  });
}

function checkFreeze(pipeline: string, stage: string, w: FreezeWindow): void {
  if ('daily' in w) {
    const hhmm = /^([01]\d|2[0-3]):[0-5]\d$/;
    if (!hhmm.test(w.daily.from) || !hhmm.test(w.daily.to)) {
      invalid(pipeline, `stage "${stage}" has a daily freeze window with a bad "HH:MM" time`, {
        stage,
      });
    }
    if (w.days !== undefined && !w.days.every((d) => Number.isInteger(d) && d >= 0 && d <= 6)) {
      invalid(pipeline, `stage "${stage}" freeze window days must be 0 (Sunday) to 6`, { stage });
    }
  } else if (!(Number.isFinite(w.start) && Number.isFinite(w.end) && w.end > w.start)) {
    invalid(pipeline, `stage "${stage}" has a freeze window whose end is not after its start`, {
      stage,
    });
  }
}

function checkNumber(pipeline: string, stage: string, field: string, value: unknown): void {
  if (value !== undefined && !(typeof value === 'number' && Number.isFinite(value) && value >= 0)) {
    invalid(pipeline, `stage "${stage}": ${field} must be a number >= 0`, { stage, field });
  }
}

/** Validates a pipeline definition: names, unknown upstreams, duplicates, cycles, policies. */
export function resolvePipeline(def: PipelineDefinition): ResolvedPipeline {
  if (
    typeof def !== 'object' ||
    def === null ||
    typeof def.name !== 'string' ||
    !NAME.test(def.name)
  ) {
    throw promotionErrors.create(
      'E_INVALID_PIPELINE',
      `a pipeline needs a name matching ${String(NAME)}`,
      { details: { pipeline: shown((def as { name?: unknown } | null)?.name) } },
    );
  }
  const p = def.name;
  if (!Array.isArray(def.stages) || def.stages.length === 0) invalid(p, 'it has no stages');
  const stages = new Map<string, StageDefinition>();
  for (const s of def.stages) {
    if (typeof s?.name !== 'string' || !NAME.test(s.name)) {
      invalid(p, `stage names must match ${String(NAME)}`, {
        stage: shown((s as { name?: unknown } | null)?.name),
      });
    }
    if (stages.has(s.name)) invalid(p, `stage "${s.name}" is declared twice`, { stage: s.name });
    stages.set(s.name, s);
  }
  const downstream = new Map<string, string[]>([...stages.keys()].map((k) => [k, []]));
  for (const s of stages.values()) {
    for (const u of s.upstream ?? []) {
      if (!stages.has(u))
        invalid(p, `stage "${s.name}" names unknown upstream "${u}"`, {
          stage: s.name,
          upstream: u,
        });
      if (u === s.name) invalid(p, `stage "${s.name}" is its own upstream`, { stage: s.name });
      downstream.get(u)?.push(s.name);
    }
    checkNumber(p, s.name, 'soakMs', s.soakMs);
    checkNumber(p, s.name, 'verification.delayMs', s.verification?.delayMs);
    checkNumber(p, s.name, 'approvals.expiresInMs', s.approvals?.expiresInMs);
    if (s.availability !== undefined && s.availability !== 'any' && s.availability !== 'all') {
      invalid(p, `stage "${s.name}": availability must be "any" or "all"`, { stage: s.name });
    }
    for (const w of s.freezeWindows ?? []) checkFreeze(p, s.name, w);
    for (const level of s.approvals?.levels ?? []) {
      const required = level.required ?? 1;
      if (typeof level.name !== 'string' || level.name.length === 0) {
        invalid(p, `stage "${s.name}": every approval level needs a name`, { stage: s.name });
      }
      if (!Number.isInteger(required) || required < 1) {
        invalid(
          p,
          `stage "${s.name}" approval level "${level.name}": required must be an integer >= 1`,
          { stage: s.name },
        );
      }
      if (level.approvers !== undefined && level.approvers.length < required) {
        invalid(
          p,
          `stage "${s.name}" approval level "${level.name}" needs ${required} approvals but lists ${level.approvers.length} approvers`,
          { stage: s.name },
        );
      }
      for (const r of level.requiredApprovers ?? []) {
        if (level.approvers !== undefined && !level.approvers.includes(r)) {
          invalid(
            p,
            `stage "${s.name}" approval level "${level.name}": required approver "${r}" is not an approver`,
            { stage: s.name },
          );
        }
      }
    }
    const gates = [...(s.gates ?? []), ...(s.verification?.gates ?? [])];
    for (const g of gates) {
      if (!['compatibility', 'health', 'analysis', 'canary', 'custom'].includes(g?.kind)) {
        invalid(
          p,
          `stage "${s.name}" has a gate of unknown kind ${shown((g as { kind?: unknown } | null)?.kind)}`,
          {
            stage: s.name,
          },
        );
      }
    }
  }
  // Kahn's algorithm: cycle detection and a topological order.
  const indegree = new Map([...stages.values()].map((s) => [s.name, (s.upstream ?? []).length]));
  const order: string[] = [];
  const ready = [...stages.keys()].filter((k) => indegree.get(k) === 0);
  while (ready.length > 0) {
    const k = ready.shift() as string;
    order.push(k);
    for (const d of downstream.get(k) ?? []) {
      const n = (indegree.get(d) as number) - 1;
      indegree.set(d, n);
      if (n === 0) ready.push(d);
    }
  }
  if (order.length !== stages.size) {
    invalid(
      p,
      `its stages form a cycle (${[...stages.keys()].filter((k) => !order.includes(k)).join(', ')})`,
    );
  }
  return { name: p, stages, downstream, order };
}

const MINUTES_PER_DAY = 24 * 60;
const DAY_MS = 86_400_000;

function minutes(hhmm: string): number {
  const [h, m] = hhmm.split(':').map(Number);
  return (h as number) * 60 + (m as number);
}

/**
 * When the freeze covering `now` ends (ms epoch), or undefined when no window covers it.
 * Overlapping windows are followed to the end of the last one.
 */
export function freezeEnd(
  windows: readonly FreezeWindow[] | undefined,
  now: number,
): number | undefined {
  if (windows === undefined || windows.length === 0) return undefined;
  let t = now;
  let covered = false;
  for (let guard = 0; guard < 64; guard++) {
    let next: number | undefined;
    for (const w of windows) {
      const end = windowEnd(w, t);
      if (end !== undefined && (next === undefined || end > next)) next = end;
    }
    if (next === undefined || next <= t) break;
    covered = true;
    t = next;
  }
  return covered ? t : undefined;
}

function windowEnd(w: FreezeWindow, t: number): number | undefined {
  if (!('daily' in w)) return t >= w.start && t < w.end ? w.end : undefined;
  const from = minutes(w.daily.from);
  const to = minutes(w.daily.to);
  const dayStart = Math.floor(t / DAY_MS) * DAY_MS;
  // A window that crosses midnight started on the previous day for the early part.
  const candidates: Array<{ start: number; end: number }> = [];
  for (const offset of [-1, 0]) {
    const base = dayStart + offset * DAY_MS;
    const start = base + from * 60_000;
    const length = ((to - from + MINUTES_PER_DAY) % MINUTES_PER_DAY || MINUTES_PER_DAY) * 60_000;
    candidates.push({ start, end: start + length });
  }
  for (const c of candidates) {
    const weekday = new Date(c.start).getUTCDay();
    if (w.days !== undefined && !w.days.includes(weekday)) continue;
    if (t >= c.start && t < c.end) return c.end;
  }
  return undefined;
}
