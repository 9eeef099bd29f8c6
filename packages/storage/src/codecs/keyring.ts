import { randomFillSync } from 'node:crypto';
import { check, resolveOptions } from '@plinth/core';
import { storageErrors } from '../errors.js';

/**
 * Encryption keys for value codecs. A keyring has one ACTIVE key, which encrypts every new
 * value, and any number of PREVIOUS keys, which still decrypt values written before a rotation.
 * Every envelope names the id of the key that encrypted it, so rotating is: make a new key
 * active, keep the old one as previous until every value has been re-encrypted (see
 * `ValueCodec.needsRotation`), then drop it.
 *
 * Key bytes never leave the keyring through its printable surface: `toJSON()`, `util.inspect`
 * and every error show key ids only. A keyring is immutable; it keeps its own copies of the keys.
 */

/** One named 256-bit key. */
export interface KeyringKey {
  /** 1–64 characters of `[A-Za-z0-9._-]`; stored (in clear) in every envelope it encrypts. */
  readonly id: string;
  /** Exactly 32 bytes (AES-256). Generate one with {@link generateKey}. */
  readonly key: Uint8Array;
}

export interface KeyringOptions {
  /** The key that encrypts new values. */
  readonly active: KeyringKey;
  /** Older keys, still used to decrypt values they encrypted. @default [] */
  readonly previous?: readonly KeyringKey[];
}

/** Length of an AES-256 key in bytes. */
export const KEY_BYTES = 32;

/** Longest key id (the envelope stores its length in one byte). */
export const MAX_KEY_ID_LENGTH = 64;

const KEY_ID_PATTERN = /^[A-Za-z0-9._-]{1,64}$/;

/** True when `id` is a valid key id. */
function isValidKeyId(id: unknown): id is string {
  return typeof id === 'string' && KEY_ID_PATTERN.test(id);
}

const OWNER = 'Keyring';

const INSPECT = Symbol.for('nodejs.util.inspect.custom');

function invalid(option: string, message: string, details: Record<string, unknown> = {}): Error {
  return storageErrors.create('E_INVALID_OPTION', `${OWNER}: ${message}`, {
    details: { owner: OWNER, option, ...details },
  });
}

/** Describes a value by its type only: a wrongly typed key may still hold secret material. */
function describeType(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'an array';
  if (typeof value === 'string') return 'a string';
  if (value instanceof ArrayBuffer) return 'an ArrayBuffer';
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name}`;
  return typeof value === 'object' ? 'an object' : `a ${typeof value}`;
}

function validateKey(entry: unknown, option: string): { id: string; key: Uint8Array } {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) {
    throw invalid(
      option,
      `option "${option}" must be a key { id, key }, got ${describeType(entry)}`,
    );
  }
  const { id, key } = entry as { id?: unknown; key?: unknown };
  for (const prop of Object.keys(entry)) {
    if (prop !== 'id' && prop !== 'key') {
      throw invalid(`${option}.${prop}`, `unknown property "${prop}" in option "${option}"`);
    }
  }
  if (!isValidKeyId(id)) {
    const shown =
      typeof id === 'string'
        ? JSON.stringify(id.length > 70 ? `${id.slice(0, 70)}…` : id)
        : describeType(id);
    throw invalid(
      `${option}.id`,
      `key id ${shown} in option "${option}" must be 1-${MAX_KEY_ID_LENGTH} characters of [A-Za-z0-9._-]`,
    );
  }
  if (!(key instanceof Uint8Array)) {
    const hint =
      typeof key === 'string'
        ? ' (decode it first, e.g. Buffer.from(text, "base64"), or use generateKey())'
        : '';
    throw invalid(
      `${option}.key`,
      `key "${id}" must be a Uint8Array of ${KEY_BYTES} bytes, got ${describeType(key)}${hint}`,
      { keyId: id },
    );
  }
  if (key.byteLength !== KEY_BYTES) {
    throw invalid(
      `${option}.key`,
      `key "${id}" must be exactly ${KEY_BYTES} bytes (AES-256), got ${key.byteLength} bytes`,
      { keyId: id, expectedBytes: KEY_BYTES, actualBytes: key.byteLength },
    );
  }
  // Own copy: later changes to the caller's array cannot alter the keyring.
  return { id, key: new Uint8Array(key) };
}

/** Accepts anything: the keys are validated by hand so that no key material reaches a message. */
const anyValue = check.custom<never>('a value', () => true);

/** Named AES-256 keys: one active (encrypts), the others previous (decrypt only). Immutable. */
export class Keyring {
  /** Id of the key that encrypts new values. */
  readonly activeId: string;
  readonly #keys: ReadonlyMap<string, Uint8Array>;

  constructor(options: KeyringOptions) {
    const opts = resolveOptions<KeyringOptions, Record<string, never>>({
      package: storageErrors.package,
      owner: OWNER,
      spec: { active: { check: anyValue, required: true }, previous: anyValue },
      defaults: {},
      input: options,
    });
    const active = validateKey(opts.active, 'active');
    const keys = new Map<string, Uint8Array>([[active.id, active.key]]);
    const previous: unknown = opts.previous ?? [];
    if (!Array.isArray(previous)) {
      throw invalid(
        'previous',
        `option "previous" must be an array of keys { id, key }, got ${describeType(previous)}`,
      );
    }
    previous.forEach((entry: unknown, i) => {
      const option = `previous[${i}]`;
      const { id, key } = validateKey(entry, option);
      if (keys.has(id)) {
        throw invalid(`${option}.id`, `key id "${id}" appears more than once`, { keyId: id });
      }
      keys.set(id, key);
    });
    this.activeId = active.id;
    this.#keys = keys;
    Object.freeze(this);
  }

  /** A copy of the key with this id, or undefined when the keyring does not hold it. */
  get(id: string): Uint8Array | undefined {
    const key = this.#keys.get(id);
    return key === undefined ? undefined : new Uint8Array(key);
  }

  /** True when the keyring holds a key with this id. */
  has(id: string): boolean {
    return this.#keys.has(id);
  }

  /** Every key id, the active one first, then the previous ones in the order given. */
  ids(): string[] {
    return [...this.#keys.keys()];
  }

  /** Ids only: key bytes are never serialised. */
  toJSON(): { activeId: string; ids: string[] } {
    return { activeId: this.activeId, ids: this.ids() };
  }

  /** `util.inspect` / `console.log` view: ids only. */
  [INSPECT](
    _depth: number,
    options: unknown,
    inspect: (value: unknown, options: unknown) => string,
  ): string {
    return `Keyring ${inspect(this.toJSON(), options)}`;
  }
}

/** Same as `new Keyring(options)`. */
export function createKeyring(options: KeyringOptions): Keyring {
  return new Keyring(options);
}

/** 32 cryptographically random bytes: a fresh AES-256 key. */
export function generateKey(): Uint8Array {
  return randomFillSync(new Uint8Array(KEY_BYTES));
}
