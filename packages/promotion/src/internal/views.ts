import type { Page, Store } from '@plinth/storage';
import type { HistoryEntry, Promotion, StageDiffEntry, StageView } from '../types.js';
import {
  COLLECTIONS,
  stageKey,
  type PromotionDoc,
  type StageDoc,
  type ReleaseDoc,
} from './collections.js';

/** The public view of a promotion record (bookkeeping fields removed). */
export function toPromotion(doc: PromotionDoc): Promotion {
  const { live: _l, lease: _le, fingerprint: _f, stageKey: _s, ...rest } = doc;
  return rest as Promotion;
}

export async function stageView(store: Store, pipeline: string, stage: string): Promise<StageView> {
  const s = (await store.collection<StageDoc>(COLLECTIONS.stages).get(stageKey(pipeline, stage)))
    ?.value;
  const occupants = Object.values(s?.contents ?? {});
  const releases = await store
    .collection<ReleaseDoc>(COLLECTIONS.releases)
    .getMany(occupants.map((o) => o.releaseId));
  return {
    pipeline,
    stage,
    releases: occupants.flatMap((o, i) => {
      const r = releases[i]?.value;
      return r === undefined ? [] : [{ ...o, release: r }];
    }),
    ...(s?.active != null && { active: s.active }),
    queued: s?.queue ?? [],
    ...(s?.hold !== undefined && { hold: s.hold }),
    ...(s?.pin !== undefined && { pin: s.pin }),
  };
}

function artifacts(view: StageView): Map<string, string> {
  const m = new Map<string, string>();
  for (const r of view.releases) for (const a of r.release.artifacts) m.set(a.name, a.version);
  return m;
}

/** Artifact-by-artifact comparison of two stages. */
export function diffStages(left: StageView, right: StageView): StageDiffEntry[] {
  const l = artifacts(left);
  const r = artifacts(right);
  const names = [...new Set([...l.keys(), ...r.keys()])].sort();
  return names.map((artifact) => {
    const a = l.get(artifact);
    const b = r.get(artifact);
    const status =
      a === undefined ? 'only-right' : b === undefined ? 'only-left' : a === b ? 'same' : 'differs';
    return {
      artifact,
      status,
      ...(a !== undefined && { left: a }),
      ...(b !== undefined && { right: b }),
    };
  });
}

export async function historyPage(
  store: Store,
  pipeline: string,
  stage: string,
  options: { limit?: number; cursor?: string; reverse?: boolean },
): Promise<Page<HistoryEntry>> {
  const page = await store
    .collection<HistoryEntry & { [k: string]: unknown }>(COLLECTIONS.history)
    .list({
      prefix: `${stageKey(pipeline, stage)}/`,
      limit: options.limit ?? 100,
      ...(options.cursor !== undefined && { cursor: options.cursor }),
      ...(options.reverse !== undefined && { reverse: options.reverse }),
    });
  return { items: page.items.map((e) => e.value), cursor: page.cursor };
}
