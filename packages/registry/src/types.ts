import type { CompatibilityLevel, SemverBump } from '@plinth/validation';
import type { Clock, Digest, Logger } from '@plinth/core';
import type { Store } from '@plinth/storage';
import type { BlobStore } from './blob/blob-store.js';
import type { SchemaEngine } from './schema-engine.js';

/** What an artifact holds. Host-defined kinds are any other lowercase word. */
export type ArtifactKind = 'schema' | 'model' | 'config' | 'binary' | (string & {});

/** Lifecycle of a version: draft → active → deprecated → disabled. */
export type VersionState = 'draft' | 'active' | 'deprecated' | 'disabled';

/** The seven compatibility levels and the bump names are validation's own. */
export type { CompatibilityLevel, SemverBump } from '@plinth/validation';

/** The rules checked at publish. Unset fields inherit from the next wider scope. */
export interface Rules {
  /** Schema artifacts must compile (`full`) or not be checked (`none`). @default 'full' */
  readonly validity?: 'full' | 'none';
  /** @default 'BACKWARD' */
  readonly compatibility?: CompatibilityLevel;
  /**
   * Which earlier versions a new one is checked against: every earlier one (`all`), or only those
   * with the same major (`major`: a new major starts a new compatibility group). @default 'all'
   */
  readonly compatibilityGroup?: 'all' | 'major';
  /** Rule ids (or `RULE@/path`) the compatibility check ignores. @default [] */
  readonly ignore?: readonly string[];
  /** References must exist and not be deleted (`full`) or are not checked (`none`). @default 'full' */
  readonly integrity?: 'full' | 'none';
}

/** Where a rule set applies; the most specific scope that sets a field wins. */
export type RuleScope =
  | { readonly scope: 'global' }
  | { readonly scope: 'group'; readonly group: string }
  | { readonly scope: 'artifact'; readonly artifact: string };

export type ResolvedRules = { readonly [K in keyof Rules]-?: NonNullable<Rules[K]> } & {
  /** Which scope set each field. */
  readonly sources: { readonly [K in keyof Rules]-?: 'default' | 'global' | 'group' | 'artifact' };
};

/** Who did it, for the audit trail. */
export interface ActorOption {
  /** The caller's principal (user, service, CI job). @default null */
  readonly actor?: string | null;
}

export interface CreateArtifactInput extends ActorOption {
  /** `group/name`. */
  readonly artifact: string;
  /** @default 'binary' */
  readonly kind?: ArtifactKind;
  readonly description?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly owner?: string;
  /** Schema artifacts: `json-schema`, `avro`, `protobuf`, `zod` or a plug-in's format. */
  readonly format?: string;
}

export interface ArtifactInfo {
  /** `group/name`. */
  readonly artifact: string;
  readonly group: string;
  readonly name: string;
  readonly kind: ArtifactKind;
  readonly format: string | null;
  readonly description: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly owner: string | null;
  readonly createdAt: number;
  readonly createdBy: string | null;
  readonly updatedAt: number;
  readonly deletedAt: number | null;
  /** Revisions allocated so far (the last version's `revision`). */
  readonly revisions: number;
  readonly tags: Readonly<Record<string, TagInfo>>;
}

export interface TagInfo {
  readonly version: string;
  /** A pinned `latest` no longer follows publishes. */
  readonly pinned: boolean;
  readonly updatedAt: number;
  readonly updatedBy: string | null;
}

/** A reference from one version to another artifact version. */
export interface ReferenceInput {
  /** How the referring content names it (`$ref`, Avro full name, `.proto` import path). */
  readonly name: string;
  /** `group/name`. */
  readonly artifact: string;
  /** An exact version. */
  readonly version: string;
}

/** Content: bytes, text, a JSON value (schemas), or a stream of chunks (large blobs). */
export type ContentInput = Uint8Array | string | AsyncIterable<Uint8Array>;

