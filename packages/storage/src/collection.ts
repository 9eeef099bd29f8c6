import { describeValue } from '@plinth/core';
import { callbackOf, optionsOf } from './internal/args.js';
import type { CommitCheck, IndexScan, KeyScan, PutWrite, StoredRecord } from './adapter.js';
import { storageErrors } from './errors.js';
import { applySchema, indexEntriesOf, type ResolvedCollection } from './internal/collections.js';
import { indexCursor, keyCursor, readIndexCursor, readKeyCursor } from './internal/cursor.js';
import { encodeIndexValue, isIndexable, type IndexableValue } from './internal/index-value.js';
import { prefixEnd } from './internal/order.js';
import type { Session } from './internal/session.js';
import { checkDocument, checkKey, copyDocument, describe } from './internal/values.js';
import type {
  DeleteOptions,
  Document,
  Entry,
  FindOptions,
  ListOptions,
  Page,
  WriteConditions,
} from './types.js';

export const DEFAULT_PAGE_LIMIT = 100;
export const MAX_PAGE_LIMIT = 10_000;

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

export function pageLimit(limit: unknown): number {
  if (limit === undefined) return DEFAULT_PAGE_LIMIT;
  if (
    typeof limit !== 'number' ||
    !Number.isInteger(limit) ||
    limit < 1 ||
    limit > MAX_PAGE_LIMIT
  ) {
    throw storageErrors.create(
      'E_INVALID_QUERY',
      `limit must be an integer from 1 to ${MAX_PAGE_LIMIT}, got ${describe(limit)}`,
      { details: { limit: typeof limit === 'number' ? limit : String(limit) } },
    );
  }
  return limit;
}

/** Checks write conditions and turns them into commit checks. */
export function conditionChecks(
  space: string,
  key: string,
  cond: WriteConditions | undefined,
): CommitCheck[] {
  if (cond === undefined) return [];
  const { ifVersion, ifAbsent } = optionsOf(cond, 'write conditions');
  if (ifVersion !== undefined && ifAbsent === true) {
    throw storageErrors.create('E_INVALID_QUERY', 'ifVersion and ifAbsent cannot be combined', {
      details: { key },
    });
  }
  if (ifVersion !== undefined) {
    if (!Number.isSafeInteger(ifVersion) || ifVersion < 1) {
      throw storageErrors.create(
        'E_INVALID_QUERY',
        `ifVersion must be a positive integer, got ${describe(ifVersion)}`,
        {
          details: { key },
        },
      );
    }
    return [{ kind: 'record', space, key, version: ifVersion }];
  }
  if (ifAbsent === true) return [{ kind: 'record', space, key, version: null }];
  return [];
}

/**
 * A named collection of JSON documents. Outside a transaction every write commits on its own;
 * inside one (`tx.collection(name)`), writes are buffered until the transaction commits and
 * return version 0.
 *
 * Documents returned by reads must be treated as read-only (the memory adapter returns frozen
 * objects).
 */
export class Collection<T extends Document = Document> {
  readonly name: string;
  readonly #session: Session;
  readonly #def: ResolvedCollection;

  /** @internal Use `store.collection(name)` or `tx.collection(name)`. */
  constructor(session: Session, def: ResolvedCollection) {
    this.#session = session;
    this.#def = def;
    this.name = def.name;
  }

