import type { Store } from '@plinth/storage';
import { C, type ArtifactDoc, type VersionDoc } from './records.js';
import { VersionSet } from './version-set.js';

/** What the registry keeps in memory per artifact. */
export interface CachedArtifact {
  readonly art: ArtifactDoc;
  readonly versions: VersionSet<VersionDoc>;
  /** The artifact generation the versions reflect. */
  generation: number;
}

interface Entry {
  art: ArtifactDoc | undefined;
  versions: VersionSet<VersionDoc>;
  generation: number;
  stale: boolean;
}

/**
 * Per-artifact version sets kept in memory. Every write to an artifact or its versions bumps the
 * artifact's `generation` and stamps the written version with it, so catching up after a change
 * (announced by the store's change feed, or found in a transaction) reads only the versions
 * written since — an index range scan, not a reload. Hard deletes force a reload.
 */
export class VersionCache {
  readonly #store: Store;
  readonly #entries = new Map<string, Entry>();
  readonly #loading = new Map<string, Promise<Entry | undefined>>();
  /** Invalidations per artifact, so one that lands during a refresh is not lost. */
  readonly #marks = new Map<string, number>();

  constructor(store: Store) {
    this.#store = store;
  }

  /** Marks an artifact as possibly changed by someone else. */
  invalidate(artifact: string): void {
    this.#marks.set(artifact, (this.#marks.get(artifact) ?? 0) + 1);
    const e = this.#entries.get(artifact);
    if (e !== undefined) e.stale = true;
  }

  clear(): void {
    this.#entries.clear();
  }

  /**
   * The artifact and its versions, or undefined when the artifact does not exist. With
   * `generation`, catches up until at least that generation (used inside transactions).
   */
  async get(artifact: string, generation?: number): Promise<CachedArtifact | undefined> {
    const e = this.#entries.get(artifact);
    if (e !== undefined && !e.stale && (generation === undefined || e.generation >= generation)) {
      return e.art === undefined ? undefined : (e as CachedArtifact);
    }
    let p = this.#loading.get(artifact);
    if (p === undefined) {
      p = this.#refresh(artifact, e).finally(() => this.#loading.delete(artifact));
      this.#loading.set(artifact, p);
    }
    const out = await p;
    if (out !== undefined && generation !== undefined && out.generation < generation) {
      return this.get(artifact, generation);
    }
    return out?.art === undefined ? undefined : (out as CachedArtifact);
  }

  /**
   * The versions as of `art`, the artifact a transaction read (and checks at commit): every write
   * bumps the generation and stamps it on what it writes, so an entry at exactly that generation
   * (of the same incarnation of the artifact) is exact, even when the change feed has marked it
   * stale meanwhile (usually for this instance's own last commit). Otherwise catches up.
   */
  async at(art: ArtifactDoc): Promise<CachedArtifact | undefined> {
    const e = this.#entries.get(art.artifact);
    if (
      e?.art !== undefined &&
      e.generation === art.generation &&
      e.art.createdAt === art.createdAt
    ) {
      return e as CachedArtifact;
    }
    return this.get(art.artifact, art.generation);
  }

  /** The cached artifact document, if any (possibly behind the store; for pre-checks only). */
  peek(artifact: string): ArtifactDoc | undefined {
    return this.#entries.get(artifact)?.art;
  }

  /**
   * Applies a committed local write (no store round trip). The transaction read the artifact at
   * `generation - 1` and wrote `generation`, so an entry at `generation - 1` plus this write is
   * exact at `generation`; a stale mark stays (reads outside transactions still catch up).
   */
  apply(art: ArtifactDoc, versions: readonly VersionDoc[], removed: readonly string[] = []): void {
    const e = this.#entries.get(art.artifact);
    if (e === undefined) return; // loaded on first use
    const gen = art.generation as number;
    if (e.generation >= gen) return;
    if (e.generation + 1 !== gen) {
      // Someone else wrote in between: catch up from the store on next use.
      e.stale = true;
      return;
    }
    for (const v of versions) e.versions.upsert(v.version, v);
    for (const k of removed) e.versions.remove(k);
    e.art = art;
    e.generation = gen;
  }

  async #refresh(artifact: string, e: Entry | undefined): Promise<Entry | undefined> {
    const marks = this.#marks.get(artifact) ?? 0;
    const got = await this.#store.collection<ArtifactDoc>(C.artifacts).get(artifact);
    const art = got?.value;
    if (art === undefined) {
      this.#entries.delete(artifact);
      return undefined;
    }
    const gen = art.generation as number;
    const hardGen = (art.hardDeleteGen as number | undefined) ?? 0;
    if (e === undefined || hardGen > e.generation) {
      const versions = await this.#loadAll(artifact);
      const stale = (this.#marks.get(artifact) ?? 0) !== marks;
      const fresh: Entry = { art, versions, generation: gen, stale };
      this.#entries.set(artifact, fresh);
      return fresh;
    }
    if (gen > e.generation) {
      const col = this.#store.collection<VersionDoc>(C.versions);
      let cursor: string | undefined;
      do {
        const page = await col.find('byArtifactGen', {
          eq: artifact,
          gt: e.generation,
          limit: 10_000,
          ...(cursor !== undefined && { cursor }),
        });
        for (const item of page.items) e.versions.upsert(item.value.version, item.value);
        cursor = page.cursor;
      } while (cursor !== undefined);
    }
    if (gen >= e.generation) e.art = art;
    e.generation = Math.max(e.generation, gen);
    e.stale = (this.#marks.get(artifact) ?? 0) !== marks;
    return e;
  }

  async #loadAll(artifact: string): Promise<VersionSet<VersionDoc>> {
    const col = this.#store.collection<VersionDoc>(C.versions);
    const items: { version: string; record: VersionDoc }[] = [];
    let cursor: string | undefined;
    do {
      const page = await col.list({
        prefix: `${artifact}@`,
        limit: 10_000,
        ...(cursor !== undefined && { cursor }),
      });
      for (const item of page.items)
        items.push({ version: item.value.version, record: item.value });
      cursor = page.cursor;
    } while (cursor !== undefined);
    return VersionSet.from(items);
  }
}
