/**
 * Versioned policy sets in `@plinth/storage`. Each published version is immutable and
 * content-addressed (its key is the policy set's digest, so publishing the same set twice is one
 * version); a per-name head says which version is active; every activation is kept, so a host
 * rolls back to any earlier version. Instances sharing one PostgreSQL (or SQLite file) pick up a
 * new active version through the store's change feed (`follow`).
 */
import { Lifecycle, isPlinthError, systemClock, type Clock, type TypedEmitter } from '@plinth/core';
import type { CollectionDefinitions, Store, StoreChange } from '@plinth/storage';
import { policyErrors } from './errors.js';
import type { PolicyEvents } from './events.js';
import { PolicySet, type PolicySetJson } from './policy-set.js';

/** Collections the policy store declares (all prefixed `policy.`). */
const C = {
  versions: 'policy.versions',
  heads: 'policy.heads',
  activations: 'policy.activations',
} as const;

const COLLECTIONS: CollectionDefinitions = {
  [C.versions]: { indexes: { byNumber: { fields: ['name', 'version'], unique: true } } },
  [C.heads]: {},
  [C.activations]: { indexes: { byName: { fields: ['name', 'seq'] } } },
};

const NAME = /^[A-Za-z][A-Za-z0-9_.-]{0,127}$/;

/** One stored version of a policy set. */
export interface PolicyVersion {
  /** The policy-set name (several sets can share one store). */
  readonly name: string;
  /** 1, 2, 3… in publishing order, per name. */
  readonly version: number;
  /** The policy set's content digest (sha256 hex): the version's address. */
  readonly digest: string;
  /** Epoch milliseconds. */
  readonly publishedAt: number;
  readonly policies: number;
  readonly message?: string;
  readonly author?: string;
}

/** One activation: which version became active, when, and what it replaced. */
export interface PolicyActivation {
  readonly name: string;
  /** 1, 2, 3… per name. */
  readonly seq: number;
  readonly version: number;
  readonly digest: string;
  /** The version that was active before, if any. */
  readonly previous?: number;
  readonly activatedAt: number;
  readonly message?: string;
  readonly author?: string;
}

export interface PolicyStoreOptions {
  /** An open `@plinth/storage` store. */
  readonly store: Store;
  /** Which policy set of the store this is. @default 'default' */
  readonly name?: string;
  /** Receives `policies:published` and `policies:activated`. */
  readonly emitter?: TypedEmitter<PolicyEvents>;
  /** @default systemClock */
  readonly clock?: Clock;
}

interface VersionDoc {
  [field: string]: unknown;
  name: string;
  version: number;
  digest: string;
  publishedAt: number;
  policies: number;
  message?: string;
  author?: string;
  policySet: PolicySetJson;
}

interface HeadDoc {
  [field: string]: unknown;
  lastVersion: number;
  lastSeq: number;
  active?: { version: number; digest: string };
}

interface ActivationDoc {
  [field: string]: unknown;
  name: string;
  seq: number;
  version: number;
  digest: string;
  previous?: number;
  activatedAt: number;
  message?: string;
  author?: string;
}

/** Something that can take a new policy set: an `Authorizer`, or a callback. */
export type PolicyFollower =
  { swap(policies: PolicySet): void } | ((policies: PolicySet, version: PolicyVersion) => void);

/**
 * Storage holds plain JSON; a Long literal past ±(2^53 − 1) is a `bigint` in a policy set's JSON
 * form. It is stored as `{ "#long": "digits" }`: `#long` is not a Cedar identifier, and in the
 * JSON policy format no other object maps a single key to a string there, so this never
 * collides with stored content.
 */
/** Sets an own property, even one named `__proto__`. */
function define(o: Record<string, unknown>, k: string, value: unknown): void {
  Object.defineProperty(o, k, { value, enumerable: true, writable: true, configurable: true });
}

function encodeLongs(v: unknown): unknown {
  if (typeof v === 'bigint') return { '#long': v.toString() };
  if (Array.isArray(v)) return v.map(encodeLongs);
  if (typeof v === 'object' && v !== null) {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) define(out, k, encodeLongs(x));
    return out;
  }
  return v;
}

function decodeLongs(v: unknown): unknown {
  if (Array.isArray(v)) return v.map(decodeLongs);
  if (typeof v === 'object' && v !== null) {
    const o = v as Record<string, unknown>;
    const keys = Object.keys(o);
    if (keys.length === 1 && keys[0] === '#long' && typeof o['#long'] === 'string') {
      return BigInt(o['#long']);
    }
    const out: Record<string, unknown> = {};
    for (const k of keys) define(out, k, decodeLongs(o[k]));
    return out;
  }
  return v;
}

