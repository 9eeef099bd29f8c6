/**
 * The static signatures of Cedar's extension functions, as the typechecker needs them:
 * argument types, result type, and for the constructors (`ip`, `decimal`, `datetime`,
 * `duration`) a check that a literal argument spells a valid value — the validator rejects
 * `decimal("abc")` before any request. Derived from {@link EXTENSION_FUNCTIONS}.
 */
import { EXTENSION_FUNCTIONS } from './extensions/index.js';
import type { Ty } from './static-types.js';

export interface ExtensionSignature {
  readonly name: string;
  /** Argument types, a method's receiver first. */
  readonly args: readonly Ty[];
  readonly returns: Ty;
  /** For constructors: is the literal a valid spelling? */
  readonly validLiteral?: (literal: string) => boolean;
}

function tyOf(name: string): Ty {
  switch (name) {
    case 'String':
      return { k: 'string' };
    case 'Long':
      return { k: 'long' };
    case 'Bool':
      return { k: 'bool' };
    default:
      return { k: 'ext', name };
  }
}

function signature(name: string): ExtensionSignature {
  const fn = EXTENSION_FUNCTIONS.get(name)!;
  const base = { name, args: fn.argTypes.map(tyOf), returns: tyOf(fn.returns) };
  if (fn.style !== 'function') return base;
  return {
    ...base,
    validLiteral: (literal) => {
      try {
        fn.call([literal]);
        return true;
      } catch {
        return false;
      }
    },
  };
}

/** Extension function name → its signature. */
export const EXTENSION_SIGNATURES: ReadonlyMap<string, ExtensionSignature> = new Map(
  [...EXTENSION_FUNCTIONS.keys()].map((name) => [name, signature(name)]),
);
