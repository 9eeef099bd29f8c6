import { canonicalJson, checkJsonLimits } from '@plinth/core';
import { registryErrors } from '../errors.js';
import type { Ctx } from './context.js';

const LABEL_KEY = /^[A-Za-z0-9][A-Za-z0-9._/-]{0,62}$/;

export interface Metadata {
  readonly description: string | null;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, unknown>;
}

/** Checks description, labels and annotations against the limits. */
export function checkMetadata(
  ctx: Ctx,
  input: { description?: unknown; labels?: unknown; annotations?: unknown },
): Metadata {
  if (typeof input !== 'object' || input === null) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'the metadata must be an object');
  }
  const { description, labels, annotations } = input;
  if (description !== undefined && typeof description !== 'string') {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'description must be a string');
  }
  const outLabels: Record<string, string> = {};
  if (labels !== undefined) {
    if (typeof labels !== 'object' || labels === null || Array.isArray(labels)) {
      throw registryErrors.create('E_INVALID_ARGUMENT', 'labels must be an object of strings');
    }
    const entries = Object.entries(labels as Record<string, unknown>);
    if (entries.length > ctx.limits.maxLabels) {
      throw registryErrors.create(
        'E_METADATA_TOO_LARGE',
        `at most ${ctx.limits.maxLabels} labels, got ${entries.length}`,
        { details: { max: ctx.limits.maxLabels, labels: entries.length } },
      );
    }
    for (const [k, v] of entries) {
      if (!LABEL_KEY.test(k) || typeof v !== 'string' || v.length > 256) {
        throw registryErrors.create(
          'E_INVALID_ARGUMENT',
          `label ${JSON.stringify(k)} must be a key like "tier" with a string value of at most 256 characters`,
          { details: { label: k } },
        );
      }
      outLabels[k] = v;
    }
  }
  if (
    annotations !== undefined &&
    (typeof annotations !== 'object' || annotations === null || Array.isArray(annotations))
  ) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'annotations must be a JSON object');
  }
  if (annotations !== undefined) {
    checkJsonLimits(
      annotations,
      { maxDepth: ctx.limits.maxDepth },
      { package: '@plinth/registry', what: 'annotations' },
    );
  }
  const meta: Metadata = {
    description: (description as string | undefined) ?? null,
    labels: outLabels,
    annotations: (annotations as Record<string, unknown> | undefined) ?? {},
  };
  let size: number;
  try {
    size = Buffer.byteLength(canonicalJson(meta));
  } catch (cause) {
    throw registryErrors.create('E_INVALID_ARGUMENT', 'metadata must be plain JSON', { cause });
  }
  if (size > ctx.limits.maxMetadataBytes) {
    throw registryErrors.create(
      'E_METADATA_TOO_LARGE',
      `metadata is ${size} bytes; the limit is ${ctx.limits.maxMetadataBytes}`,
      { details: { size, max: ctx.limits.maxMetadataBytes } },
    );
  }
  return meta;
}
