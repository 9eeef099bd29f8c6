/** Input checks of the directory: principal attributes and scope references. */
import { checkJsonLimits } from '@plinth/core';
import { accessErrors } from '../errors.js';
import { DEFAULT_ACCESS_LIMITS } from '../options.js';
import type { JsonValue } from '../types.js';

/** A scope (or resource) entity: its type, id and Cedar text `Type::"id"`. */
export interface Scope {
  readonly type: string;
  readonly id: string;
  readonly text: string;
}

const TYPE = /^[A-Za-z_][A-Za-z0-9_]*(::[A-Za-z_][A-Za-z0-9_]*)*$/;

/** `{ type, id }`, `{ __entity: { type, id } }` or the text `Type::"id"` → a {@link Scope}. */
export function parseScope(ref: unknown): Scope {
  let type: unknown;
  let id: unknown;
  if (typeof ref === 'string') {
    const at = ref.indexOf('::"');
    if (at > 0 && ref.endsWith('"')) {
      type = ref.slice(0, at);
      try {
        id = JSON.parse(ref.slice(at + 2)) as unknown;
      } catch {
        id = undefined;
      }
    }
  } else if (typeof ref === 'object' && ref !== null) {
    const r = ('__entity' in ref ? (ref as { __entity: unknown }).__entity : ref) as {
      type?: unknown;
      id?: unknown;
    } | null;
    type = r?.type;
    id = r?.id;
  }
  if (typeof type !== 'string' || !TYPE.test(type) || typeof id !== 'string') {
    throw accessErrors.create(
      'E_INVALID_ARGUMENT',
      'an entity reference must be { type, id } or Cedar text Type::"id"',
    );
  }
  if (id.length > DEFAULT_ACCESS_LIMITS.maxNameLength * 4) {
    throw accessErrors.create('E_LIMIT_EXCEEDED', 'entity id is too long', {
      details: { limit: 'maxNameLength' },
    });
  }
  return { type, id, text: `${type}::${JSON.stringify(id)}` };
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) return false;
  const proto = Object.getPrototypeOf(v) as unknown;
  return proto === Object.prototype || proto === null;
}

/**
 * Principal attributes: a plain object of JSON values within the depth limit, with integers
 * only (Cedar has no floats) and no nulls (Cedar has none either).
 */
export function checkAttributes(attrs: unknown): { readonly [name: string]: JsonValue } {
  if (!isPlainObject(attrs)) {
    throw accessErrors.create('E_INVALID_ARGUMENT', 'attrs must be a plain object');
  }
  try {
    checkJsonLimits(attrs, { maxDepth: DEFAULT_ACCESS_LIMITS.maxDepth });
  } catch (error) {
    throw accessErrors.create('E_LIMIT_EXCEEDED', 'attrs are nested too deeply or too large', {
      cause: error,
      details: { limit: 'maxDepth' },
    });
  }
  const walk = (v: unknown, path: string): void => {
    if (typeof v === 'string' || typeof v === 'boolean') return;
    if (typeof v === 'number') {
      if (!Number.isSafeInteger(v)) {
        throw accessErrors.create(
          'E_INVALID_ARGUMENT',
          `attrs${path} must be an integer (Cedar has no floats)`,
        );
      }
      return;
    }
    if (Array.isArray(v)) {
      v.forEach((x, i) => walk(x, `${path}[${i}]`));
      return;
    }
    if (isPlainObject(v)) {
      for (const [k, x] of Object.entries(v)) walk(x, `${path}.${k}`);
      return;
    }
    throw accessErrors.create('E_INVALID_ARGUMENT', `attrs${path} is not a Cedar JSON value`);
  };
  walk(attrs, '');
  return structuredClone(attrs) as { readonly [name: string]: JsonValue };
}
