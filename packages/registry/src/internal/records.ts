import type { Digest } from '@plinth/core';
import type { CollectionDefinitions } from '@plinth/storage';
import type {
  ArtifactInfo,
  AuditEntry,
  ReferenceInput,
  TagInfo,
  VersionInfo,
  VersionState,
} from '../types.js';

/** Collection names, all under the `registry.` prefix on the host's store. */
export const C = {
  artifacts: 'registry.artifacts',
  versions: 'registry.versions',
  contents: 'registry.contents',
  refs: 'registry.refs',
  rules: 'registry.rules',
  tagHistory: 'registry.tag-history',
  audit: 'registry.audit',
  usage: 'registry.usage',
  meta: 'registry.meta',
  contentIds: 'registry.content-ids',
  tombstones: 'registry.tombstones',
} as const;

export interface ArtifactDoc {
  [field: string]: unknown;
  readonly artifact: string;
  readonly group: string;
  readonly name: string;
  readonly kind: string;
  readonly format: string | null;
  readonly description: string | null;
  readonly labels: Record<string, string>;
  readonly owner: string | null;
  readonly createdAt: number;
  readonly createdBy: string | null;
  readonly updatedAt: number;
  readonly deletedAt: number | null;
  readonly revisions: number;
  readonly tags: Record<string, TagInfo>;
  /** Bumped by every write to the artifact or one of its versions. */
  readonly generation: number;
  /** Generation of the last hard delete of a version (caches reload past it). */
  readonly hardDeleteGen: number;
}

export interface VersionDoc {
  [field: string]: unknown;
  readonly artifact: string;
  readonly kind: string;
  readonly version: string;
  /** Version without build metadata. */
  readonly key: string;
  readonly major: number;
  readonly id: number;
  readonly revision: number;
  readonly contentId: number;
  readonly digest: Digest;
  readonly fingerprint: string | null;
  readonly size: number;
  readonly mediaType: string;
  readonly format: string | null;
  readonly state: VersionState;
  readonly references: ReferenceInput[];
  readonly description: string | null;
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, unknown>;
  /** Schema field names, for full-text search. */
  readonly fields: string[];
  readonly createdAt: number;
  readonly createdBy: string | null;
  readonly updatedAt: number;
  readonly deletedAt: number | null;
  /** The artifact generation that last wrote this document. */
  readonly gen: number;
  /** Stored form of the blob. */
  readonly compression: 'gzip' | null;
  /** Schema artifacts: `json` (canonical JSON) or `text` (as given, e.g. `.proto`). */
  readonly encoding: 'json' | 'text' | null;
}

/** One stored content: the blob record, and the content id (registry-wide, by canonical key). */
export interface ContentDoc {
  [field: string]: unknown;
  readonly digest: Digest;
  readonly size: number;
  readonly storedSize: number;
  readonly compression: 'gzip' | null;
  /** `live`, or `collecting` while the garbage collector removes the bytes. */
  readonly state: 'live' | 'collecting';
  /** Content id of non-schema content (keyed by digest); null for schema bytes. */
  readonly contentId: number | null;
  readonly createdAt: number;
  readonly touchedAt: number;
}

/** Content ids, keyed by canonical key (schema fingerprint or digest). */
export interface ContentIdDoc {
  [field: string]: unknown;
  readonly contentKey: string;
  readonly contentId: number;
  readonly digest: Digest;
}

export interface RefDoc {
  [field: string]: unknown;
  /** Version document key of the referring version. */
  readonly from: string;
  /** Version document key of the referenced version. */
  readonly to: string;
  readonly name: string;
}

export interface TagHistoryDoc {
  [field: string]: unknown;
  readonly artifact: string;
  readonly tag: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly pinned: boolean;
  readonly at: number;
  readonly actor: string | null;
}

export interface AuditDoc {
  [field: string]: unknown;
  readonly at: number;
  readonly actor: string | null;
  readonly action: string;
  readonly artifact: string | null;
  readonly version: string | null;
  readonly details: Record<string, unknown>;
}

export interface UsageDoc {
  [field: string]: unknown;
  readonly fetches: number;
  readonly lastFetchedAt: number | null;
}

/** Ids kept as counters: `versionId`, `contentId`. */
export interface CounterDoc {
  [field: string]: unknown;
  readonly next: number;
}

/**
 * Collections and the indexes queries use (each index costs a write per document write, so
 * there are no speculative ones: search runs on an in-memory index).
 */
export const COLLECTIONS: CollectionDefinitions = {
  [C.artifacts]: {},
  [C.versions]: {
    indexes: {
      byId: { fields: ['id'], unique: true },
      byDigest: { fields: ['digest'] },
      byContentId: { fields: ['contentId'] },
      byArtifactGen: { fields: ['artifact', 'gen'] },
    },
  },
  [C.contents]: {},
  [C.contentIds]: {},
  [C.refs]: { indexes: { byTarget: { fields: ['to'] } } },
  [C.rules]: {},
  [C.tagHistory]: {},
  [C.audit]: { indexes: { byArtifact: { fields: ['artifact', 'at'] } } },
  [C.usage]: {},
  [C.meta]: {},
  [C.tombstones]: {},
};

export function toArtifactInfo(d: ArtifactDoc): ArtifactInfo {
  return {
    artifact: d.artifact,
    group: d.group,
    name: d.name,
    kind: d.kind,
    format: d.format,
    description: d.description,
    labels: d.labels,
    owner: d.owner,
    createdAt: d.createdAt,
    createdBy: d.createdBy,
    updatedAt: d.updatedAt,
    deletedAt: d.deletedAt,
    revisions: d.revisions,
    tags: d.tags,
  };
}

export function toVersionInfo(d: VersionDoc): VersionInfo {
  return {
    artifact: d.artifact,
    kind: d.kind,
    version: d.version,
    id: d.id,
    revision: d.revision,
    contentId: d.contentId,
    digest: d.digest,
    fingerprint: d.fingerprint,
    size: d.size,
    mediaType: d.mediaType,
    format: d.format,
    state: d.state,
    references: d.references,
    description: d.description,
    labels: d.labels,
    annotations: d.annotations,
    createdAt: d.createdAt,
    createdBy: d.createdBy,
    updatedAt: d.updatedAt,
    deletedAt: d.deletedAt,
  };
}

export function toAuditEntry(id: string, d: AuditDoc): AuditEntry {
  return {
    id,
    at: d.at,
    actor: d.actor,
    action: d.action,
    artifact: d.artifact,
    version: d.version,
    details: d.details,
  };
}
