import {
  DEFAULT_LIMITS as CORE_LIMITS,
  Lifecycle,
  TypedEmitter,
  createIdGenerator,
  resolveOptions,
  systemClock,
  type Clock,
  type Logger,
} from '@plinth/core';
import type { Store, StoreChange } from '@plinth/storage';
import { registryErrors } from './errors.js';
import type { RegistryEvents } from './events.js';
import { BlobLayer } from './blob/blob-layer.js';
import type { BlobStore } from './blob/blob-store.js';
import { StorageBlobStore } from './adapters/storage-blob-store.js';
import { DEFAULT_LIMITS, DEFAULT_REGISTRY_OPTIONS, REGISTRY_OPTION_SPEC } from './options.js';
import type { SchemaEngine } from './schema-engine.js';
import type * as T from './types.js';
import * as artifacts from './internal/artifacts.js';
import { ContentCache } from './internal/content-cache.js';
import {
  actorOf,
  mapStorageError,
  runTx,
  storeCall,
  writeAudit,
  type Ctx,
} from './internal/context.js';
import { defaultEngine } from './internal/default-engine.js';
import { collectGarbage } from './internal/gc.js';
import { IdAllocator } from './internal/id-allocator.js';
import * as lifecycle from './internal/lifecycle.js';
import { artifactName, artifactOfVersionKey, parseRef } from './internal/names.js';
import { publishAll, type StorageBlobHook } from './internal/publish.js';
import { artifactOrThrow, exactDoc, infoOf, resolveDoc } from './internal/reads.js';
import {
  C,
  COLLECTIONS,
  toArtifactInfo,
  toAuditEntry,
  type AuditDoc,
  type VersionDoc,
} from './internal/records.js';
import { applyRetention } from './internal/retention.js';
import { checkRules, mergeRules, scopeKey } from './internal/rules.js';
import { contentOf } from './internal/schema-content.js';
import { SearchIndex } from './internal/search.js';
import * as tags from './internal/tags.js';
import { exportRegistry, importRegistry } from './internal/transfer.js';
import { Telemetry } from './internal/telemetry.js';
import { UsageTracker } from './internal/usage.js';
import { RangeCache } from './internal/version-set.js';
import { VersionCache } from './internal/version-cache.js';

type Resolved = Readonly<typeof DEFAULT_REGISTRY_OPTIONS & T.RegistryOptions>;

/**
 * A versioned artifact registry over the host's `@plinth/storage` store: immutable semver
 * versions with registry-wide ids, indexed range resolution, tags, content-addressed blobs,
 * rules at publish, search, lifecycle, retention and garbage collection.
 *
 * ```ts
 * const registry = await new Registry({ store }).open();
 * await registry.publish({ artifact: 'payments/orders', kind: 'schema', format: 'json-schema', schema });
 * const { version, content } = await registry.fetch('payments/orders@^1');
 * ```
 */
export class Registry extends TypedEmitter<RegistryEvents> {
  readonly #o: Resolved;
  readonly #store: Store;
  readonly #life: Lifecycle;
  readonly #ctx: Ctx;
  readonly #cache: VersionCache;
  readonly #search: SearchIndex;
  readonly #rules = new Map<string, T.Rules | undefined>();
  readonly #blobStore: BlobStore;
  readonly #inlineHook: StorageBlobHook | undefined;
  #usage: UsageTracker | undefined;
  readonly #telemetry = new Telemetry();
  #engine: SchemaEngine | undefined;
  #opened = false;
  #sharedReadOnly = false;
  #stopWatch: (() => Promise<void>) | undefined;

