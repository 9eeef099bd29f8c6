import type { IncomingMessage } from 'node:http';
import type { Socket } from 'node:net';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { PROBLEM_CONTENT_TYPE, problem, toProblem, type Problem } from './problems.js';

/** Confluent's content type: errors on the Confluent mount use it and its `{ error_code, message }`. */
const CONFLUENT_TYPE = 'application/vnd.schemaregistry.v1+json';

/** How much of a refused request's body is still read (and dropped) before the connection closes. */
export const LINGER = Object.freeze({ maxBytes: 64 * 1024 * 1024, maxMs: 10_000 });

/** The error document for `path`: Confluent's shape under `confluentPrefix`, else RFC 9457. */
export function errorDocument(
  path: string,
  confluentPrefix: string,
  p: Problem,
): { contentType: string; body: string } {
  if (path === confluentPrefix || path.startsWith(`${confluentPrefix}/`)) {
    const errorCode = p.status >= 500 ? 50001 : p.status;
    return {
      contentType: CONFLUENT_TYPE,
      body: JSON.stringify({ error_code: errorCode, message: p.detail }),
    };
  }
  return { contentType: PROBLEM_CONTENT_TYPE, body: JSON.stringify(p) };
}

const pathOf = (url: string) => url.split('?')[0] ?? '';

/** Sends `error` as the error document its path calls for. */
export function sendError(
  reply: FastifyReply,
  req: FastifyRequest,
  confluentPrefix: string,
  error: unknown,
): void {
  const p = toProblem(error);
  const doc = errorDocument(pathOf(req.url), confluentPrefix, p);
  void reply.code(p.status).type(doc.contentType).send(doc.body);
}

/** Fastify's framework errors (a path that does not decode, an over-long parameter). */
export function frameworkError(confluentPrefix: string) {
  return (error: { code: string; message: string }, req: FastifyRequest, reply: FastifyReply) => {
    const p =
      error.code === 'FST_ERR_MAX_PARAM_LENGTH'
        ? problem(414, 'E_URI_TOO_LONG', 'a path parameter is longer than the service accepts')
        : problem(400, 'E_INVALID_PATH', `the path does not decode: ${error.message}`);
    const doc = errorDocument(pathOf(req.raw.url ?? ''), confluentPrefix, p);
    void reply.code(p.status).type(doc.contentType).send(doc.body);
  };
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them (an unknown method, a
 * malformed request line or header, headers over the size limit, a timeout). They get the same
 * error documents, then a lingering close, so the client reads the answer rather than a reset.
 */
export function clientErrorHandler(confluentPrefix: string) {
  return (error: Error & { code?: string }, socket: Socket): void => {
    if (error.code === 'ECONNRESET' || socket.destroyed) return;
    const p =
      error.code === 'HPE_HEADER_OVERFLOW'
        ? problem(431, 'E_HEADERS_TOO_LARGE', 'the request headers exceed the size limit')
        : error.code === 'ERR_HTTP_REQUEST_TIMEOUT' || error.code === 'ERR_HTTP_HEADERS_TIMEOUT'
          ? problem(408, 'E_REQUEST_TIMEOUT', 'the request did not arrive in time')
          : problem(
              400,
              'E_BAD_REQUEST',
              `malformed HTTP request (${error.code ?? 'parse error'})`,
            );
    // The request line, when it arrived, says which API the caller speaks.
    const raw = (error as { rawPacket?: unknown }).rawPacket;
    const line = Buffer.isBuffer(raw)
      ? (raw.toString('latin1', 0, 2048).split('\r\n')[0] ?? '')
      : '';
    const target = /^\S+ (\S+)/.exec(line)?.[1] ?? '';
    const doc = errorDocument(pathOf(target), confluentPrefix, p);
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const title = p.status === 431 ? 'Request Header Fields Too Large' : p.title;
    socket.write(
      `HTTP/1.1 ${p.status} ${title}\r\nContent-Type: ${doc.contentType}\r\n` +
        `Content-Length: ${Buffer.byteLength(doc.body)}\r\nConnection: close\r\n\r\n${doc.body}`,
    );
    lingerThenClose(socket);
  };
}

/** CONNECT (proxy tunnels) reaches Node's 'connect' event, not Fastify: answer 405 there. */
export function connectHandler(confluentPrefix: string) {
  return (req: IncomingMessage, socket: Socket): void => {
    const p = problem(405, 'E_METHOD_NOT_ALLOWED', 'CONNECT is not served: this is not a proxy');
    const doc = errorDocument(pathOf(req.url ?? ''), confluentPrefix, p);
    socket.write(
      `HTTP/1.1 405 Method Not Allowed\r\nContent-Type: ${doc.contentType}\r\n` +
        `Content-Length: ${Buffer.byteLength(doc.body)}\r\nConnection: close\r\n\r\n${doc.body}`,
    );
    lingerThenClose(socket);
  };
}

/**
 * Half-closes `socket` once its pending writes are out, then keeps reading and dropping what the
 * client still sends (up to {@link LINGER}) before destroying it. Closing a socket with unread
 * input makes the kernel reset it, and a reset can discard the answer before the client reads it.
 */
function lingerThenClose(socket: Socket): void {
  if (socket.destroyed) return;
  let seen = 0;
  const done = () => {
    clearTimeout(timer);
    socket.destroy();
  };
  const timer = setTimeout(done, LINGER.maxMs);
  timer.unref();
  socket.on('data', (chunk: Buffer) => {
    seen += chunk.length;
    if (seen > LINGER.maxBytes) done();
  });
  socket.once('end', done);
  socket.once('close', () => clearTimeout(timer));
  socket.end();
  socket.resume();
}

/**
 * Reads and drops the rest of a request body the service answers without reading (a 413, or a
 * 401/404/415 decided before the body was parsed), up to {@link LINGER}, so that the answer is
 * sent to a client that has finished uploading. Answering first and closing with unread input
 * would reset the connection, and a client still uploading would see EPIPE/ECONNRESET instead
 * of the answer. Returns false when the bound was reached (the connection is then closed).
 */
export function drainBody(req: IncomingMessage): Promise<boolean> {
  if (req.complete || req.destroyed) return Promise.resolve(true);
  return new Promise((resolve) => {
    let seen = 0;
    const finish = (whole: boolean) => {
      clearTimeout(timer);
      req.off('data', onData);
      req.off('end', onEnd);
      req.off('close', onEnd);
      resolve(whole);
    };
    const onData = (chunk: Buffer) => {
      seen += chunk.length;
      if (seen > LINGER.maxBytes) finish(false);
    };
    const onEnd = () => finish(req.complete);
    const timer = setTimeout(() => finish(false), LINGER.maxMs);
    timer.unref();
    req.on('data', onData);
    req.once('end', onEnd);
    req.once('close', onEnd);
    req.resume();
  });
}
