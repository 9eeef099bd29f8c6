import { request } from 'node:http';
import { connect } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { start, TOKEN, type Running } from './helpers.js';
import { rawExchange, type RawResponse } from './raw-http.js';

let svc: Running;
let port: number;
beforeAll(async () => {
  svc = await start();
  port = Number(new URL(svc.url).port);
});
afterAll(() => svc.stop());

const BODY = 20 * 1024 * 1024; // 20 MiB against the default 1 MiB limit
const MIB = Buffer.alloc(1024 * 1024, 0x61);
const chunks = () => Array.from({ length: BODY / MIB.length }, () => MIB);
const chunked = () => [
  ...chunks().map((c) =>
    Buffer.concat([Buffer.from(`${c.length.toString(16)}\r\n`), c, Buffer.from('\r\n')]),
  ),
  Buffer.from('0\r\n\r\n'),
];

function expectProblem(r: RawResponse, status: number, code?: string): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/problem\+json/);
  const p = JSON.parse(r.body) as Record<string, unknown>;
  expect(p).toMatchObject({
    status,
    type: expect.stringMatching(/^https:\/\//),
    title: expect.any(String),
    detail: expect.any(String),
  });
  if (code !== undefined) expect(p.code).toBe(code);
}

function expectConfluent(r: RawResponse, status: number): void {
  expect(r.status).toBe(status);
  expect(r.headers['content-type']).toMatch(/^application\/vnd\.schemaregistry\.v1\+json/);
  const e = JSON.parse(r.body) as Record<string, unknown>;
  expect(Object.keys(e).sort()).toEqual(['error_code', 'message']);
  expect(String(e.error_code).slice(0, 3)).toBe(String(status));
}

const head = (method: string, path: string, extra: string[] = []) =>
  [
    `${method} ${path} HTTP/1.1`,
    'Host: 127.0.0.1',
    `Authorization: Bearer ${TOKEN}`,
    ...extra,
    '',
    '',
  ].join('\r\n');

/** A client that writes the whole body before it reads anything (as many Kafka clients do). */
function uploadThenRead(path: string, framing: 'length' | 'chunked'): Promise<string> {
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.pause();
    let got = '';
    socket.on('error', (e: NodeJS.ErrnoException) =>
      resolve(`error ${e.code} after ${JSON.stringify(got.slice(0, 20))}`),
    );
    socket.on('connect', async () => {
      const framingHeader =
        framing === 'length' ? `Content-Length: ${BODY}` : 'Transfer-Encoding: chunked';
      socket.write(head('POST', path, ['Content-Type: application/json', framingHeader]));
      for (const c of framing === 'length' ? chunks() : chunked()) {
        if (!socket.write(c)) await new Promise((r) => socket.once('drain', r));
      }
      socket.on('data', (c: Buffer) => (got += c.toString('latin1')));
      socket.on('end', () => resolve(got));
      socket.resume();
    });
  });
}

function nodeHttpUpload(
  path: string,
): Promise<{ status: number; connection: string | undefined; body: string } | string> {
  return new Promise((resolve) => {
    const req = request(
      `${svc.url}${path}`,
      {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          authorization: `Bearer ${TOKEN}`,
          'content-length': BODY,
        },
      },
      (res) => {
        let body = '';
        res.on('data', (c: Buffer) => (body += c.toString()));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }),
        );
      },
    );
    req.on('error', (e: NodeJS.ErrnoException) => resolve(`error ${e.code}`));
    void (async () => {
      for (const c of chunks()) if (!req.write(c)) await new Promise((r) => req.once('drain', r));
      req.end();
    })();
  });
}

describe('bodies over the limit', () => {
  for (const [api, path] of [
    ['native', '/v1/artifacts'],
    ['Confluent', '/confluent/subjects/big/versions'],
  ] as const) {
    for (const framing of ['length', 'chunked'] as const) {
      it(`${api} (${framing === 'length' ? 'content-length' : 'chunked'}): 8 uploads of 20 MiB all read a 413 and a clean close`, async () => {
        const answers = await Promise.all(
          Array.from({ length: 8 }, () => uploadThenRead(path, framing)),
        );
        for (const a of answers) {
          expect(a).toMatch(/^HTTP\/1\.1 413 /);
          expect(a.toLowerCase()).toContain('connection: close');
          const [, body = ''] = a.split('\r\n\r\n');
          if (api === 'native')
            expect(JSON.parse(body)).toMatchObject({ status: 413, code: 'E_BODY_TOO_LARGE' });
          else expect(JSON.parse(body)).toMatchObject({ error_code: 413 });
        }
      }, 60_000);
    }
    it(`${api}: node:http clients uploading 20 MiB get the 413 answer, not a network error`, async () => {
      const answers = await Promise.all(Array.from({ length: 8 }, () => nodeHttpUpload(path)));
      for (const a of answers) expect(a).toMatchObject({ status: 413, connection: 'close' });
    }, 60_000);
  }

  it('the service keeps answering after the refused uploads', async () => {
    expect((await svc.call('GET', '/healthz')).status).toBe(200);
  });
});

