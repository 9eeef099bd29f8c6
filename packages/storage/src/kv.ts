import { optionsOf } from './internal/args.js';
import type { KeyScan } from './adapter.js';
import { conditionChecks, pageLimit } from './collection.js';
import { storageErrors } from './errors.js';
import { KV_SPACE } from './internal/collections.js';
import { keyCursor, readKeyCursor } from './internal/cursor.js';
import type { Session } from './internal/session.js';
import { checkKey, describe } from './internal/values.js';
import type { DeleteOptions, KvEntry, KvSetOptions, ListOptions, Page } from './types.js';

/**
 * The raw key-value space: bytes, strings and numbers with optional per-entry TTL. Expired
 * entries read as absent at once (by the store's clock) and are deleted by the background sweep
 * or `store.purgeExpired()`.
 */
export class KeyValue {
  readonly #session: Session;

  /** @internal Use `store.kv` or `tx.kv`. */
  constructor(session: Session) {
    this.#session = session;
  }

  async get(key: string): Promise<KvEntry | undefined> {
    checkKey(key);
    const session = this.#session;
    session.core.assertOpen('kv.get');
    const record = await session.get(KV_SPACE, key);
    if (record === undefined) return undefined;
    return {
      key,
      value: session.core.encoding.decodeKv(KV_SPACE, record),
      version: record.version,
      expiresAt: record.expiresAt,
    };
  }

  /** Stores a value; `ttlMs` makes it expire, conditions make it a compare-and-set. */
  async set(
    key: string,
    value: Uint8Array | string | number,
    options: KvSetOptions = {},
  ): Promise<KvEntry> {
    checkKey(key);
    const session = this.#session;
    session.core.assertOpen('kv.set');
    options = optionsOf(options, 'kv.set');
    const { ttlMs } = options;
    if (
      ttlMs !== undefined &&
      (typeof ttlMs !== 'number' || !Number.isFinite(ttlMs) || ttlMs <= 0)
    ) {
      throw storageErrors.create(
        'E_INVALID_QUERY',
        `ttlMs must be a positive number, got ${describe(ttlMs)}`,
        {
          details: { key },
        },
      );
    }
    const checks = conditionChecks(KV_SPACE, key, options);
    const { format, data } = session.core.encoding.encodeKv(KV_SPACE, key, value);
    const expiresAt = ttlMs === undefined ? null : session.core.clock.now() + ttlMs;
    const [version] = await session.write(
      [{ op: 'put', space: KV_SPACE, key, format, data, expiresAt, indexes: [] }],
      checks,
    );
    const stored = value instanceof Uint8Array ? new Uint8Array(value) : value;
    return { key, value: stored, version: version ?? 0, expiresAt };
  }

  /** Deletes an entry; returns whether it existed (and had not expired). */
  async delete(key: string, options: DeleteOptions = {}): Promise<boolean> {
    checkKey(key);
    const session = this.#session;
    session.core.assertOpen('kv.delete');
    const conditional = conditionChecks(KV_SPACE, key, options);
    for (let attempt = 1; ; attempt++) {
      const current = await session.get(KV_SPACE, key);
      if (current === undefined) {
        if (conditional.length > 0) {
          throw storageErrors.create(
            'E_CONFLICT',
            `KV entry "${key}" does not exist (expected version ${options.ifVersion})`,
            {
              details: { key, expected: options.ifVersion, actual: null },
            },
          );
        }
        return false;
      }
      const checks =
        session.transactional || conditional.length > 0
          ? conditional
          : [{ kind: 'record' as const, space: KV_SPACE, key, version: current.version }];
      try {
        await session.write([{ op: 'delete', space: KV_SPACE, key }], checks);
        return true;
      } catch (error) {
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

  /** Entries in key order, one page at a time (expired entries skipped). */
  async list(options: ListOptions = {}): Promise<Page<KvEntry>> {
    const session = this.#session;
    session.core.assertOpen('kv.list');
    options = optionsOf(options, 'kv.list');
    const limit = pageLimit(options.limit);
    const reverse = options.reverse === true;
    let scan: KeyScan = {
      kind: 'keys',
      space: KV_SPACE,
      reverse,
      limit,
      now: session.core.clock.now(),
      ...(options.prefix !== undefined && { prefix: options.prefix }),
      ...(options.gte !== undefined && { gte: options.gte }),
      ...(options.lt !== undefined && { lt: options.lt }),
    };
    if (options.cursor !== undefined) {
      const last = readKeyCursor(options.cursor, KV_SPACE);
      scan = reverse ? { ...scan, lt: last } : { ...scan, gt: last };
      if (!reverse && options.lt !== undefined) scan = { ...scan, lt: options.lt };
    }
    const records = await session.scanKeys(scan);
    const enc = session.core.encoding;
    const items = records.map((r) => ({
      key: r.key,
      value: enc.decodeKv(KV_SPACE, r),
      version: r.version,
      expiresAt: r.expiresAt,
    }));
    const last = records[records.length - 1];
    return {
      items,
      cursor: records.length === limit && last ? keyCursor(KV_SPACE, last.key) : undefined,
    };
  }
}
