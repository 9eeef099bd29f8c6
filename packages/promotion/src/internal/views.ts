import type { Page, Store } from '@plinth/storage';
import { promotionErrors } from '../errors.js';
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

interface HistoryCursor {
  /** Key of the history record the next page starts in. */
  readonly k: string;
  /** Entries of that record already returned. */
  readonly o: number;
}

function readCursor(cursor: string): HistoryCursor {
  try {
    const c = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as HistoryCursor;
    if (typeof c.k === 'string' && Number.isInteger(c.o) && c.o >= 0) return c;
  } catch {
    // fall through
  }
  throw promotionErrors.create('E_INVALID_ARGUMENT', 'malformed history cursor');
}

/**
 * A page of a stage's audit trail. History is stored as one record per commit (its entries in
 * order); pages count entries and the cursor remembers the position inside a record.
 */
export async function historyPage(
  store: Store,
  pipeline: string,
  stage: string,
  options: { limit?: number; cursor?: string; reverse?: boolean },
): Promise<Page<HistoryEntry>> {
  const limit = options.limit ?? 100;
  if (!Number.isInteger(limit) || limit < 1 || limit > 10_000) {
    throw promotionErrors.create(
      'E_INVALID_ARGUMENT',
      'history limit must be an integer from 1 to 10000',
    );
  }
  const reverse = options.reverse === true;
  const prefix = `${stageKey(pipeline, stage)}/`;
  const start = options.cursor === undefined ? undefined : readCursor(options.cursor);
  const collection = store.collection<{ entries: HistoryEntry[] }>(COLLECTIONS.history);
  const items: HistoryEntry[] = [];
  let next: HistoryCursor | undefined;
  // Forward: keys >= gte; reverse: keys < lt. A cursor resumes inside its record.
  let gte = reverse ? undefined : start?.k;
  let lt = reverse && start !== undefined ? `${start.k}\u0000` : undefined;
  let skip = start?.o ?? 0;
  outer: for (;;) {
    const page = await collection.list({
      prefix,
      limit: Math.min(limit + 1, 10_000),
      reverse,
      ...(gte !== undefined && { gte }),
      ...(lt !== undefined && { lt }),
    });
    for (const record of page.items) {
      const entries = reverse ? [...record.value.entries].reverse() : record.value.entries;
      for (let i = skip; i < entries.length; i++) {
        if (items.length === limit) {
          next = { k: record.key, o: i };
          break outer;
        }
        items.push(entries[i] as HistoryEntry);
      }
      skip = 0;
    }
    const last = page.items[page.items.length - 1];
    if (page.cursor === undefined || last === undefined) break;
    if (reverse) lt = last.key;
    else gte = `${last.key}\u0000`;
  }
  return {
    items,
    cursor:
      next === undefined ? undefined : Buffer.from(JSON.stringify(next)).toString('base64url'),
  };
}
