import type { Registry, VersionInfo } from '@plinth/registry';
import type { CompiledValidator, Validation } from '@plinth/validation';
import { sourceOf } from './schema-sources.js';

/** Compiled validators per immutable version (bounded: cleared when full). */
export class ValidatorCache {
  readonly #registry: Registry;
  readonly #validation: Validation;
  readonly #byKey = new Map<string, CompiledValidator>();
  readonly #max: number;

  constructor(registry: Registry, validation: Validation, max = 1000) {
    this.#registry = registry;
    this.#validation = validation;
    this.#max = max;
  }

  async get(info: VersionInfo): Promise<CompiledValidator> {
    const key = `${info.artifact}@${info.version}`;
    const hit = this.#byKey.get(key);
    if (hit !== undefined) return hit;
    const compiled = this.#validation.compile(await sourceOf(this.#registry, info));
    if (this.#byKey.size >= this.#max) this.#byKey.clear();
    this.#byKey.set(key, compiled);
    return compiled;
  }

  /** Drops everything (after a hard delete). */
  clear(): void {
    this.#byKey.clear();
  }
}
