import { connect } from 'node:net';

/** One HTTP/1.1 answer read off a raw socket. */
export interface RawResponse {
  readonly status: number;
  /** Lower-cased names; repeated headers joined with ", ". */
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
}

/** What a raw exchange ended in: an answer, or the connection failing before a whole one. */
export type RawOutcome =
  | { readonly ok: true; readonly response: RawResponse }
  | { readonly ok: false; readonly error: string; readonly partial: string };

function complete(buf: Buffer, method: string): RawResponse | undefined {
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return undefined;
  const head = buf.subarray(0, end).toString('latin1').split('\r\n');
  const m = /^HTTP\/1\.[01] (\d{3})/.exec(head[0] ?? '');
  if (m === null) return undefined;
  const headers: Record<string, string> = {};
  for (const line of head.slice(1)) {
    const i = line.indexOf(':');
    if (i < 0) continue;
    const name = line.slice(0, i).trim().toLowerCase();
    const value = line.slice(i + 1).trim();
    headers[name] = headers[name] === undefined ? value : `${headers[name]}, ${value}`;
  }
  const status = Number(m[1]);
  let rest = buf.subarray(end + 4);
  if (method === 'HEAD' || status === 204 || status === 304) {
    return { status, headers, body: '' };
  }
  if (headers['transfer-encoding']?.toLowerCase().includes('chunked')) {
    const parts: Buffer[] = [];
    for (;;) {
      const eol = rest.indexOf('\r\n');
      if (eol < 0) return undefined;
      const size = parseInt(rest.subarray(0, eol).toString('latin1'), 16);
      if (!Number.isFinite(size)) return undefined;
      if (size === 0) return { status, headers, body: Buffer.concat(parts).toString('utf8') };
      if (rest.length < eol + 2 + size + 2) return undefined;
      parts.push(rest.subarray(eol + 2, eol + 2 + size));
      rest = rest.subarray(eol + 2 + size + 2);
    }
  }
  const length = headers['content-length'];
  if (length === undefined) return undefined; // read to the close: decided by the caller
  const n = Number(length);
  if (rest.length < n) return undefined;
  return { status, headers, body: rest.subarray(0, n).toString('utf8') };
}

/**
 * Sends `head` (request line and headers, as given: nothing is normalised or escaped) and then
 * the body chunks, reading the answer meanwhile. Resolves once a whole answer has arrived (even if
 * the body is still being written: the server may answer early) or with the failure when the
 * connection ended, reset or timed out before one.
 */
export function rawExchange(
  port: number,
  head: string | Buffer,
  body: Iterable<Buffer | string> = [],
  options: { method?: string; timeoutMs?: number } = {},
): Promise<RawOutcome> {
  const method =
    options.method ??
    (typeof head === 'string' ? head : head.toString('latin1')).split(' ')[0] ??
    '';
  return new Promise((resolve) => {
    const socket = connect({ port, host: '127.0.0.1' });
    let received = Buffer.alloc(0);
    let settled = false;
    const finish = (outcome: RawOutcome) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      socket.destroy();
      resolve(outcome);
    };
    const timer = setTimeout(
      () => finish({ ok: false, error: 'timeout', partial: received.toString('latin1') }),
      options.timeoutMs ?? 15_000,
    );
    socket.on('data', (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      const response = complete(received, method);
      if (response !== undefined) finish({ ok: true, response });
    });
    socket.on('end', () => {
      const response = complete(received, method);
      if (response !== undefined) return finish({ ok: true, response });
      // An answer without a length ends with the connection.
      const end = received.indexOf('\r\n\r\n');
      const m = /^HTTP\/1\.[01] (\d{3})/.exec(received.toString('latin1'));
      if (
        end >= 0 &&
        m !== null &&
        !/content-length|transfer-encoding/i.test(received.subarray(0, end).toString('latin1'))
      ) {
        const withLength = Buffer.concat([
          received.subarray(0, end),
          Buffer.from(`\r\ncontent-length: ${received.length - end - 4}\r\n\r\n`),
          received.subarray(end + 4),
        ]);
        const r = complete(withLength, method);
        if (r !== undefined) return finish({ ok: true, response: r });
      }
      finish({
        ok: false,
        error: 'closed before a whole answer',
        partial: received.toString('latin1'),
      });
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      const response = complete(received, method);
      if (response !== undefined) return finish({ ok: true, response });
      finish({
        ok: false,
        error: error.code ?? error.message,
        partial: received.toString('latin1'),
      });
    });
    socket.on('connect', async () => {
      try {
        if (!socket.write(head)) await new Promise((r) => socket.once('drain', r));
        for (const chunk of body) {
          if (settled || socket.destroyed) return;
          if (!socket.write(chunk)) {
            await new Promise<void>((r) => {
              const go = () => {
                socket.off('drain', go);
                socket.off('close', go);
                r();
              };
              socket.once('drain', go);
              socket.once('close', go);
            });
          }
        }
      } catch {
        // write errors surface as 'error' above
      }
    });
  });
}