  constructor(options: T.RegistryOptions) {
    super();
    this.#o = resolveOptions<T.RegistryOptions, typeof DEFAULT_REGISTRY_OPTIONS>({
      package: '@plinth/registry',
      owner: 'Registry',
      spec: REGISTRY_OPTION_SPEC,
      defaults: DEFAULT_REGISTRY_OPTIONS,
      input: options,
    });
    if (this.#o.defaultRules !== undefined) checkRules(this.#o.defaultRules, 'defaultRules');
    this.#store = this.#o.store;
    const limits = Object.freeze({ ...DEFAULT_LIMITS, ...this.#o.limits });
    for (const [name, value] of Object.entries(this.#o.limits ?? {})) {
      if (!(name in DEFAULT_LIMITS) || typeof value !== 'number' || !(value >= 1)) {
        throw registryErrors.create(
          'E_INVALID_OPTION',
          `Registry: option "limits.${name}" must be a known limit and a number >= 1`,
          { details: { owner: 'Registry', option: `limits.${name}` } },
        );
      }
    }
    this.#blobStore =
      this.#o.blobs ?? new StorageBlobStore({ store: this.#store, clock: this.#o.clock });
    const inline = this.#blobStore instanceof StorageBlobStore ? this.#blobStore : undefined;
    this.#inlineHook =
      inline === undefined
        ? undefined
        : { kvKey: (k) => inline.kvKey(k), encode: (b, now) => inline.encode(b, now) };
    this.#cache = new VersionCache(this.#store);
    this.#engine = this.#o.validation;
    this.#life = new Lifecycle('@plinth/registry', 'Registry', () => this.#shutdown());
    const clock: Clock = this.#o.clock;
    const logger: Logger = this.#o.logger.child({ component: '@plinth/registry' });
    this.#ctx = {
      store: this.#store,
      blobs: new BlobLayer(this.#blobStore, limits.maxContentBytes),
      inlineBlobs: inline !== undefined,
      clock,
      logger,
      ids: createIdGenerator({ clock }),
      limits,
      compression: this.#o.compression,
      initialVersion: this.#o.initialVersion,
      cache: this.#cache,
      contents: new ContentCache(this.#o.contentCacheBytes),
      ranges: new RangeCache(),
      versionIds: new IdAllocator(this.#store, 'versionId', this.#o.idBlockSize),
      contentIds: new IdAllocator(this.#store, 'contentId', this.#o.idBlockSize),
      engine: () => (this.#engine ??= defaultEngine()),
      rules: (artifact) => this.effectiveRules(artifact),
      assertOpen: (op) => this.#assertOpen(op),
      assertWritable: (op) => {
        this.#assertOpen(op);
        if (this.#o.readOnly || this.#sharedReadOnly) {
          throw registryErrors.create('E_READ_ONLY', `the registry is read-only; ${op}() refused`, {
            details: { operation: op },
          });
        }
      },
      emit: (name, payload) => {
        const artifact = (payload as { artifact?: unknown }).artifact;
        if (typeof artifact === 'string') this.#search.invalidate(artifact);
        this.emit(name, payload as never);
      },
      recordFetch: (key) => this.#usage?.record(key),
    };
    this.#search = new SearchIndex(this.#ctx);
  }

  /** Declares the registry's collections on the store, loads the mode, follows the change feed. */
  /** The resolved {@link RegistryLimits} (defaults filled in). */
  get limits(): Readonly<Required<T.RegistryLimits>> {
    return this.#ctx.limits;
  }

  async open(): Promise<this> {
    this.#life.assertOpen('open');
    if (this.#opened) return this;
    this.#store.defineCollections(COLLECTIONS);
    await this.#telemetry.load();
    const mode = await storeCall(() => this.#store.collection(C.meta).get('mode'));
    this.#sharedReadOnly = mode?.value.readOnly === true;
    if (this.#o.watchChanges) {
      this.#stopWatch = await storeCall(() => this.#store.watch((c) => this.#onChange(c)));
    }
    this.#usage = new UsageTracker(
      this.#store,
      this.#ctx.clock,
      this.#ctx.logger,
      this.#o.usageFlushMs,
    );
    this.#opened = true;
    return this;
  }

  #assertOpen(op: string): void {
    this.#life.assertOpen(op);
    if (!this.#opened) {
      throw registryErrors.create('E_CLOSED', `Registry.${op}() called before open()`);
    }
  }

  #onChange(c: StoreChange): void {
    switch (c.collection) {
      case C.versions: {
        const a = artifactOfVersionKey(c.key);
        this.#cache.invalidate(a);
        this.#search.invalidate(a);
        break;
      }
      case C.artifacts:
        this.#cache.invalidate(c.key);
        this.#search.invalidate(c.key);
        break;
      case C.rules:
        this.#rules.delete(c.key);
        break;
      case C.meta:
        if (c.key === 'mode') {
          void this.#store
            .collection(C.meta)
            .get('mode')
            .then((m) => {
              this.#sharedReadOnly = m?.value.readOnly === true;
            })
            .catch(() => {});
        }
        break;
      default:
    }
  }

  // ── artifacts ─────────────────────────────────────────────────────────────────────────────

  async createArtifact(input: T.CreateArtifactInput): Promise<T.ArtifactInfo> {
    return toArtifactInfo(await artifacts.createArtifact(this.#ctx, input));
  }

  async getArtifact(artifact: string): Promise<T.ArtifactInfo> {
    this.#assertOpen('getArtifact');
    return toArtifactInfo((await artifactOrThrow(this.#ctx, artifactName(artifact))).art);
  }

  async updateArtifact(
    artifact: string,
    patch: {
      description?: string;
      labels?: Record<string, string>;
      owner?: string | null;
    } & T.ActorOption,
  ): Promise<T.ArtifactInfo> {
    return toArtifactInfo(await artifacts.updateArtifact(this.#ctx, artifact, patch));
  }

  deleteArtifact(
    artifact: string,
    options?: { permanent?: boolean } & T.ActorOption,
  ): Promise<void> {
    return artifacts.deleteArtifact(this.#ctx, artifact, options);
  }

  restoreArtifact(artifact: string, options?: T.ActorOption): Promise<void> {
    return artifacts.restoreArtifact(this.#ctx, artifact, options);
  }

  // ── publish and read ──────────────────────────────────────────────────────────────────────

  /** Publishes one version (idempotent for identical content). */
  async publish(input: T.PublishInput): Promise<T.PublishResult> {
    return (await this.#publishRetrying([input]))[0] as T.PublishResult;
  }

  /** Publishes several versions in one transaction: all of them, or none. */
  publishMany(inputs: readonly T.PublishInput[]): Promise<T.PublishResult[]> {
    if (!Array.isArray(inputs) || inputs.length === 0) {
      return Promise.reject(
        registryErrors.create('E_INVALID_ARGUMENT', 'publishMany() takes a non-empty array'),
      );
    }
    return this.#publishRetrying(inputs);
  }

  #publishRetrying(inputs: readonly T.PublishInput[]): Promise<T.PublishResult[]> {
    const first = inputs[0]?.artifact;
    return this.#telemetry.span(
      inputs.length === 1 ? 'publish' : 'publish_many',
      {
        'plinth.registry.artifact': typeof first === 'string' ? first : '',
        'plinth.registry.count': inputs.length,
      },
      () => this.#publishLoop(inputs),
    );
  }

  async #publishLoop(inputs: readonly T.PublishInput[]): Promise<T.PublishResult[]> {
    if (!Array.isArray(inputs)) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'publishMany() takes an array of inputs');
    }
    for (const i of inputs) {
      if (typeof i !== 'object' || i === null || Array.isArray(i)) {
        throw registryErrors.create('E_INVALID_ARGUMENT', 'a publish input must be an object');
      }
    }
    const replayable = inputs.every(
      (i) =>
        i.content === undefined || typeof i.content === 'string' || i.content instanceof Uint8Array,
    );
    for (let attempt = 1; ; attempt++) {
      try {
        return await publishAll(this.#ctx, inputs, this.#inlineHook);
      } catch (error) {
        if (!replayable || attempt >= 20 || !registryErrors.is(error, 'E_BLOB_BUSY')) throw error;
        // Backoff for a lost race, not domain time: real timers even under a ManualClock.
        await systemClock.sleep(Math.min(200, 5 * attempt));
      }
    }
  }

  /** The version a reference resolves to (see {@link ResolveOptions}). */
  async resolve(ref: string, options?: T.ResolveOptions): Promise<T.VersionInfo> {
    this.#assertOpen('resolve');
    return infoOf(await resolveDoc(this.#ctx, ref, options));
  }

  /** Resolves a reference and returns its metadata and (verified, cached) content. */
  async fetch(ref: string, options?: T.ResolveOptions): Promise<T.FetchResult> {
    this.#assertOpen('fetch');
    const doc = await resolveDoc(this.#ctx, ref, options);
    const content = await contentOf(this.#ctx, doc);
    this.#ctx.recordFetch(`${doc.artifact}@${doc.key}`);
    return { version: infoOf(doc), content };
  }

  /** Streams a version's content (verified as it streams: corruption throws at the end). */
  async openContent(ref: string, options?: T.ResolveOptions): Promise<AsyncIterable<Uint8Array>> {
    this.#assertOpen('openContent');
    const doc = await resolveDoc(this.#ctx, ref, options);
    this.#ctx.recordFetch(`${doc.artifact}@${doc.key}`);
    return this.#ctx.blobs.read(doc.digest, doc.compression);
  }

  /** Every version of an artifact, ascending by precedence (deleted ones with `includeDeleted`). */
  async listVersions(
    artifact: string,
    options: { includeDeleted?: boolean } = {},
  ): Promise<T.VersionInfo[]> {
    this.#assertOpen('listVersions');
    const c = await artifactOrThrow(this.#ctx, artifactName(artifact));
    return c.versions
      .entries()
      .filter((e) => options.includeDeleted === true || e.record.deletedAt === null)
      .map((e) => infoOf(e.record));
  }

  /** A version by its registry-wide id. */
  async getVersionById(id: number): Promise<T.VersionInfo> {
    this.#assertOpen('getVersionById');
    if (!Number.isSafeInteger(id) || id < 1) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'id must be a positive integer');
    }
    const hit = await storeCall(() =>
      this.#store.collection<VersionDoc>(C.versions).findOne('byId', id),
    );
    if (hit === undefined) {
      throw registryErrors.create('E_UNKNOWN_VERSION', `no version has id ${id}`, {
        details: { id },
      });
    }
    return infoOf(hit.value);
  }

  /** The content with a content id (Confluent's schema id) and every version that holds it. */
  async getContent(
    contentId: number,
  ): Promise<{ contentId: number; content: Uint8Array; versions: T.VersionInfo[] }> {
    this.#assertOpen('getContent');
    if (!Number.isSafeInteger(contentId) || contentId < 1) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'contentId must be a positive integer');
    }
    const page = await storeCall(() =>
      this.#store
        .collection<VersionDoc>(C.versions)
        .find('byContentId', { eq: contentId, limit: 1000 }),
    );
    const first = page.items[0];
    if (first === undefined) {
      throw registryErrors.create('E_UNKNOWN_VERSION', `no content has id ${contentId}`, {
        details: { contentId },
      });
    }
    const content = await contentOf(this.#ctx, first.value);
    return { contentId, content, versions: page.items.map((i) => infoOf(i.value)) };
  }

  /** Versions that reference this exact version. */
  async referencedBy(ref: string): Promise<string[]> {
    this.#assertOpen('referencedBy');
    const { key } = await exactDoc(this.#ctx, ref);
    const page = await storeCall(() =>
      this.#store.collection(C.refs).find('byTarget', { eq: key, limit: 10_000 }),
    );
    return page.items.map((r) => r.value.from as string);
  }

  // ── tags and lifecycle ────────────────────────────────────────────────────────────────────

  setTag(
    artifact: string,
    tag: string,
    version: string,
    options?: { pin?: boolean } & T.ActorOption,
  ): Promise<T.TagInfo> {
    return tags.setTag(this.#ctx, artifact, tag, version, options);
  }

  removeTag(artifact: string, tag: string, options?: T.ActorOption): Promise<void> {
    return tags.removeTag(this.#ctx, artifact, tag, options);
  }

  tagHistory(artifact: string, tag: string, options?: { limit?: number; cursor?: string }) {
    this.#assertOpen('tagHistory');
    return tags.tagHistory(this.#ctx, artifact, tag, options);
  }

  async setState(
    ref: string,
    state: T.VersionState,
    options?: T.ActorOption,
  ): Promise<T.VersionInfo> {
    return infoOf(await lifecycle.setState(this.#ctx, ref, state, options));
  }

  deprecate(ref: string, options?: T.ActorOption): Promise<T.VersionInfo> {
    return this.setState(ref, 'deprecated', options);
  }

  deleteVersion(ref: string, options?: T.DeleteVersionOptions): Promise<void> {
    return lifecycle.deleteVersion(this.#ctx, ref, options);
  }

  restoreVersion(ref: string, options?: T.ActorOption): Promise<void> {
    return lifecycle.restoreVersion(this.#ctx, ref, options);
  }

  // ── rules ─────────────────────────────────────────────────────────────────────────────────

  async setRules(scope: T.RuleScope, rules: T.Rules, options: T.ActorOption = {}): Promise<void> {
    this.#ctx.assertWritable('setRules');
    const key = scopeKey(scope);
    const checked = checkRules(rules, 'rules', this.#ctx.limits.maxDepth);
    const actor = actorOf(options);
    await runTx(this.#ctx, async (tx) => {
      await tx.collection(C.rules).put(key, { rules: checked, updatedAt: this.#ctx.clock.now() });
      await writeAudit(this.#ctx, tx, {
        action: 'rules.set',
        actor,
        details: { scope: key, rules: checked },
      });
    });
    this.#rules.delete(key);
    this.emit('rules:changed', { scope: key, actor, at: this.#ctx.clock.now() });
  }

  async clearRules(scope: T.RuleScope, options: T.ActorOption = {}): Promise<void> {
    this.#ctx.assertWritable('clearRules');
    const key = scopeKey(scope);
    const actor = actorOf(options);
    await runTx(this.#ctx, async (tx) => {
      await tx.collection(C.rules).delete(key);
      await writeAudit(this.#ctx, tx, { action: 'rules.cleared', actor, details: { scope: key } });
    });
    this.#rules.delete(key);
    this.emit('rules:changed', { scope: key, actor, at: this.#ctx.clock.now() });
  }

  /** The rules set at exactly this scope (not inherited). */
  async getRules(scope: T.RuleScope): Promise<T.Rules | undefined> {
    this.#assertOpen('getRules');
    return this.#scopeRules(scopeKey(scope));
  }

  async #scopeRules(key: string): Promise<T.Rules | undefined> {
    if (this.#rules.has(key)) return this.#rules.get(key);
    const doc = await storeCall(() => this.#store.collection(C.rules).get(key));
    const rules = doc?.value.rules as T.Rules | undefined;
    this.#rules.set(key, rules);
    return rules;
  }

  /** The rules a publish to `artifact` runs under, with the scope each field came from. */
  async effectiveRules(artifact: string): Promise<T.ResolvedRules> {
    this.#assertOpen('effectiveRules');
    const name = artifactName(artifact);
    const [g, gr, a] = await Promise.all([
      this.#scopeRules('global'),
      this.#scopeRules(`group:${name.group}`),
      this.#scopeRules(`artifact:${name.key}`),
    ]);
    return mergeRules(this.#o.defaultRules ?? {}, g, gr, a);
  }

  // ── search, usage, audit ──────────────────────────────────────────────────────────────────

  search(query: T.SearchQuery = {}): Promise<T.SearchPage> {
    this.#assertOpen('search');
    return this.#search.search(query);
  }

  async usage(ref: string): Promise<T.UsageInfo> {
    this.#assertOpen('usage');
    const { key } = await exactDoc(this.#ctx, ref);
    return (this.#usage as UsageTracker).get(key);
  }

  /** Writes pending usage counts now. */
  flushUsage(): Promise<void> {
    this.#assertOpen('flushUsage');
    return (this.#usage as UsageTracker).flush();
  }

  /** The audit trail, oldest first (of one artifact with `artifact`). */
  async audit(
    options: { artifact?: string; limit?: number; cursor?: string; reverse?: boolean } = {},
  ): Promise<{ entries: T.AuditEntry[]; cursor: string | undefined }> {
    this.#assertOpen('audit');
    if (typeof options !== 'object' || options === null) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'audit() options must be an object');
    }
    const { limit, cursor, reverse } = options;
    if (
      limit !== undefined &&
      (!Number.isInteger(limit) || limit < 1 || limit > CORE_LIMITS.maxPageSize)
    ) {
      throw registryErrors.create(
        'E_INVALID_ARGUMENT',
        `audit() limit must be an integer from 1 to ${CORE_LIMITS.maxPageSize}`,
        { details: { limit: 'maxPageSize' } },
      );
    }
    if (cursor !== undefined && typeof cursor !== 'string') {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'audit() cursor must be a string');
    }
    if (reverse !== undefined && typeof reverse !== 'boolean') {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'audit() reverse must be a boolean');
    }
    const col = this.#store.collection<AuditDoc>(C.audit);
    const paging = {
      limit: options.limit ?? 100,
      ...(options.cursor !== undefined && { cursor: options.cursor }),
      ...(options.reverse === true && { reverse: true }),
    };
    const page = await storeCall(() =>
      options.artifact === undefined
        ? col.list(paging)
        : col.find('byArtifact', { eq: artifactName(options.artifact).key, ...paging }),
    );
    return { entries: page.items.map((e) => toAuditEntry(e.key, e.value)), cursor: page.cursor };
  }

  // ── governance ────────────────────────────────────────────────────────────────────────────

  applyRetention(
    policy: T.RetentionPolicy,
    options?: { dryRun?: boolean } & T.ActorOption,
  ): Promise<T.RetentionReport> {
    this.#assertOpen('applyRetention');
    return this.#telemetry.span(
      'retention',
      { 'plinth.registry.dry_run': options?.dryRun === true },
      () => applyRetention(this.#ctx, policy, options),
    );
  }

  collectGarbage(
    options?: { dryRun?: boolean; minAgeMs?: number } & T.ActorOption,
  ): Promise<T.GcReport> {
    this.#assertOpen('collectGarbage');
    return this.#telemetry.span('gc', { 'plinth.registry.dry_run': options?.dryRun === true }, () =>
      collectGarbage(this.#ctx, options),
    );
  }

  /** Read-only mode for every instance sharing the store (the `readOnly` option is per instance). */
  async setReadOnly(readOnly: boolean, options: T.ActorOption = {}): Promise<void> {
    this.#assertOpen('setReadOnly');
    if (typeof readOnly !== 'boolean') {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'setReadOnly() takes a boolean');
    }
    if (this.#o.readOnly) {
      throw registryErrors.create('E_READ_ONLY', 'this instance was opened with readOnly: true');
    }
    const actor = actorOf(options);
    await runTx(this.#ctx, async (tx) => {
      await tx.collection(C.meta).put('mode', { readOnly: readOnly === true });
      await writeAudit(this.#ctx, tx, { action: 'mode.set', actor, details: { readOnly } });
    });
    this.#sharedReadOnly = readOnly === true;
    this.emit('registry:mode-changed', {
      readOnly: readOnly === true,
      actor,
      at: this.#ctx.clock.now(),
    });
  }

  get readOnly(): boolean {
    return this.#o.readOnly || this.#sharedReadOnly;
  }

  /** The whole registry (records and blobs) as a checksummed NDJSON stream. */
  export(): AsyncGenerator<Uint8Array> {
    this.#assertOpen('export');
    return exportRegistry(this.#ctx);
  }

  /** Loads an export into this empty registry. */
  async import(source: AsyncIterable<Uint8Array>): Promise<{ records: number; blobs: number }> {
    const out = await this.#telemetry.span('import', {}, () => importRegistry(this.#ctx, source));
    this.#ctx.versionIds.reset();
    this.#ctx.contentIds.reset();
    this.#rules.clear();
    this.#search.clear();
    return out;
  }

  /** Parses a reference without resolving it (for hosts building APIs). */
  static parseRef(ref: string): { artifact: string; selector: string | undefined } {
    const r = parseRef(ref);
    return { artifact: r.artifact.key, selector: r.selector };
  }

  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#life.close();
  }

  async #shutdown(): Promise<void> {
    try {
      await this.#stopWatch?.();
      await this.#usage?.close();
    } catch (error) {
      throw mapStorageError(error);
    }
  }
}

/** `new Registry(options).open()`. */
export function openRegistry(options: T.RegistryOptions): Promise<Registry> {
  return new Registry(options).open();
}
