import {
  ManualClock,
  Lifecycle,
  TypedEmitter,
  canonicalJson,
  check,
  contentDigest,
  createIdGenerator,
  isPlinthError,
  resolveOptions,
  uuidv7Time,
  type Clock,
  type Digest,
} from '@plinth/core';

/**
 * The quickstart host: a tiny in-process "release desk" built only from the published Plinth
 * packages. Today it composes `@plinth/core`; it grows into the flagship control plane as the
 * other packages land.
 */
interface DeskEvents {
  'release:recorded': { id: string; name: string; digest: Digest };
  'release:soaked': { id: string; name: string; soakedForMs: number };
}

interface DeskOptions {
  /** How long a release soaks before it counts as healthy. @default 60_000 */
  soakMs?: number;
  clock?: Clock;
}

const DEFAULT_DESK_OPTIONS = Object.freeze({ soakMs: 60_000 });

class ReleaseDesk extends TypedEmitter<DeskEvents> {
  readonly #clock: Clock;
  readonly #soakMs: number;
  readonly #ids: () => string;
  readonly #byDigest = new Map<Digest, string>();
  readonly #timers: Array<{ cancel(): void }> = [];
  readonly #life = new Lifecycle('@plinth/example-quickstart', 'ReleaseDesk', () => {
    for (const t of this.#timers) t.cancel();
  });

  constructor(options: DeskOptions & { clock: Clock }) {
    super();
    const resolved = resolveOptions<DeskOptions, typeof DEFAULT_DESK_OPTIONS>({
      package: '@plinth/example-quickstart',
      owner: 'ReleaseDesk',
      spec: {
        soakMs: check.number({ min: 0, integer: true }),
        clock: check.implementing<Clock>('now', 'setTimeout'),
      },
      defaults: DEFAULT_DESK_OPTIONS,
      input: options,
    });
    this.#clock = options.clock;
    this.#soakMs = resolved.soakMs;
    this.#ids = createIdGenerator({ clock: this.#clock });
  }

  /** Records a release; the same content (in any key order) is recorded once. */
  record(name: string, content: unknown): { id: string; digest: Digest; duplicate: boolean } {
    this.#life.assertOpen('record');
    const digest = contentDigest(content);
    const existing = this.#byDigest.get(digest);
    if (existing !== undefined) return { id: existing, digest, duplicate: true };
    const id = this.#ids();
    this.#byDigest.set(digest, id);
    this.emit('release:recorded', { id, name, digest });
    const started = this.#clock.now();
    this.#timers.push(
      this.#clock.setTimeout(() => {
        this.emit('release:soaked', { id, name, soakedForMs: this.#clock.now() - started });
      }, this.#soakMs),
    );
    return { id, digest, duplicate: false };
  }

  close(): Promise<void> {
    return this.#life.close();
  }
}

/** Runs the quickstart, writing one line per step to `out`. Returns what it observed. */
export async function runQuickstart(out: (line: string) => void): Promise<{
  events: string[];
  recorded: number;
}> {
  const clock = new ManualClock(Date.parse('2026-01-01T00:00:00Z'));
  const desk = new ReleaseDesk({ clock, soakMs: 30_000 });
  const events: string[] = [];
  desk.subscribe((name, payload) => {
    events.push(name);
    out(`  event ${name} ${canonicalJson(payload)}`);
  });

  out('1. record two releases; the second is the first with its keys in another order');
  const schema = { type: 'record', name: 'Order', fields: [{ name: 'id', type: 'string' }] };
  const reordered = { fields: [{ type: 'string', name: 'id' }], name: 'Order', type: 'record' };
  const a = desk.record('payments/orders', schema);
  const b = desk.record('payments/orders', reordered);
  out(`  first:  id ${a.id} (created ${new Date(uuidv7Time(a.id)).toISOString()}), ${a.digest}`);
  out(`  second: duplicate=${b.duplicate}, same id: ${a.id === b.id}`);

  out('2. record a different release, then let 30 s of (manual) time pass');
  desk.record('payments/refunds', { ...schema, name: 'Refund' });
  clock.advance(30_000);

  out('3. a bad option is a typed error that names the option');
  try {
    new ReleaseDesk({ clock, soakMs: -5 });
  } catch (error) {
    if (!isPlinthError(error, 'E_INVALID_OPTION')) throw error;
    out(`  ${error.code}: ${error.message}`);
  }

  out('4. close the desk; using it afterwards is a typed error too');
  await desk.close();
  try {
    desk.record('payments/orders', schema);
  } catch (error) {
    if (!isPlinthError(error, 'E_CLOSED')) throw error;
    out(`  ${error.code}: ${error.message}`);
  }
  return { events, recorded: events.filter((e) => e === 'release:recorded').length };
}
