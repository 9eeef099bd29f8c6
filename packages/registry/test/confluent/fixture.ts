import { createConfluentHandler, type ConfluentResponse } from '../../src/confluent/index.js';
import { makeRegistry, type Fixture } from '../helpers.js';

export interface ConfluentFixture extends Fixture {
  call(
    method: string,
    path: string,
    body?: unknown,
    query?: Record<string, string>,
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- test answers are read loosely
  ): Promise<{ status: number; json: any; raw: ConfluentResponse }>;
}

export async function makeConfluent(): Promise<ConfluentFixture> {
  const f = await makeRegistry();
  const handler = createConfluentHandler({ registry: f.registry, store: f.store });
  return {
    ...f,
    async call(method, path, body, query = {}) {
      const raw = await handler({ method, path, query, headers: {}, body });
      let json: unknown;
      try {
        json = JSON.parse(raw.body);
      } catch {
        json = raw.body;
      }
      return { status: raw.status, json, raw };
    },
  };
}

export const user = (fields: unknown[]) =>
  JSON.stringify({ type: 'record', name: 'User', namespace: 'acme', fields });
export const V1 = user([{ name: 'id', type: 'string' }]);
export const V2 = user([
  { name: 'id', type: 'string' },
  { name: 'email', type: ['null', 'string'], default: null },
]);
/** Adds a field without a default: breaks BACKWARD. */
export const BAD = user([
  { name: 'id', type: 'string' },
  { name: 'age', type: 'int' },
]);