export interface PublishInput extends ActorOption {
  /** `group/name`; created on first publish when `kind` is given. */
  readonly artifact: string;
  /** Explicit semver; or leave it out and give `bump` (or let a schema diff decide). */
  readonly version?: string;
  /** For non-schema artifacts without `version`. Schema artifacts compute it from the diff. */
  readonly bump?: 'major' | 'minor' | 'patch';
  /** Prerelease id for automatic versions (`rc` → `1.3.0-rc.0`). */
  readonly preid?: string;
  /** Kind when the artifact does not exist yet. */
  readonly kind?: ArtifactKind;
  /** Schema artifacts: the schema (a JSON value, or the `.proto` text). */
  readonly schema?: unknown;
  /** Schema artifacts: its format (else the artifact's). */
  readonly format?: string;
  /** Non-schema artifacts: the bytes. */
  readonly content?: ContentInput;
  /** The expected `sha256:` digest of `content` (verified; lets streams go straight to S3). */
  readonly digest?: Digest;
  /** @default 'application/json' for schemas, 'application/octet-stream' otherwise */
  readonly mediaType?: string;
  readonly references?: readonly ReferenceInput[];
  readonly description?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Free-form JSON metadata (model metrics, build info). */
  readonly annotations?: Readonly<Record<string, unknown>>;
  /** @default 'active' */
  readonly state?: 'draft' | 'active';
  /** Tags to point at the new version in the same transaction. */
  readonly tags?: readonly string[];
  /** Compress the blob (gzip) when it is stored. @default the registry's `compression` */
  readonly compress?: boolean;
}

export interface VersionInfo {
  /** `group/name`. */
  readonly artifact: string;
  readonly kind: ArtifactKind;
  readonly version: string;
  /** Registry-wide numeric id, never reused. */
  readonly id: number;
  /** Position in the artifact's publish order: 1, 2, 3…, never reused. */
  readonly revision: number;
  /** Registry-wide id of the canonical content: identical content shares it across artifacts. */
  readonly contentId: number;
  /** `sha256:` of the stored bytes. */
  readonly digest: Digest;
  /** Schema artifacts: fingerprint of the canonical form (what `contentId` is keyed on). */
  readonly fingerprint: string | null;
  readonly size: number;
  readonly mediaType: string;
  readonly format: string | null;
  readonly state: VersionState;
  readonly references: readonly ReferenceInput[];
  readonly description: string | null;
  readonly labels: Readonly<Record<string, string>>;
  readonly annotations: Readonly<Record<string, unknown>>;
  readonly createdAt: number;
  readonly createdBy: string | null;
  readonly updatedAt: number;
  /** Soft-deleted at, or null. */
  readonly deletedAt: number | null;
}

export interface PublishResult {
  readonly version: VersionInfo;
  /** False when identical content was already published (idempotent publish). */
  readonly created: boolean;
  /** Schema artifacts: the diff against the previous latest, and the bump it implied. */
  readonly changes: readonly { rule: string; path: string; severity: string; message: string }[];
  readonly bump: SemverBump | null;
}

export interface ResolveOptions {
  /** @default false */
  readonly includeDeprecated?: boolean;
  /** @default false */
  readonly includeDisabled?: boolean;
  /** @default false */
  readonly includeDrafts?: boolean;
  /** node-semver's `includePrerelease`. @default false */
  readonly includePrerelease?: boolean;
}

export interface FetchResult {
  readonly version: VersionInfo;
  readonly content: Uint8Array;
}

export interface DeleteVersionOptions extends ActorOption {
  /** Remove the record for good (refused while referenced, or tagged unless `force`). */
  readonly permanent?: boolean;
  /** Hard-delete even when tagged (tags pointing at it are removed). Never overrides references. */
  readonly force?: boolean;
}

export type SearchSort = 'relevance' | 'name' | 'createdAt' | 'updatedAt';

export interface SearchQuery {
  /** Full text over names, descriptions, labels and schema field names (BM25 ranking). */
  readonly text?: string;
  readonly kind?: ArtifactKind | readonly ArtifactKind[];
  readonly group?: string;
  /** Every label must match (`{ tier: 'gold' }`); a value `'*'` only needs the key. */
  readonly labels?: Readonly<Record<string, string>>;
  /** Artifacts with at least one version in this state. */
  readonly state?: VersionState;
  readonly owner?: string;
  /** `createdAt` range, epoch ms, inclusive bounds. */
  readonly createdAfter?: number;
  readonly createdBefore?: number;
  /** Artifacts with a version whose digest (or schema fingerprint) is this. */
  readonly digest?: string;
  /** @default false */
  readonly includeDeleted?: boolean;
  /** @default 'relevance' with text, otherwise 'name' */
  readonly sort?: SearchSort;
  /** @default 'asc' for name, 'desc' otherwise */
  readonly order?: 'asc' | 'desc';
  /** @default 20; at most 1000 */
  readonly limit?: number;
  readonly cursor?: string;
}

