import type { FastifyReply, FastifyRequest } from 'fastify';
import type { Services } from '../control-plane.js';
import { controlPlaneErrors } from '../errors.js';

/** How one query parameter is read. Anything else than what a route declares is refused. */
export type QueryParam =
  | { readonly type: 'string' }
  | { readonly type: 'bool' }
  | { readonly type: 'int'; readonly min: number; readonly max: number }
  | { readonly type: 'enum'; readonly values: readonly string[] };

/** One native route: the route table is built from these, and so is the HTTP fuzz model. */
export interface RouteSpec {
  readonly method: 'GET' | 'POST' | 'PUT' | 'PATCH' | 'DELETE';
  /** Fastify path (`:name` parameters). */
  readonly url: string;
  /** The query parameters the route reads (name → type). */
  readonly query: Readonly<Record<string, QueryParam>>;
  /** Parameter families: `label.` accepts `label.<anything>` as strings. */
  readonly queryPrefixes?: readonly string[];
  /** A POST that changes nothing (validation, compatibility checks): no admin token needed. */
  readonly readOnly?: boolean;
  readonly handler: (s: Services, req: FastifyRequest, reply: FastifyReply) => Promise<unknown>;
}

/** Largest `limit` any list route takes; larger is refused (400) rather than clamped. */
export const MAX_PAGE_SIZE = 1000;

export const PAGE = { type: 'int', min: 1, max: MAX_PAGE_SIZE } as const;
export const BOOL = { type: 'bool' } as const;
export const STRING = { type: 'string' } as const;
export const oneOf = (...values: string[]): QueryParam => ({ type: 'enum', values });

export type ParsedQuery = Readonly<Record<string, string | number | boolean>>;

const QUERY = Symbol('plinth.query');

function refuse(name: string, why: string): never {
  throw controlPlaneErrors.create('E_INVALID_ARGUMENT', `query parameter "${name}" ${why}`, {
    details: { parameter: name },
  });
}

/**
 * Checks a request's query string against the route's declaration, once, before the handler:
 * unknown parameters, repeated ones and malformed values are a 400 naming the parameter.
 */
export function checkQuery(spec: RouteSpec, raw: unknown): ParsedQuery {
  const out: Record<string, string | number | boolean> = {};
  const entries = Object.entries((raw ?? {}) as Record<string, unknown>);
  for (const [name, value] of entries) {
    const declared = spec.query[name];
    const family = spec.queryPrefixes?.some((p) => name.startsWith(p) && name.length > p.length);
    if (declared === undefined && family !== true) {
      const known = [
        ...Object.keys(spec.query),
        ...(spec.queryPrefixes ?? []).map((p) => `${p}<k>`),
      ];
      refuse(
        name,
        `is not known on ${spec.method} ${spec.url}` +
          (known.length > 0 ? ` (it takes ${known.join(', ')})` : ' (it takes none)'),
      );
    }
    if (typeof value !== 'string') refuse(name, 'is given more than once');
    out[name] = declared === undefined ? value : read(name, declared, value);
  }
  return out;
}

function read(name: string, p: QueryParam, value: string): string | number | boolean {
  switch (p.type) {
    case 'string':
      return value;
    case 'bool':
      if (value === 'true' || value === '') return true;
      if (value === 'false') return false;
      return refuse(name, 'must be true or false');
    case 'int': {
      const n = /^\d{1,16}$/.test(value) ? Number(value) : NaN;
      if (!Number.isSafeInteger(n) || n < p.min || n > p.max) {
        return refuse(
          name,
          `must be an integer from ${p.min} to ${p.max}, got ${JSON.stringify(value.slice(0, 40))}`,
        );
      }
      return n;
    }
    case 'enum':
      if (p.values.includes(value)) return value;
      return refuse(
        name,
        `must be one of ${p.values.join(', ')}, got ${JSON.stringify(value.slice(0, 40))}`,
      );
  }
}

/** Stores the checked query on the request (the shared preValidation hook does this). */
export function setQuery(req: FastifyRequest, query: ParsedQuery): void {
  (req as unknown as Record<symbol, ParsedQuery>)[QUERY] = query;
}

/** The route's checked query parameters. */
export function query(req: FastifyRequest): ParsedQuery {
  return (req as unknown as Record<symbol, ParsedQuery | undefined>)[QUERY] ?? {};
}

export const flagOf = (req: FastifyRequest, name: string): boolean => query(req)[name] === true;
