import { isPlinthError } from '@plinth/core';
import { expect } from 'vitest';

/** Asserts that `p` rejects with a Plinth error of `code`; returns the error. */
export async function rejects(p: Promise<unknown>, code: string): Promise<Error> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(isPlinthError(error, code), `expected ${code}, got ${String(error)}`).toBe(true);
  return error as Error;
}