describe('client mistakes are 4xx naming what is wrong', () => {
  beforeAll(async () => {
    await svc.call('POST', '/v1/artifacts/acme/cfg/versions', { content: 'a=1', version: '1.0.0' });
  });

  it('a malformed audit cursor is a 400, not a storage failure', async () => {
    const r = await svc.call('GET', '/v1/artifacts/acme/cfg/audit?cursor=xxx');
    expect(r.status).toBe(400);
    expect(r.json).toMatchObject({
      code: 'E_INVALID_ARGUMENT',
      detail: expect.stringMatching(/cursor/),
    });
  });

  it.each([
    ['/v1/artifacts?sort=size', 'sort'],
    ['/v1/artifacts?order=sideways', 'order'],
    ['/v1/artifacts?colour=red', 'colour'],
    ['/v1/artifacts/acme/cfg/versions?foo=1', 'foo'],
    ['/v1/artifacts?limit=99999999999999999999', 'limit'],
    ['/v1/artifacts?limit=1001', 'limit'],
    ['/v1/artifacts?limit=-1', 'limit'],
    ['/v1/artifacts?limit=1&limit=2', 'limit'],
    ['/v1/artifacts?includeDeleted=maybe', 'includeDeleted'],
    ['/v1/artifacts/acme/cfg/audit?limit=abc', 'limit'],
    ['/v1/pipelines/main/stages/dev/history?reverse=2', 'reverse'],
    ['/healthz?x=1', 'x'],
  ])('GET %s → 400 naming "%s"', async (path, parameter) => {
    const r = await svc.call('GET', path);
    expect(r.status).toBe(400);
    expect(r.headers.get('content-type')).toMatch(/^application\/problem\+json/);
    expect(r.json).toMatchObject({ code: 'E_INVALID_ARGUMENT', details: { parameter } });
    expect(r.json.detail).toContain(`"${parameter}"`);
  });

  it('declared parameters with good values still work', async () => {
    const r = await svc.call('GET', '/v1/artifacts?sort=name&order=desc&limit=1000&label.team=x');
    expect(r.status).toBe(200);
  });
});

describe('every error is a problem document (or Confluent’s shape on its mount)', () => {
  const send = (h: string, body: string[] = []) =>
    rawExchange(
      port,
      h,
      body.map((b) => Buffer.from(b)),
    );
  const ok = async (p: ReturnType<typeof send>) => {
    const o = await p;
    if (!o.ok) expect.fail(`connection failed: ${o.error}`);
    return o.response;
  };

  it('a path that does not percent-decode → 400', async () => {
    expectProblem(await ok(send(head('GET', '/v1/artifacts/%zz/x'))), 400, 'E_INVALID_PATH');
    expectConfluent(await ok(send(head('GET', '/confluent/subjects/%E0%A4%A/versions'))), 400);
  });

  it('an unknown HTTP method (refused by the HTTP parser) → 400', async () => {
    expectProblem(await ok(send(head('FROB', '/v1/artifacts'))), 400, 'E_BAD_REQUEST');
    expectConfluent(await ok(send(head('FROB', '/confluent/subjects'))), 400);
  });

  it('a method the parser knows but no route takes → 405 with Allow', async () => {
    const r = await ok(send(head('PROPFIND', '/v1/artifacts')));
    expectProblem(r, 405, 'E_METHOD_NOT_ALLOWED');
    expect(r.headers.allow).toBe('GET, HEAD, POST');
    expectProblem(
      await ok(send(head('PUT', '/v1/artifacts/acme/cfg', ['Content-Length: 0']))),
      405,
    );
    expectConfluent(
      await ok(send(head('PATCH', '/confluent/subjects/x', ['Content-Length: 0']))),
      405,
    );
    expectConfluent(await ok(send(head('PROPFIND', '/confluent/subjects'))), 405);
  });

  it('headers over 16 KB → 431', async () => {
    const big = `X-Big: ${'a'.repeat(20_000)}`;
    expectProblem(await ok(send(head('GET', '/v1/artifacts', [big]))), 431, 'E_HEADERS_TOO_LARGE');
    expectConfluent(await ok(send(head('GET', '/confluent/subjects', [big]))), 431);
  });

  it('malformed JSON, a wrong content type, unknown routes', async () => {
    const json = ['Content-Type: application/json', 'Content-Length: 9'];
    expectProblem(
      await ok(send(head('POST', '/v1/artifacts', json), ['{"a": nul'])),
      400,
      'E_INVALID_JSON',
    );
    expectConfluent(
      await ok(send(head('POST', '/confluent/subjects/x/versions', json), ['{"a": nul'])),
      400,
    );
    const xml = ['Content-Type: application/xml', 'Content-Length: 4'];
    expectProblem(
      await ok(send(head('POST', '/v1/artifacts', xml), ['<a/>'])),
      415,
      'E_UNSUPPORTED_MEDIA_TYPE',
    );
    expectProblem(await ok(send(head('GET', '/nowhere'))), 404, 'E_NOT_FOUND');
    expectProblem(await ok(send(head('GET', '/v1/artifacts/a/b/c/d/e/f'))), 404, 'E_NOT_FOUND');
    expectConfluent(await ok(send(head('GET', '/confluent/nowhere'))), 404);
  });

  it('a malformed request line or header → 400 problem', async () => {
    expectProblem(
      await ok(send('GET /v1/artifacts HTTP/1.1\r\nHost: x\r\nBad Header\r\n\r\n')),
      400,
    );
    expectProblem(await ok(send('GET /v1/artifacts HTTP/9.9\r\n\r\n')), 400);
  });

  it('a missing or garbled token on a write → 401 problem / Confluent error', async () => {
    const noAuth =
      'POST /v1/artifacts HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n';
    expectProblem(await ok(send(noAuth, ['{}'])), 401, 'E_UNAUTHENTICATED');
    const garbled =
      'PUT /confluent/config HTTP/1.1\r\nHost: x\r\nAuthorization: Basic %%%\r\nContent-Length: 2\r\n\r\n';
    expectConfluent(await ok(send(garbled, ['{}'])), 401);
  });
});