  /** The document at `key`, or undefined. */
  get(key: string): Promise<Entry<T> | undefined> {
    // Not an async function: on adapters with synchronous reads (memory) the whole read is one
    // resolved promise. Errors still arrive as rejections.
    try {
      checkKey(key);
      const session = this.#session;
      session.core.assertOpen('get');
      const record = session.getSync(this.name, key);
      if (record !== null) return Promise.resolve(this.#entry(key, record));
      return session.get(this.name, key).then((r) => this.#entry(key, r));
    } catch (error) {
      return Promise.reject(error);
    }
  }

  #entry(key: string, record: StoredRecord | undefined): Entry<T> | undefined {
    if (record === undefined) return undefined;
    return {
      key,
      value: this.#session.core.encoding.decodeDoc(this.name, record) as T,
      version: record.version,
    };
  }

  /** Several documents at once, in the order of `keys`. */
  async getMany(keys: readonly string[]): Promise<Array<Entry<T> | undefined>> {
    if (!Array.isArray(keys) || keys.length > MAX_PAGE_LIMIT) {
      throw storageErrors.create(
        'E_INVALID_QUERY',
        `getMany takes an array of at most ${MAX_PAGE_LIMIT} keys`,
      );
    }
    for (const k of keys) checkKey(k);
    return Promise.all(keys.map((k) => this.get(k)));
  }

  async has(key: string): Promise<boolean> {
    return (await this.get(key)) !== undefined;
  }

  /** Documents in key order (code point order), one page at a time. */
  async list(options: ListOptions = {}): Promise<Page<Entry<T>>> {
    const session = this.#session;
    session.core.assertOpen('list');
    options = optionsOf(options, 'list');
    const limit = pageLimit(options.limit);
    const reverse = options.reverse === true;
    for (const bound of ['prefix', 'gte', 'lt'] as const) {
      const v = options[bound];
      if (v !== undefined && typeof v !== 'string') {
        throw storageErrors.create('E_INVALID_QUERY', `${bound} must be a string`, {
          details: { bound },
        });
      }
    }
    let scan: KeyScan = {
      kind: 'keys',
      space: this.name,
      reverse,
      limit,
      now: session.core.clock.now(),
      ...(options.prefix !== undefined && { prefix: options.prefix }),
      ...(options.gte !== undefined && { gte: options.gte }),
      ...(options.lt !== undefined && { lt: options.lt }),
    };
    if (options.cursor !== undefined) {
      const last = readKeyCursor(options.cursor, this.name);
      scan = reverse ? { ...scan, lt: last } : { ...scan, gt: last };
      if (!reverse && options.lt !== undefined) scan = { ...scan, lt: options.lt };
    }
    const records = await session.scanKeys(scan);
    const codec = session.core.encoding;
    const items = records.map((r) => ({
      key: r.key,
      value: codec.decodeDoc(this.name, r) as T,
      version: r.version,
    }));
    const last = records[records.length - 1];
    return {
      items,
      cursor: records.length === limit && last ? keyCursor(this.name, last.key) : undefined,
    };
  }

  /** Documents by a secondary index, ordered by (indexed value, key). */
  async find(index: string, options: FindOptions = {}): Promise<Page<Entry<T>>> {
    const session = this.#session;
    session.core.assertOpen('find');
    options = optionsOf(options, 'find');
    const def = this.#def.indexes.get(index);
    if (def === undefined) {
      throw storageErrors.create(
        'E_UNKNOWN_INDEX',
        `collection "${this.name}" has no index ${describeValue(index)}`,
        {
          details: {
            collection: this.name,
            index: describeValue(index),
            known: [...this.#def.indexes.keys()],
          },
        },
      );
    }
    const limit = pageLimit(options.limit);
    const reverse = options.reverse === true;
    const eq =
      options.eq === undefined
        ? []
        : Array.isArray(options.eq)
          ? options.eq
          : [options.eq as IndexableValue];
    const bad = (message: string): never => {
      throw storageErrors.create('E_INVALID_QUERY', `find("${index}"): ${message}`, {
        details: { collection: this.name, index },
      });
    };
    const hasRange = [options.gt, options.gte, options.lt, options.lte].some(
      (v) => v !== undefined,
    );
    if (eq.length > def.fields.length)
      bad(`eq has ${eq.length} values but the index has ${def.fields.length} fields`);
    if (hasRange && eq.length >= def.fields.length)
      bad('a range needs a field after the eq fields');
    if (options.gt !== undefined && options.gte !== undefined) bad('use gt or gte, not both');
    if (options.lt !== undefined && options.lte !== undefined) bad('use lt or lte, not both');
    for (const v of [...eq, options.gt, options.gte, options.lt, options.lte]) {
      if (v !== undefined && !isIndexable(v))
        bad(`${describe(v)} is not an indexable value (string, number, boolean, null)`);
    }
    const prefix = encodeIndexValue(eq);
    const enc = (v: IndexableValue) => concat(prefix, encodeIndexValue([v]));
    const gte: Uint8Array | undefined =
      options.gte !== undefined
        ? enc(options.gte)
        : options.gt !== undefined
          ? prefixEnd(enc(options.gt))
          : prefix.length > 0
            ? prefix
            : undefined;
    const lt: Uint8Array | undefined =
      options.lt !== undefined
        ? enc(options.lt)
        : options.lte !== undefined
          ? prefixEnd(enc(options.lte))
          : prefix.length > 0
            ? prefixEnd(prefix)
            : undefined;
    let scan: IndexScan = {
      kind: 'index',
      space: this.name,
      index,
      reverse,
      limit,
      now: session.core.clock.now(),
      ...(gte !== undefined && { gte }),
      ...(lt !== undefined && { lt }),
    };
    if (options.cursor !== undefined) {
      scan = { ...scan, after: readIndexCursor(options.cursor, this.name, index) };
    }
    const hits = await session.scanIndex(scan);
    const codec = session.core.encoding;
    const items = hits.map((h) => ({
      key: h.record.key,
      value: codec.decodeDoc(this.name, h.record) as T,
      version: h.record.version,
    }));
    const last = hits[hits.length - 1];
    return {
      items,
      cursor:
        hits.length === limit && last
          ? indexCursor(this.name, index, last.value, last.record.key)
          : undefined,
    };
  }

  /** The document holding `value` on a unique index, or undefined. */
  async findOne(
    index: string,
    value: IndexableValue | readonly IndexableValue[],
  ): Promise<Entry<T> | undefined> {
    const page = await this.find(index, { eq: value, limit: 1 });
    return page.items[0];
  }

  /** Writes a document (creates or replaces). Conditions make it a compare-and-set. */
  async put(key: string, value: T, conditions?: WriteConditions): Promise<Entry<T>> {
    checkKey(key);
    const session = this.#session;
    session.core.assertOpen('put');
    const checks = conditionChecks(this.name, key, conditions);
    const { write, doc } = await this.#prepare(key, value);
    const [version] = await session.write([write], checks);
    return { key, value: doc as T, version: version ?? 0 };
  }

  /** Creates a document; `E_CONFLICT` if the key exists. */
  insert(key: string, value: T): Promise<Entry<T>> {
    return this.put(key, value, { ifAbsent: true });
  }

  /**
   * Read-modify-write: `fn` receives the current document (or undefined) and returns the new
   * one; the write is conditional on the version read, and retried on a lost race up to
   * `attempts` times (outside a transaction).
   */
  async update(
    key: string,
    fn: (current: T | undefined) => T | Promise<T>,
    options: { attempts?: number } = {},
  ): Promise<Entry<T>> {
    callbackOf(fn, 'update');
    const attempts = optionsOf(options, 'update').attempts ?? 10;
    for (let attempt = 1; ; attempt++) {
      const current = await this.get(key);
      const next = await fn(current?.value);
      // Inside a transaction the read is already part of what the commit verifies.
      const conditions: WriteConditions | undefined = this.#session.transactional
        ? undefined
        : current === undefined
          ? { ifAbsent: true }
          : { ifVersion: current.version };
      try {
        return await this.put(key, next, conditions);
      } catch (error) {
        if (
          this.#session.transactional ||
          attempt >= attempts ||
          !storageErrors.is(error, 'E_CONFLICT')
        )
          throw error;
      }
    }
  }

  /** Deletes a document; returns whether it existed. `ifVersion` makes it conditional. */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    checkKey(key);
    const session = this.#session;
    session.core.assertOpen('delete');
    const conditional = conditionChecks(this.name, key, options);
    for (let attempt = 1; ; attempt++) {
      const current = await session.get(this.name, key);
      if (current === undefined) {
        if (conditional.length > 0) {
          throw storageErrors.create(
            'E_CONFLICT',
            `"${key}" in "${this.name}" does not exist (expected version ${options.ifVersion})`,
            {
              details: { collection: this.name, key, expected: options.ifVersion, actual: null },
            },
          );
        }
        return false;
      }
      const checks: CommitCheck[] = session.transactional
        ? conditional
        : conditional.length > 0
          ? conditional
          : [{ kind: 'record', space: this.name, key, version: current.version }];
      try {
        await session.write([{ op: 'delete', space: this.name, key }], checks);
        return true;
      } catch (error) {
        // An unconditional delete that raced with another write just tries again.
        if (
          conditional.length > 0 ||
          session.transactional ||
          attempt >= 10 ||
          !storageErrors.is(error, 'E_CONFLICT')
        ) {
          throw error;
        }
      }
    }
  }

  async #prepare(key: string, value: unknown): Promise<{ write: PutWrite; doc: Document }> {
    const core = this.#session.core;
    const validated = this.#def.schema === undefined ? value : await applySchema(this.#def, value);
    let doc: Document;
    if (core.encoding.structured) {
      doc = copyDocument(validated, true); // kept by reference: a frozen copy
    } else {
      checkDocument(validated); // stored as JSON text, which is the copy
      doc = validated;
    }
    const indexes = indexEntriesOf(this.#def, doc);
    const { format, data } = core.encoding.encodeDoc(this.name, key, doc);
    return {
      write: { op: 'put', space: this.name, key, format, data, expiresAt: null, indexes },
      doc,
    };
  }
}
