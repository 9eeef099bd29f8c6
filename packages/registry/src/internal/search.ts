import { registryErrors } from '../errors.js';
import type { SearchHit, SearchPage, SearchQuery } from '../types.js';
import { storeCall, type Ctx } from './context.js';
import { C, toArtifactInfo, type ArtifactDoc, type VersionDoc } from './records.js';

interface Indexed {
  readonly art: ArtifactDoc;
  readonly states: ReadonlySet<string>;
  /** digest / fingerprint → versions. */
  readonly digests: ReadonlyMap<string, string[]>;
  readonly terms: ReadonlyMap<string, number>;
  readonly length: number;
}

const K1 = 1.2;
const B = 0.75;
const WEIGHTS = { name: 3, group: 2, label: 1.5, field: 1.5, description: 1 } as const;

/** Lowercase word pieces; camelCase and snake_case split, the joined form kept too. */
export function tokenize(text: string): string[] {
  const out: string[] = [];
  for (const word of text.split(/[^A-Za-z0-9]+/)) {
    if (word === '') continue;
    const lower = word.toLowerCase();
    out.push(lower);
    const parts = word.split(/(?<=[a-z0-9])(?=[A-Z])/);
    if (parts.length > 1) for (const p of parts) out.push(p.toLowerCase());
  }
  return out;
}

function encodeCursor(value: string | number, artifact: string): string {
  return Buffer.from(JSON.stringify([value, artifact])).toString('base64url');
}

function decodeCursor(cursor: string): [string | number, string] {
  try {
    const v = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8')) as unknown;
    if (Array.isArray(v) && v.length === 2 && typeof v[1] === 'string') {
      return v as [string | number, string];
    }
  } catch {
    // fall through
  }
  throw registryErrors.create('E_INVALID_ARGUMENT', 'malformed search cursor');
}

/**
 * An in-memory inverted index over artifacts (names, groups, descriptions, labels and the schema
 * field names and descriptions of their versions), ranked with BM25. Built on first search and
 * kept current through the same invalidations as the version cache.
 */
export class SearchIndex {
  readonly #ctx: Ctx;
  readonly #docs = new Map<string, Indexed>();
  readonly #postings = new Map<string, Map<string, number>>();
  readonly #stale = new Set<string>();
  #loaded = false;
  #totalLength = 0;

  constructor(ctx: Ctx) {
    this.#ctx = ctx;
  }

  invalidate(artifact: string): void {
    if (this.#loaded) this.#stale.add(artifact);
  }

  clear(): void {
    this.#loaded = false;
    this.#docs.clear();
    this.#postings.clear();
    this.#stale.clear();
    this.#totalLength = 0;
  }

  async #ensure(): Promise<void> {
    if (!this.#loaded) {
      const col = this.#ctx.store.collection<ArtifactDoc>(C.artifacts);
      let cursor: string | undefined;
      do {
        const page = await storeCall(() =>
          col.list({ limit: 1000, ...(cursor !== undefined && { cursor }) }),
        );
        for (const item of page.items) this.#stale.add(item.key);
        cursor = page.cursor;
      } while (cursor !== undefined);
      this.#loaded = true;
    }
    for (const key of [...this.#stale]) {
      this.#stale.delete(key);
      this.#remove(key);
      const c = await this.#ctx.cache.get(key);
      if (c !== undefined)
        this.#add(
          c.art,
          c.versions.entries().map((e) => e.record),
        );
    }
  }