function seqKey(name: string, seq: number): string {
  return `${name}/${String(seq).padStart(12, '0')}`;
}

function versionOf(d: VersionDoc): PolicyVersion {
  return Object.freeze({
    name: d.name,
    version: d.version,
    digest: d.digest,
    publishedAt: d.publishedAt,
    policies: d.policies,
    ...(d.message === undefined ? {} : { message: d.message }),
    ...(d.author === undefined ? {} : { author: d.author }),
  });
}

function activationOf(d: ActivationDoc): PolicyActivation {
  return Object.freeze({ ...d });
}

function checkText(value: unknown, what: string): string | undefined {
  if (value === undefined) return undefined;
  if (typeof value !== 'string' || value.length > 4096) {
    throw policyErrors.create(
      'E_INVALID_ARGUMENT',
      `${what} must be a string of at most 4096 characters`,
    );
  }
  return value;
}

/**
 * A named, versioned policy set in a `@plinth/storage` store.
 *
 * ```ts
 * const policies = await PolicyStore.open({ store });
 * const v = await policies.publish(PolicySet.parse(text), { message: 'allow auditors' });
 * await policies.activate(v.version);
 * const stop = await policies.follow(authorizer); // swaps on every activation, on any instance
 * ```
 */
export class PolicyStore {
  readonly #store: Store;
  readonly #name: string;
  readonly #emitter: TypedEmitter<PolicyEvents> | undefined;
  readonly #clock: Clock;
  readonly #life: Lifecycle;
  readonly #stops = new Set<() => Promise<void> | void>();

