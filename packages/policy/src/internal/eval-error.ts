/**
 * An error raised while evaluating one policy (Cedar's evaluation errors: a type error, a missing
 * attribute or entity, an overflow, an extension function failing). The authorizer catches it,
 * skips the policy and reports it in the response; it never escapes `isAuthorized`.
 */
export type EvalErrorKind =
  | 'type'
  | 'missingAttribute'
  | 'missingEntity'
  | 'missingTag'
  | 'overflow'
  | 'extension'
  | 'unlinkedSlot'
  | 'unknown';

export class EvalError extends Error {
  override readonly name = 'EvalError';
  constructor(
    readonly kind: EvalErrorKind,
    message: string,
  ) {
    super(message);
  }
}

/** Throws a type error: `expected` is the Cedar type name(s) wanted, `got` the value's type. */
export function typeError(expected: string, got: string, where?: string): never {
  throw new EvalError(
    'type',
    `type error${where ? ` in ${where}` : ''}: expected ${expected}, got ${got}`,
  );
}