export interface SearchHit {
  readonly artifact: ArtifactInfo;
  /** BM25 score (0 without text). */
  readonly score: number;
  /** Versions that matched a digest query. */
  readonly versions: readonly string[];
}

export interface SearchPage {
  readonly hits: SearchHit[];
  readonly total: number;
  readonly cursor: string | undefined;
}

export interface RetentionPolicy {
  /** Keep the newest N versions of each major (by semver). */
  readonly keepLastPerMajor?: number;
  /** Versions older than this (ms) are candidates. */
  readonly maxAgeMs?: number;
  /** Only these artifacts (`group/name` or `group/*`). @default every artifact */
  readonly artifacts?: readonly string[];
  /** Tagged versions are always kept. @default true (cannot be turned off) */
  /** What to do with the candidates. @default 'soft-delete' */
  readonly action?: 'soft-delete' | 'hard-delete' | 'disable';
}

export interface RetentionReport {
  readonly dryRun: boolean;
  readonly examined: number;
  readonly removed: ReadonlyArray<{ artifact: string; version: string; reason: string }>;
  readonly kept: ReadonlyArray<{ artifact: string; version: string; reason: string }>;
}

export interface GcReport {
  readonly dryRun: boolean;
  readonly examined: number;
  readonly deleted: readonly string[];
  readonly bytesFreed: number;
  readonly skipped: ReadonlyArray<{ digest: string; reason: string }>;
}

export interface UsageInfo {
  readonly fetches: number;
  readonly lastFetchedAt: number | null;
}

export interface AuditEntry {
  readonly id: string;
  readonly at: number;
  readonly actor: string | null;
  readonly action: string;
  readonly artifact: string | null;
  readonly version: string | null;
  readonly details: Readonly<Record<string, unknown>>;
}

export interface TagHistoryEntry {
  readonly tag: string;
  readonly from: string | null;
  readonly to: string | null;
  readonly at: number;
  readonly actor: string | null;
  readonly pinned: boolean;
}

export interface RegistryLimits {
  /** Canonical JSON size of description + labels + annotations. @default 65536 */
  readonly maxMetadataBytes?: number;
  /** @default 64 */
  readonly maxLabels?: number;
  /** Largest content accepted (streams are cut off). @default 17_179_869_184 (16 GiB) */
  readonly maxContentBytes?: number;
  /** @default 1000 */
  readonly maxReferences?: number;
  /**
   * Deepest nesting of a JSON schema, metadata annotations or rules given to the registry
   * (checked before any recursive work). @default 64
   */
  readonly maxDepth?: number;
  /** Largest schema text the Confluent API parses, in characters. @default 1_048_576 */
  readonly maxDocumentSize?: number;
}

export interface RegistryOptions {
  /** The host's store (opened). The registry declares its collections on it. */
  readonly store: Store;
  /** Where content bytes go. @default storageBlobStore on the same store (small blobs) */
  readonly blobs?: BlobStore;
  /** Schema engine for schema artifacts. @default new Validation() from @plinth/validation */
  readonly validation?: SchemaEngine;
  /** Time source. @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
  /** Rules when no scope sets a field. */
  readonly defaultRules?: Rules;
  /** Compress blobs with gzip by default. @default false */
  readonly compression?: boolean;
  /** Refuse every write from this instance. @default false */
  readonly readOnly?: boolean;
  /** Ids reserved per storage round trip (unique across instances; gaps when unused). @default 64 */
  readonly idBlockSize?: number;
  /** Bytes of immutable content kept in memory for `fetch`. 0 disables. @default 67108864 */
  readonly contentCacheBytes?: number;
  /** How often usage counters are written. 0 turns usage tracking off. @default 5000 */
  readonly usageFlushMs?: number;
  /** Follow the store's change feed to invalidate in-memory indexes (other instances). @default true */
  readonly watchChanges?: boolean;
  /** Version of the first automatic publish. @default '1.0.0' */
  readonly initialVersion?: string;
  readonly limits?: RegistryLimits;
}
