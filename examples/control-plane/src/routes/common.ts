import type { FastifyRequest } from 'fastify';
import { controlPlaneErrors } from '../errors.js';

/** The caller's principal: `X-Plinth-Principal` (trusted: the admin token guards writes). */
export function principalOf(req: FastifyRequest): string {
  const h = req.headers['x-plinth-principal'];
  const v = Array.isArray(h) ? h[0] : h;
  return typeof v === 'string' && v.trim() !== '' ? v.trim() : 'admin';
}

/** The JSON body as an object (Fastify parsed it; anything else is a 400). */
export function bodyOf(req: FastifyRequest): Record<string, unknown> {
  const b = req.body;
  if (b === undefined || b === null) return {};
  if (typeof b !== 'object' || Array.isArray(b)) {
    throw controlPlaneErrors.create('E_INVALID_ARGUMENT', 'the request body must be a JSON object');
  }
  return b as Record<string, unknown>;
}

export function str(b: Record<string, unknown>, name: string): string {
  const v = b[name];
  if (typeof v !== 'string' || v === '') {
    throw controlPlaneErrors.create(
      'E_INVALID_ARGUMENT',
      `body.${name} must be a non-empty string`,
    );
  }
  return v;
}

/** Copies the listed fields that are present (keeps exactOptionalPropertyTypes happy). */
export function pick(
  b: Record<string, unknown>,
  names: readonly string[],
): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const n of names) if (b[n] !== undefined) out[n] = b[n];
  return out;
}

export interface ArtifactParams {
  group: string;
  name: string;
}
export const artifactOf = (p: ArtifactParams): string => `${p.group}/${p.name}`;