  private constructor(o: PolicyStoreOptions, name: string) {
    this.#store = o.store;
    this.#name = name;
    this.#emitter = o.emitter;
    this.#clock = o.clock ?? systemClock;
    this.#life = new Lifecycle('@plinth/policy', 'PolicyStore', async () => {
      const stops = [...this.#stops];
      this.#stops.clear();
      for (const stop of stops) await stop();
    });
  }

  /** Declares the collections on `store` and returns the policy store for `name`. */
  static async open(options: PolicyStoreOptions): Promise<PolicyStore> {
    if (typeof options !== 'object' || options === null) {
      throw policyErrors.create('E_INVALID_OPTION', 'PolicyStore.open expects an options object');
    }
    const { store } = options;
    if (
      typeof store !== 'object' ||
      store === null ||
      typeof (store as Partial<Store>).transaction !== 'function' ||
      typeof (store as Partial<Store>).ensureCollections !== 'function'
    ) {
      throw policyErrors.create(
        'E_INVALID_OPTION',
        'PolicyStore: `store` must be a @plinth/storage Store',
        {
          details: { option: 'store' },
        },
      );
    }
    const name = options.name ?? 'default';
    if (typeof name !== 'string' || !NAME.test(name)) {
      throw policyErrors.create(
        'E_INVALID_OPTION',
        `PolicyStore: \`name\` must match ${NAME.source}, got ${JSON.stringify(name)}`,
        { details: { option: 'name' } },
      );
    }
    await store.ensureCollections(COLLECTIONS);
    return new PolicyStore(options, name);
  }

  /** The policy-set name. */
  get name(): string {
    return this.#name;
  }

  /**
   * Stores `policies` as a new immutable version (or returns the existing version with the same
   * digest: publishing is idempotent). Does not activate it.
   */
  async publish(
    policies: PolicySet,
    meta: { readonly message?: string; readonly author?: string } = {},
  ): Promise<PolicyVersion> {
    this.#life.assertOpen('publish');
    if (!(policies instanceof PolicySet)) {
      throw policyErrors.create('E_INVALID_ARGUMENT', 'publish expects a PolicySet');
    }
    const message = checkText(meta.message, 'message');
    const author = checkText(meta.author, 'author');
    const digest = policies.digest;
    const json = encodeLongs(policies.toJson()) as PolicySetJson;
    let created = false;
    const doc = await this.#store.transaction(
      async (tx) => {
        const versions = tx.collection<VersionDoc>(C.versions);
        const existing = await versions.get(this.#versionKey(digest));
        if (existing !== undefined) return existing.value;
        const heads = tx.collection<HeadDoc>(C.heads);
        const head = await heads.get(this.#name);
        const version = (head?.value.lastVersion ?? 0) + 1;
        const d: VersionDoc = {
          name: this.#name,
          version,
          digest,
          publishedAt: this.#clock.now(),
          policies: policies.size,
          policySet: json,
          ...(message === undefined ? {} : { message }),
          ...(author === undefined ? {} : { author }),
        };
        await versions.insert(this.#versionKey(digest), d);
        const next: HeadDoc = { ...(head?.value ?? { lastSeq: 0 }), lastVersion: version };
        if (head === undefined) await heads.insert(this.#name, next);
        else await heads.put(this.#name, next, { ifVersion: head.version });
        created = true;
        return d;
      },
      { retry: { attempts: 5 } },
    );
    if (created) {
      this.#emitter?.emit('policies:published', {
        at: doc.publishedAt,
        version: doc.version,
        digest: doc.digest,
      });
    }
    return versionOf(doc);
  }

  /** One stored version (by number or digest); `E_NOT_FOUND` when there is none. */
  async version(ref: number | string): Promise<PolicyVersion> {
    this.#life.assertOpen('version');
    return versionOf(await this.#doc(ref));
  }

  /** The policy set of a stored version, verified against its digest. */
  async load(ref: number | string): Promise<PolicySet> {
    this.#life.assertOpen('load');
    return this.#setOf(await this.#doc(ref));
  }

  /** Stored versions, oldest first, a page at a time. */
  async versions(
    options: { readonly cursor?: string; readonly limit?: number } = {},
  ): Promise<{ items: PolicyVersion[]; cursor?: string }> {
    this.#life.assertOpen('versions');
    const page = await this.#store.collection<VersionDoc>(C.versions).find('byNumber', {
      eq: [this.#name],
      limit: options.limit ?? 100,
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    });
    return {
      items: page.items.map((e) => versionOf(e.value)),
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
    };
  }

  /**
   * Makes a stored version the active one. With `ifActive`, only when the active version is
   * still that one (`null`: none yet) — else `E_CONFLICT`, so two operators never overwrite
   * each other's activation unseen.
   */
  async activate(
    ref: number | string,
    options: {
      readonly ifActive?: number | null;
      readonly message?: string;
      readonly author?: string;
    } = {},
  ): Promise<PolicyActivation> {
    this.#life.assertOpen('activate');
    const message = checkText(options.message, 'message');
    const author = checkText(options.author, 'author');
    const target = await this.#doc(ref);
    this.#setOf(target);
    const act = await this.#store.transaction(
      async (tx) => {
        const heads = tx.collection<HeadDoc>(C.heads);
        const head = await heads.get(this.#name);
        if (head === undefined) {
          throw policyErrors.create('E_NOT_FOUND', `no policy set named "${this.#name}" is stored`);
        }
        const current = head.value.active?.version ?? null;
        if (options.ifActive !== undefined && options.ifActive !== current) {
          throw policyErrors.create(
            'E_CONFLICT',
            `the active version of "${this.#name}" is ${current ?? 'none'}, not ${options.ifActive ?? 'none'}`,
            { details: { expected: options.ifActive, actual: current } },
          );
        }
        const seq = head.value.lastSeq + 1;
        const a: ActivationDoc = {
          name: this.#name,
          seq,
          version: target.version,
          digest: target.digest,
          activatedAt: this.#clock.now(),
          ...(current === null ? {} : { previous: current }),
          ...(message === undefined ? {} : { message }),
          ...(author === undefined ? {} : { author }),
        };
        await tx.collection<ActivationDoc>(C.activations).insert(seqKey(this.#name, seq), a);
        await heads.put(
          this.#name,
          {
            ...head.value,
            lastSeq: seq,
            active: { version: target.version, digest: target.digest },
          },
          { ifVersion: head.version },
        );
        return a;
      },
      { retry: { attempts: 5 } },
    );
    this.#emitter?.emit('policies:activated', {
      at: act.activatedAt,
      version: act.version,
      digest: act.digest,
    });
    return activationOf(act);
  }

  /** The active version and its policy set, or `undefined` before the first activation. */
  async active(): Promise<{ version: PolicyVersion; policies: PolicySet } | undefined> {
    this.#life.assertOpen('active');
    const head = await this.#store.collection<HeadDoc>(C.heads).get(this.#name);
    const active = head?.value.active;
    if (active === undefined) return undefined;
    const doc = await this.#doc(active.digest);
    return { version: versionOf(doc), policies: this.#setOf(doc) };
  }

  /** Activations, oldest first. */
  async history(
    options: { readonly cursor?: string; readonly limit?: number } = {},
  ): Promise<{ items: PolicyActivation[]; cursor?: string }> {
    this.#life.assertOpen('history');
    const page = await this.#store.collection<ActivationDoc>(C.activations).find('byName', {
      eq: [this.#name],
      limit: options.limit ?? 100,
      ...(options.cursor === undefined ? {} : { cursor: options.cursor }),
    });
    return {
      items: page.items.map((e) => activationOf(e.value)),
      ...(page.cursor === undefined ? {} : { cursor: page.cursor }),
    };
  }

  /**
   * Activates the version that was active before the current one (or `to`, any stored version).
   * `E_CONFLICT` when there is nothing to roll back to.
   */
  async rollback(
    options: {
      readonly to?: number | string;
      readonly message?: string;
      readonly author?: string;
    } = {},
  ): Promise<PolicyActivation> {
    this.#life.assertOpen('rollback');
    const head = await this.#store.collection<HeadDoc>(C.heads).get(this.#name);
    const current = head?.value.active?.version;
    if (current === undefined) {
      throw policyErrors.create('E_CONFLICT', `"${this.#name}" has no active version to roll back`);
    }
    let to = options.to;
    if (to === undefined) {
      const last = await this.#store
        .collection<ActivationDoc>(C.activations)
        .get(seqKey(this.#name, head!.value.lastSeq));
      to = last?.value.previous;
      if (to === undefined) {
        throw policyErrors.create(
          'E_CONFLICT',
          `"${this.#name}" has no version active before ${current} to roll back to`,
        );
      }
    }
    return this.activate(to, {
      ifActive: current,
      message: options.message ?? `rollback from version ${current}`,
      ...(options.author === undefined ? {} : { author: options.author }),
    });
  }

  /**
   * Hands the active policy set to `target` now and on every later activation, from this
   * instance or any other on the same store (through the change feed). Returns `stop()`.
   */
  async follow(target: PolicyFollower): Promise<() => Promise<void>> {
    this.#life.assertOpen('follow');
    const deliver =
      typeof target === 'function'
        ? target
        : typeof target === 'object' && target !== null && typeof target.swap === 'function'
          ? (set: PolicySet) => target.swap(set)
          : undefined;
    if (deliver === undefined) {
      throw policyErrors.create('E_INVALID_ARGUMENT', 'follow expects an Authorizer or a function');
    }
    let delivered: string | undefined;
    let chain = Promise.resolve();
    const refresh = (): Promise<void> => {
      chain = chain.then(async () => {
        if (this.#life.closed) return;
        const now = await this.active();
        if (now === undefined || now.version.digest === delivered) return;
        delivered = now.version.digest;
        deliver(now.policies, now.version);
      });
      return chain;
    };
    const stopWatch = await this.#store.watch((c: StoreChange) => {
      if (c.collection === C.heads && c.key === this.#name) void refresh().catch(() => {});
    });
    await refresh();
    const stop = async () => {
      this.#stops.delete(stop);
      await stopWatch();
    };
    this.#stops.add(stop);
    return stop;
  }

  /** Stops every `follow`; the underlying store stays open. */
  close(): Promise<void> {
    return this.#life.close();
  }

  [Symbol.asyncDispose](): Promise<void> {
    return this.#life.close();
  }

  #versionKey(digest: string): string {
    return `${this.#name}/${digest}`;
  }

  async #doc(ref: number | string): Promise<VersionDoc> {
    const versions = this.#store.collection<VersionDoc>(C.versions);
    let found: VersionDoc | undefined;
    if (typeof ref === 'number' && Number.isSafeInteger(ref) && ref > 0) {
      found = (await versions.findOne('byNumber', [this.#name, ref]))?.value;
    } else if (typeof ref === 'string' && /^[0-9a-f]{64}$/.test(ref)) {
      found = (await versions.get(this.#versionKey(ref)))?.value;
    } else {
      throw policyErrors.create(
        'E_INVALID_ARGUMENT',
        `a version is a positive integer or a sha256 hex digest, got ${JSON.stringify(ref)}`,
      );
    }
    if (found === undefined) {
      throw policyErrors.create('E_NOT_FOUND', `"${this.#name}" has no version ${String(ref)}`, {
        details: { name: this.#name, version: ref },
      });
    }
    return found;
  }

  #setOf(doc: VersionDoc): PolicySet {
    let set: PolicySet;
    try {
      set = PolicySet.fromJson(decodeLongs(doc.policySet) as PolicySetJson);
    } catch (e) {
      if (isPlinthError(e)) {
        throw policyErrors.create(
          'E_CONFLICT',
          `stored version ${doc.version} of "${doc.name}" no longer loads: ${e.message}`,
          { cause: e },
        );
      }
      throw e;
    }
    if (set.digest !== doc.digest) {
      throw policyErrors.create(
        'E_CONFLICT',
        `stored version ${doc.version} of "${doc.name}" does not match its digest`,
        { details: { expected: doc.digest, actual: set.digest } },
      );
    }
    return set;
  }
}
