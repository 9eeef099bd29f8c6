import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { createConfluentHandler, type ConfluentResponse } from '@plinth/registry/confluent';
import { cached } from '../cached.js';
import type { Services } from '../control-plane.js';

/**
 * Mounts the Confluent Schema Registry API under `prefix`. Bodies reach the handler as raw text
 * (any content type: Confluent clients send application/vnd.schemaregistry.v1+json), so bad
 * JSON gets Confluent's error shape, not a problem document. Schema-by-id answers are immutable
 * and served through the cache (Redis L2 when configured); hard deletes clear it.
 */
export function registerConfluent(app: FastifyInstance, s: Services, prefix: string): void {
  const handler = createConfluentHandler({ registry: s.registry, store: s.store });
  const lookups = s.lookups.namespace('confluent');
  void app.register(
    async (scope) => {
      scope.removeAllContentTypeParsers();
      scope.addContentTypeParser('*', { parseAs: 'string' }, (_req, body, done) => {
        done(null, body);
      });
      const serve = async (req: FastifyRequest, reply: FastifyReply) => {
        const path = (req.url.split('?')[0] ?? '').slice(prefix.length) || '/';
        const query = req.query as Record<string, string>;
        const call = () =>
          handler({
            // HEAD is GET without the body (Fastify drops it).
            method: req.method === 'HEAD' ? 'GET' : req.method,
            path,
            query,
            headers: req.headers,
            body: req.body,
          });
        let res: ConfluentResponse;
        const cacheable =
          req.method === 'GET' &&
          /^\/schemas\/ids\/\d+$/.test(path) &&
          Object.keys(query).length === 0;
        if (cacheable) {
          res = await cached(lookups, path, async (ctx) => {
            const r = await call();
            if (r.status !== 200) ctx.skip();
            return r;
          });
        } else {
          res = await call();
          if (req.method === 'DELETE' && res.status === 200 && query.permanent === 'true') {
            s.validators.clear();
            await s.lookups.clear();
          }
        }
        return reply.code(res.status).headers(res.headers).send(res.body);
      };
      // Every method reaches the handler, which answers 405 (Confluent's shape) for the wrong one.
      const methods = ['GET', 'POST', 'PUT', 'DELETE', 'PATCH', 'OPTIONS'];
      scope.route({ method: methods, url: '/', handler: serve });
      scope.route({ method: methods, url: '/*', handler: serve });
    },
    { prefix },
  );
}