  #add(art: ArtifactDoc, versions: readonly VersionDoc[]): void {
    const terms = new Map<string, number>();
    const put = (text: string | null | undefined, weight: number) => {
      if (text === null || text === undefined) return;
      for (const t of tokenize(text)) terms.set(t, (terms.get(t) ?? 0) + weight);
    };
    put(art.name, WEIGHTS.name);
    put(art.group, WEIGHTS.group);
    put(art.description, WEIGHTS.description);
    for (const [k, v] of Object.entries(art.labels)) {
      put(k, WEIGHTS.label);
      put(v, WEIGHTS.label);
    }
    const states = new Set<string>();
    const digests = new Map<string, string[]>();
    const seenFields = new Set<string>();
    for (const v of versions) {
      if (v.deletedAt !== null) continue;
      states.add(v.state);
      for (const d of [v.digest, v.fingerprint]) {
        if (d !== null) digests.set(d, [...(digests.get(d) ?? []), v.version]);
      }
      for (const f of v.fields) {
        if (!seenFields.has(f)) {
          seenFields.add(f);
          put(f, WEIGHTS.field);
        }
      }
    }
    const latest = versions[versions.length - 1];
    if (latest !== undefined) {
      put(latest.description, WEIGHTS.description);
      for (const [k, v] of Object.entries(latest.labels)) {
        put(k, WEIGHTS.label);
        put(v, WEIGHTS.label);
      }
    }
    let length = 0;
    for (const [t, tf] of terms) {
      length += tf;
      let posting = this.#postings.get(t);
      if (posting === undefined) this.#postings.set(t, (posting = new Map()));
      posting.set(art.artifact, tf);
    }
    this.#totalLength += length;
    this.#docs.set(art.artifact, { art, states, digests, terms, length });
  }

  #remove(key: string): void {
    const d = this.#docs.get(key);
    if (d === undefined) return;
    for (const t of d.terms.keys()) {
      const posting = this.#postings.get(t);
      posting?.delete(key);
      if (posting?.size === 0) this.#postings.delete(t);
    }
    this.#totalLength -= d.length;
    this.#docs.delete(key);
  }

  #scores(text: string): Map<string, number> {
    const n = this.#docs.size;
    const avg = n === 0 ? 1 : this.#totalLength / n;
    const scores = new Map<string, number>();
    const add = (term: string, boost: number) => {
      const posting = this.#postings.get(term);
      if (posting === undefined) return;
      const idf = Math.log(1 + (n - posting.size + 0.5) / (posting.size + 0.5));
      for (const [key, tf] of posting) {
        const len = this.#docs.get(key)?.length ?? avg;
        const s = (idf * (tf * (K1 + 1))) / (tf + K1 * (1 - B + (B * len) / avg));
        scores.set(key, (scores.get(key) ?? 0) + boost * s);
      }
    };
    for (const q of new Set(tokenize(text))) {
      add(q, 1);
      if (q.length >= 3) {
        for (const term of this.#postings.keys()) {
          if (term !== q && term.startsWith(q)) add(term, 0.5);
        }
      }
    }
    return scores;
  }

  async search(query: SearchQuery): Promise<SearchPage> {
    await this.#ensure();
    const q = query ?? {};
    const limit = q.limit ?? 20;
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'limit must be an integer from 1 to 1000');
    }
    if (typeof q !== 'object') {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'a search query must be an object');
    }
    if (q.text !== undefined && typeof q.text !== 'string') {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'search text must be a string');
    }
    const text = q.text?.trim();
    const scores = text !== undefined && text !== '' ? this.#scores(text) : undefined;
    const kinds =
      q.kind === undefined ? undefined : new Set(Array.isArray(q.kind) ? q.kind : [q.kind]);
    const matches: Array<{ d: Indexed; score: number; versions: string[] }> = [];
    const pool = scores === undefined ? this.#docs.keys() : scores.keys();
    for (const key of pool) {
      const d = this.#docs.get(key);
      if (d === undefined) continue;
      const a = d.art;
      if (a.deletedAt !== null && q.includeDeleted !== true) continue;
      if (kinds !== undefined && !kinds.has(a.kind)) continue;
      if (q.group !== undefined && a.group !== q.group) continue;
      if (q.owner !== undefined && a.owner !== q.owner) continue;
      if (q.createdAfter !== undefined && a.createdAt < q.createdAfter) continue;
      if (q.createdBefore !== undefined && a.createdAt > q.createdBefore) continue;
      if (q.state !== undefined && !d.states.has(q.state)) continue;
      if (q.labels !== undefined) {
        const ok = Object.entries(q.labels).every(([k, v]) =>
          v === '*' ? a.labels[k] !== undefined : a.labels[k] === v,
        );
        if (!ok) continue;
      }
      let versions: string[] = [];
      if (q.digest !== undefined) {
        const hit = d.digests.get(q.digest);
        if (hit === undefined) continue;
        versions = hit;
      }
      matches.push({ d, score: scores?.get(key) ?? 0, versions });
    }
    const sort = q.sort ?? (scores === undefined ? 'name' : 'relevance');
    const desc = (q.order ?? (sort === 'name' ? 'asc' : 'desc')) === 'desc';
    const valueOf = (m: (typeof matches)[number]): string | number =>
      sort === 'relevance'
        ? m.score
        : sort === 'name'
          ? m.d.art.artifact
          : sort === 'createdAt'
            ? m.d.art.createdAt
            : m.d.art.updatedAt;
    const compare = (a: string | number, ak: string, b: string | number, bk: string): number => {
      const c = a < b ? -1 : a > b ? 1 : 0;
      if (c !== 0) return desc ? -c : c;
      return ak < bk ? -1 : ak > bk ? 1 : 0;
    };
    matches.sort((x, y) => compare(valueOf(x), x.d.art.artifact, valueOf(y), y.d.art.artifact));
    let start = 0;
    if (q.cursor !== undefined) {
      const [v, k] = decodeCursor(q.cursor);
      start = matches.findIndex((m) => compare(valueOf(m), m.d.art.artifact, v, k) > 0);
      if (start < 0) start = matches.length;
    }
    const page = matches.slice(start, start + limit);
    const last = page[page.length - 1];
    const hits: SearchHit[] = page.map((m) => ({
      artifact: toArtifactInfo(m.d.art),
      score: m.score,
      versions: m.versions,
    }));
    return {
      hits,
      total: matches.length,
      cursor:
        last !== undefined && start + limit < matches.length
          ? encodeCursor(valueOf(last), last.d.art.artifact)
          : undefined,
    };
  }
}
