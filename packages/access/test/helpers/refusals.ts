import { isPlinthError } from '@plinth/core';
import { expect } from 'vitest';
import type { AuditRecordInput } from '../../src/types.js';

/** Awaits a promise that must reject with a Plinth error; returns its code and `details.reason`. */
export async function failure(
  p: Promise<unknown>,
): Promise<{ code: string; reason?: string; error: Error }> {
  const error = await p.then(
    () => undefined,
    (e: unknown) => e as Error,
  );
  expect(error, 'expected a rejection').toBeInstanceOf(Error);
  expect(isPlinthError(error), String(error)).toBe(true);
  const e = error as Error & { code: string; details?: { reason?: string } };
  return {
    code: e.code,
    error: e,
    ...(e.details?.reason !== undefined && { reason: e.details.reason }),
  };
}

/** An audit sink that keeps what it is given. */
export class MemoryAudit {
  readonly records: AuditRecordInput[] = [];
  async append(record: AuditRecordInput): Promise<void> {
    this.records.push(record);
  }
}
