/**
 * The logger every Plinth package accepts (`logger?: Logger`). Its shape is pino's, so a pino
 * logger, a `@plinth/logging` logger, or any adapter with these methods plugs in directly. The
 * default is {@link noopLogger}: a package never writes to the console on its own.
 *
 * Both call styles are supported, as in pino: `log.info('message')` and
 * `log.info({ key, durationMs }, 'message')`.
 */
export interface LogFn {
  (message: string, ...args: unknown[]): void;
  (object: object, message?: string, ...args: unknown[]): void;
}

export type LogLevel = 'trace' | 'debug' | 'info' | 'warn' | 'error' | 'fatal';

export interface Logger {
  trace: LogFn;
  debug: LogFn;
  info: LogFn;
  warn: LogFn;
  error: LogFn;
  fatal: LogFn;
  /** A logger whose every line carries `bindings` (e.g. `{ component: 'registry' }`). */
  child(bindings: Record<string, unknown>): Logger;
}

const noop: LogFn = () => {};

/** A logger that discards everything; `child()` returns itself. */
export const noopLogger: Logger = Object.freeze({
  trace: noop,
  debug: noop,
  info: noop,
  warn: noop,
  error: noop,
  fatal: noop,
  child: () => noopLogger,
});

/** One line a {@link MemoryLogger} recorded. */
export interface LogRecord {
  readonly level: LogLevel;
  readonly message: string | undefined;
  readonly fields: Readonly<Record<string, unknown>>;
}

/**
 * A logger that keeps its lines in memory, for tests that assert what a package logged
 * (warnings for clamped options, errors from background work). Children share the parent's
 * record list.
 */
export class MemoryLogger implements Logger {
  readonly records: LogRecord[];
  readonly #bindings: Readonly<Record<string, unknown>>;

  constructor(bindings: Record<string, unknown> = {}, records: LogRecord[] = []) {
    this.#bindings = bindings;
    this.records = records;
  }

  trace: LogFn = (a: string | object, b?: unknown) => this.#log('trace', a, b);
  debug: LogFn = (a: string | object, b?: unknown) => this.#log('debug', a, b);
  info: LogFn = (a: string | object, b?: unknown) => this.#log('info', a, b);
  warn: LogFn = (a: string | object, b?: unknown) => this.#log('warn', a, b);
  error: LogFn = (a: string | object, b?: unknown) => this.#log('error', a, b);
  fatal: LogFn = (a: string | object, b?: unknown) => this.#log('fatal', a, b);

  child(bindings: Record<string, unknown>): MemoryLogger {
    return new MemoryLogger({ ...this.#bindings, ...bindings }, this.records);
  }

  /** Records at `level`. */
  at(level: LogLevel): LogRecord[] {
    return this.records.filter((r) => r.level === level);
  }

  #log(level: LogLevel, a: string | object, b: unknown): void {
    if (typeof a === 'string') {
      this.records.push({ level, message: a, fields: { ...this.#bindings } });
    } else {
      this.records.push({
        level,
        message: typeof b === 'string' ? b : undefined,
        fields: { ...this.#bindings, ...a },
      });
    }
  }
}
