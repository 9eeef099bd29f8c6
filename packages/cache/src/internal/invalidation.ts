import type { BusMessage } from '../bus/message.js';
import { cacheErrors } from '../errors.js';
import type { CacheCore } from './core.js';
import { TAG_PREFIX } from './keys.js';
import { deleteEach } from './l2-ops.js';

/**
 * Invalidation: deletes, namespace clears and tag marks, applied to L1 and L2 here and sent to
 * the other instances over the bus (and applied from it).
 */

const utf8 = new TextEncoder();

export async function invalidateTags(
  core: CacheCore,
  tags: readonly string[],
  throwOnError: boolean,
): Promise<void> {
  const at = core.clock.now();
  for (const t of tags) core.mark(t, at);
  const guard = core.guard;
  if (guard !== undefined) {
    const bytes = utf8.encode(String(at));
    await guard.run(
      'set',
      (a) => Promise.all(tags.map((t) => a.set(core.prefix + TAG_PREFIX + t, bytes, undefined))),
      [],
      throwOnError,
    );
  }
  core.emitter.emit('tags:invalidated', { tags, at });
  await publish(core, { type: 'tags', origin: core.origin, tags, at }, throwOnError);
}

export async function remove(
  core: CacheCore,
  lks: readonly string[],
  throwOnError: boolean,
): Promise<number> {
  let n = 0;
  for (const lk of lks) if (core.l1?.delete(lk) === true) n++;
  const guard = core.guard;
  if (guard !== undefined) {
    const keys = lks.map((k) => core.prefix + k);
    n = Math.max(
      n,
      await guard.run(
        'delete',
        (a) => (a.deleteMany ? a.deleteMany(keys) : deleteEach(a, keys)),
        0,
        throwOnError,
      ),
    );
  }
  core.counters.deletes += lks.length;
  await publish(core, { type: 'delete', origin: core.origin, keys: lks }, throwOnError);
  return n;
}

export function dropL1Prefix(core: CacheCore, prefix: string): void {
  const l1 = core.l1;
  if (l1 === undefined) return;
  if (prefix === '') {
    l1.clear();
    return;
  }
  for (const k of [...l1.keys()]) if (k.startsWith(prefix)) l1.delete(k);
}

export async function clear(
  core: CacheCore,
  nsPrefix: string,
  throwOnError: boolean,
): Promise<void> {
  dropL1Prefix(core, nsPrefix);
  const guard = core.guard;
  if (guard !== undefined) {
    await guard.run('deletePrefix', (a) => a.deletePrefix(core.prefix + nsPrefix), 0, throwOnError);
  }
  await publish(core, { type: 'clear', origin: core.origin, prefix: nsPrefix }, throwOnError);
}

export async function publish(
  core: CacheCore,
  message: BusMessage,
  throwOnError: boolean,
): Promise<void> {
  const bus = core.bus;
  if (bus === undefined) return;
  try {
    await bus.publish(message);
    core.counters.busPublished++;
    if (core.observes('bus:published')) core.emitter.emit('bus:published', { message });
  } catch (error) {
    core.logger.warn(
      { err: error, bus: bus.name },
      'bus publish failed: other instances keep their L1 copies until TTL',
    );
    core.emitter.emit('bus:error', { error, operation: 'publish' });
    if (throwOnError)
      throw cacheErrors.create('E_L2_UNAVAILABLE', `bus "${bus.name}" publish failed`, {
        cause: error,
      });
  }
}

export function onBusMessage(core: CacheCore, m: BusMessage): void {
  if (m.origin === core.origin || core.closed) return;
  core.counters.busReceived++;
  const l1 = core.l1;
  if (m.type === 'delete') for (const k of m.keys) l1?.delete(k);
  else if (m.type === 'clear') dropL1Prefix(core, m.prefix);
  else for (const t of m.tags) core.mark(t, m.at);
  core.emitter.emit('bus:received', { message: m, at: core.clock.now() });
}
