/** Holds (stop auto-promotion) and pins (refuse all but rollbacks) on stages. */
import type { Principal, StageView } from '../types.js';

import { principalOf, text } from './args.js';
import { type StageDoc } from './collections.js';
import { pipelineOf, stageOf } from './core.js';
import type { Ops } from './ops.js';

async function stageFlag(
  ops: Ops,
  op: 'hold' | 'unhold' | 'pin' | 'unpin',
  input: { pipeline: string; stage: string; reason?: string; principal?: Principal },
): Promise<StageView> {
  ops.ready(op);
  const p = pipelineOf(ops.core, input?.pipeline);
  stageOf(ops.core, p.name, input.stage);
  const principal = principalOf(input.principal);
  await ops.authorize(principal, op.includes('pin') ? 'stage:pin' : 'stage:hold', {
    pipeline: p.name,
    stage: input.stage,
  });
  const reason = op === 'hold' || op === 'pin' ? text(input.reason, 'reason') : '';
  await ops.unit(async (u) => {
    const s = await u.stage(p.name, input.stage);
    const flag = { reason, by: principal.id, at: u.now };
    const { hold: _h, pin: _p, ...rest } = s;
    const next: StageDoc =
      op === 'hold'
        ? { ...s, hold: flag }
        : op === 'pin'
          ? { ...s, pin: flag }
          : op === 'unhold'
            ? { ...rest, ...(s.pin && { pin: s.pin }) }
            : { ...rest, ...(s.hold && { hold: s.hold }) };
    await u.putStage(next);
    await u.history(
      p.name,
      input.stage,
      `stage:${op}`,
      principal.id,
      reason ? { details: { reason } } : {},
    );
    if (op === 'hold')
      u.emit('stage:held', { pipeline: p.name, stage: input.stage, reason, at: u.now });
    else if (op === 'pin')
      u.emit('stage:pinned', { pipeline: p.name, stage: input.stage, reason, at: u.now });
    else if (op === 'unhold')
      u.emit('stage:released', { pipeline: p.name, stage: input.stage, at: u.now });
    else u.emit('stage:unpinned', { pipeline: p.name, stage: input.stage, at: u.now });
  });
  return ops.stage(p.name, input.stage);
}

/** Stops auto-promotion into the stage (manual promotions still run). */
export function hold(
  ops: Ops,
  input: {
    pipeline: string;
    stage: string;
    reason: string;
    principal?: Principal;
  },
): Promise<StageView> {
  return stageFlag(ops, 'hold', input);
}

/** Lets auto-promotion into the stage resume. */
export function releaseHold(
  ops: Ops,
  input: {
    pipeline: string;
    stage: string;
    principal?: Principal;
  },
): Promise<StageView> {
  return stageFlag(ops, 'unhold', input);
}

/** Pins the stage to what it holds: every request but a rollback is refused. */
export function pin(
  ops: Ops,
  input: {
    pipeline: string;
    stage: string;
    reason: string;
    principal?: Principal;
  },
): Promise<StageView> {
  return stageFlag(ops, 'pin', input);
}

export function unpin(
  ops: Ops,
  input: { pipeline: string; stage: string; principal?: Principal },
): Promise<StageView> {
  return stageFlag(ops, 'unpin', input);
}
