import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  createControlPlane,
  type ControlPlane,
  type ControlPlaneOptions,
} from '../src/control-plane.js';

export interface Running {
  readonly cp: ControlPlane;
  readonly url: string;
  /** fetch + JSON, with the admin token and a principal. */
  call(
    method: string,
    path: string,
    body?: unknown,
    options?: { principal?: string; token?: string | null; raw?: string; contentType?: string },
    // eslint-disable-next-line @typescript-eslint/no-explicit-any -- answers are read loosely in tests
  ): Promise<{ status: number; json: any; headers: Headers; text: string }>;
  stop(): Promise<void>;
}

export const TOKEN = 'test-token';

/** The service on SQLite in a fresh temp dir, listening on 127.0.0.1:<ephemeral>. */
export async function start(options: ControlPlaneOptions = {}): Promise<Running> {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-cp-'));
  const cp = await createControlPlane({ dataDir: dir, adminToken: TOKEN, ...options });
  const url = await cp.listen(0, '127.0.0.1');
  return {
    cp,
    url,
    async call(method, path, body, o = {}) {
      const headers: Record<string, string> = {};
      if (o.token !== null) headers.authorization = `Bearer ${o.token ?? TOKEN}`;
      if (o.principal !== undefined) headers['x-plinth-principal'] = o.principal;
      let payload: string | undefined = o.raw;
      if (body !== undefined) payload = JSON.stringify(body);
      if (payload !== undefined) headers['content-type'] = o.contentType ?? 'application/json';
      const res = await fetch(url + path, {
        method,
        headers,
        ...(payload !== undefined && { body: payload }),
      });
      const text = await res.text();
      let json: unknown;
      try {
        json = text === '' ? undefined : JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: res.status, json, headers: res.headers, text };
    },
    async stop() {
      await cp.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

export const avroUser = (extra: unknown[] = []) => ({
  type: 'record',
  name: 'User',
  namespace: 'acme',
  fields: [{ name: 'id', type: 'string' }, ...extra],
});
