import type { Clock, Logger } from '@plinth/core';
import type { Store } from '@plinth/storage';

// ── artifacts and releases ──────────────────────────────────────────────────────────────────

/** One artifact version a release carries: a plain reference unless a resolver pinned it. */
export interface ArtifactRef {
  /** The artifact's name, e.g. `payments/orders` (a registry's `group/name`). */
  readonly name: string;
  /** A concrete version (`3.1.0`) or any opaque reference (a git sha) when there is no resolver. */
  readonly version: string;
  /** Content digest, when the resolver reports one. */
  readonly digest?: string;
}

/** What {@link PromotionEngine.createRelease} accepts for one artifact. */
export type ArtifactInput =
  | string
  | { readonly name: string; readonly version: string; readonly digest?: string }
  | { readonly name: string; readonly ref: string };

/**
 * Resolves `name@range` references to concrete versions. `@plinth/registry`'s
 * `Registry.resolve('group/name@range')` satisfies it structurally.
 */
export interface ArtifactResolver {
  resolve(ref: string): Promise<{ readonly version: string; readonly digest?: string }>;
}

/** A dependency a release declares on what its target stage holds: `orders@^3`. */
export interface ReleaseDependency {
  /** Artifact name the stage must hold. */
  readonly name: string;
  /** Exact, caret, tilde, x-range, comparators (`>=1.2 <2`) and `||` unions on semver strings. */
  readonly range: string;
}

export interface ReleaseInput {
  /** The release track (e.g. the service): a stage holds at most one release per name. */
  readonly name: string;
  readonly artifacts: readonly ArtifactInput[];
  /** `'orders@^3'` or `{ name, range }`. @default [] */
  readonly dependencies?: ReadonlyArray<string | ReleaseDependency>;
  /** Chosen id; @default a UUIDv7 */
  readonly id?: string;
  readonly metadata?: Readonly<Record<string, unknown>>;
  readonly principal?: Principal;
}

export type ReleaseStatus = 'active' | 'rejected';

/** A bundle of artifact versions promoted together, all or nothing. Immutable except status. */
export interface Release {
  readonly id: string;
  readonly name: string;
  readonly artifacts: readonly ArtifactRef[];
  readonly dependencies: readonly ReleaseDependency[];
  readonly metadata: Readonly<Record<string, unknown>>;
  /** `sha256:` digest of the canonical artifact list. */
  readonly digest: string;
  readonly createdAt: number;
  readonly createdBy: string;
  readonly status: ReleaseStatus;
  readonly rejection?: { readonly reason: string; readonly by: string; readonly at: number };
}

// ── principals and authorization ────────────────────────────────────────────────────────────

export interface Principal {
  readonly id: string;
  readonly roles?: readonly string[];
}

export type PromotionAction =
  | 'promotion:request'
  | 'promotion:approve'
  | 'promotion:reject'
  | 'promotion:cancel'
  | 'promotion:rollback'
  | 'release:create'
  | 'release:reject'
  | 'stage:hold'
  | 'stage:pin';

/** What an authorization decision is about. */
export interface PromotionResource {
  readonly pipeline?: string;
  readonly stage?: string;
  readonly promotionId?: string;
  readonly releaseId?: string;
  /** Approval level name, for `promotion:approve`. */
  readonly level?: string;
  /** The role an approval level asks for. */
  readonly role?: string;
}

/** The access hook (`@plinth/access` plugs in here). */
export type Authorize = (
  principal: Principal,
  action: PromotionAction,
  resource: PromotionResource,
) => boolean | Promise<boolean>;

// ── gates ───────────────────────────────────────────────────────────────────────────────────

export type GateStatus = 'passed' | 'failed' | 'inconclusive';

/** What a gate decides. */
export interface GateVerdict {
  readonly status: GateStatus;
  readonly messages?: readonly string[];
  /** JSON-serialisable facts recorded with the result. */
  readonly data?: unknown;
}

/** What every gate and handler receives. */
export interface GateContext {
  readonly promotionId: string;
  readonly pipeline: string;
  readonly stage: string;
  readonly release: Release;
  /** The releases the stage holds now (before this promotion lands). */
  readonly current: readonly Release[];
  readonly phase: 'gating' | 'verification';
  readonly attempt: number;
  /** Aborts when the gate's timeout passes. */
  readonly signal: AbortSignal;
}

/** The host-supplied compatibility check (validation's `checkCompatibility`, adapted). */
export type CompatibilityChecker = (
  candidate: ArtifactRef,
  current: ArtifactRef | undefined,
) => Promise<{ readonly compatible: boolean; readonly messages?: readonly string[] }>;

/** A metric query for analysis and canary gates. */
export interface MetricQuery {
  readonly metric: string;
  readonly query: unknown;
  /** `current` for analysis gates; `canary` / `baseline` for canary gates. */
  readonly sample: 'current' | 'canary' | 'baseline';
  readonly context: GateContext;
}

/** The host's metric source: a value, a list of samples, or undefined (no data). */
export type MetricSource = (
  query: MetricQuery,
) => Promise<number | readonly number[] | undefined> | number | readonly number[] | undefined;

interface GateCommon {
  /** Shown in records and events. @default the kind */
  readonly name?: string;
  /** Per attempt. @default 30000 */
  readonly timeoutMs?: number;
  /** Extra attempts after an error or timeout (not after a clean failure). @default 0 */
  readonly retries?: number;
  /** @default 1000 */
  readonly retryDelayMs?: number;
}

export interface CompatibilityGate extends GateCommon {
  readonly kind: 'compatibility';
  /** @default the engine's `compatibility` option */
  readonly check?: CompatibilityChecker;
}

export interface HealthGate extends GateCommon {
  readonly kind: 'health';
  readonly check: (
    context: GateContext,
  ) => Promise<boolean | { readonly healthy: boolean; readonly message?: string }>;
}

/** One metric of an analysis gate (Argo Rollouts' AnalysisTemplate metric). */
export interface AnalysisMetric {
  readonly name: string;
  readonly query?: unknown;
  /** A measurement succeeds when this holds. */
  readonly successCondition?: (value: number) => boolean;
  /** A measurement fails when this holds (checked first). */
  readonly failureCondition?: (value: number) => boolean;
  /** Measurements to take. @default 1 */
  readonly count?: number;
  /** Between measurements. @default 0 */
  readonly intervalMs?: number;
  /** Failed measurements tolerated. @default 0 */
  readonly failureLimit?: number;
  /** Inconclusive measurements tolerated. @default 0 */
  readonly inconclusiveLimit?: number;
  /** Measure and record, but never fail or stall the gate (trying out a new metric). @default false */
  readonly dryRun?: boolean;
}

export interface AnalysisGate extends GateCommon {
  readonly kind: 'analysis';
  readonly source: MetricSource;
  readonly metrics: readonly AnalysisMetric[];
  /** What an inconclusive analysis means for the promotion. @default 'fail' */
  readonly onInconclusive?: 'fail' | 'pass';
}

/** One metric of a canary judgement (Kayenta-style). */
export interface CanaryMetric {
  readonly name: string;
  readonly query?: unknown;
  /** Which change is bad. @default 'increase' */
  readonly direction?: 'increase' | 'decrease' | 'either';
  /** A bad critical metric fails the whole judgement. @default false */
  readonly critical?: boolean;
  /** @default 1 */
  readonly weight?: number;
  /** Significance level of the Mann-Whitney U test. @default 0.05 */
  readonly alpha?: number;
  /** Tolerated relative change of the mean (0.1 = 10 %) even when significant. @default 0 */
  readonly allowedChange?: number;
  /** Judge and record, but leave out of the score and of critical failures. @default false */
  readonly dryRun?: boolean;
}

export interface CanaryGate extends GateCommon {
  readonly kind: 'canary';
  /** Called with `sample: 'canary'` and `sample: 'baseline'`; returns sample arrays. */
  readonly source: MetricSource;
  readonly metrics: readonly CanaryMetric[];
  /** Score thresholds (0–100). @default { pass: 95, marginal: 75 } */
  readonly thresholds?: { readonly pass: number; readonly marginal: number };
  /** @default 'fail' */
  readonly onInconclusive?: 'fail' | 'pass';
}

export interface CustomGate extends GateCommon {
  readonly kind: 'custom';
  readonly name: string;
  readonly run: (context: GateContext) => Promise<boolean | GateVerdict>;
}

export type GateDefinition =
  CompatibilityGate | HealthGate | AnalysisGate | CanaryGate | CustomGate;

/** A gate result as recorded on the promotion. */
export interface GateRecord {
  readonly name: string;
  readonly kind: GateDefinition['kind'] | 'dependencies' | 'soak' | 'freeze';
  readonly status: GateStatus;
  readonly messages: readonly string[];
  readonly attempts: number;
  readonly startedAt: number;
  readonly finishedAt: number;
  readonly data?: unknown;
}

// ── handlers ────────────────────────────────────────────────────────────────────────────────

export interface HandlerContext {
  readonly promotionId: string;
  readonly pipeline: string;
  readonly stage: string;
  /** The release being deployed (the rollback target for rollback handlers). */
  readonly release: Release;
  /** What the stage's slot for this release name held before. */
  readonly previous: Release | undefined;
  readonly kind: PromotionKind;
  readonly attempt: number;
  readonly signal: AbortSignal;
}

/** Deploys a release into a stage; what it returns is recorded as the promotion's outputs. */
export type PromotionHandler = (
  context: HandlerContext,
) => Promise<Readonly<Record<string, unknown>> | void>;

export interface HandlerPolicy {
  /** Per attempt. @default 60000 */
  readonly timeoutMs?: number;
  /** Extra attempts after a throw or timeout. @default 2 */
  readonly retries?: number;
  /** @default 1000 */
  readonly retryDelayMs?: number;
}

// ── pipelines ───────────────────────────────────────────────────────────────────────────────

export interface ApprovalLevel {
  readonly name: string;
  /** N of the N-of-M. @default 1 */
  readonly required?: number;
  /** The M eligible principal ids; @default anyone `authorize` allows */
  readonly approvers?: readonly string[];
  /** Principals who must be among the approvers of this level. @default [] */
  readonly requiredApprovers?: readonly string[];
  /** Passed to `authorize` as `resource.role`. */
  readonly role?: string;
}

export interface ApprovalPolicy {
  /** Satisfied in order (e.g. a team lead, then a release manager). */
  readonly levels: readonly ApprovalLevel[];
  /** A promotion awaiting approval longer than this is cancelled. @default no expiry */
  readonly expiresInMs?: number;
}

/** An absolute window or a daily UTC window (optionally on some weekdays, 0 = Sunday). */
export type FreezeWindow =
  | { readonly start: number; readonly end: number; readonly reason?: string }
  | {
      readonly daily: { readonly from: string; readonly to: string };
      readonly days?: readonly number[];
      readonly reason?: string;
    };

export interface VerificationPolicy {
  /** Wait after the deploy before verifying. @default 0 */
  readonly delayMs?: number;
  readonly gates: readonly GateDefinition[];
  /** Roll back automatically when verification fails. @default true */
  readonly rollbackOnFailure?: boolean;
}

export interface StageDefinition {
  readonly name: string;
  /** Direct upstream stages; a stage without any accepts releases directly. @default [] */
  readonly upstream?: readonly string[];
  /** A release is eligible once verified in ANY (default) or ALL upstream stages. */
  readonly availability?: 'any' | 'all';
  /** Time a release must have continuously occupied an upstream stage. @default 0 */
  readonly soakMs?: number;
  readonly approvals?: ApprovalPolicy;
  /** Run before deploying. */
  readonly gates?: readonly GateDefinition[];
  /** Run after deploying. */
  readonly verification?: VerificationPolicy;
  /** Promotions wait (in gating) while a freeze is on; rollbacks ignore freezes. */
  readonly freezeWindows?: readonly FreezeWindow[];
  /** Request a promotion as soon as a release becomes eligible. @default false */
  readonly autoPromote?: boolean;
  /** A new request supersedes the queued (not yet started) ones. @default false */
  readonly supersede?: boolean;
  /** @default the engine's `promote` handler */
  readonly promote?: PromotionHandler;
  /** @default the engine's `rollback` handler */
  readonly rollback?: PromotionHandler;
  readonly handlerPolicy?: HandlerPolicy;
}

export interface PipelineDefinition {
  readonly name: string;
  readonly stages: readonly StageDefinition[];
}

// ── promotions ──────────────────────────────────────────────────────────────────────────────

export type PromotionState =
  | 'requested'
  | 'awaiting_approval'
  | 'gating'
  | 'promoting'
  | 'verifying'
  | 'succeeded'
  | 'failed'
  | 'rolled_back'
  | 'rejected'
  | 'superseded'
  | 'cancelled';

/** `verification` re-runs a stage's verification on what it holds (see `reverify`). */
export type PromotionKind = 'promotion' | 'rollback' | 'verification';

export interface ApprovalRecord {
  readonly level: string;
  readonly principal: string;
  readonly at: number;
  readonly comment?: string;
}

/** A promotion as persisted: the durable state machine's record. */
export interface Promotion {
  readonly id: string;
  readonly pipeline: string;
  readonly stage: string;
  readonly releaseId: string;
  readonly releaseName: string;
  readonly kind: PromotionKind;
  readonly state: PromotionState;
  readonly requestedBy: string;
  readonly requestedAt: number;
  readonly updatedAt: number;
  readonly finishedAt?: number;
  readonly auto: boolean;
  readonly fastPath: boolean;
  readonly idempotencyKey?: string;
  readonly groupId?: string;
  readonly reason?: string;
  readonly approvals: readonly ApprovalRecord[];
  readonly approvalExpiresAt?: number;
  readonly rejection?: { readonly principal: string; readonly reason: string; readonly at: number };
  readonly gates: readonly GateRecord[];
  readonly verification: readonly GateRecord[];
  /** What the release-name slot held before (the rollback target of a failed verification). */
  readonly previousReleaseId?: string;
  readonly handler?: {
    readonly attempts: number;
    readonly outputs?: Readonly<Record<string, unknown>>;
    readonly error?: string;
  };
  readonly rollback?: {
    readonly targetReleaseId?: string;
    readonly status: 'pending' | 'done' | 'failed';
    readonly attempts: number;
    readonly error?: string;
    readonly decidedAt: number;
    readonly outputs?: Readonly<Record<string, unknown>>;
  };
  /** When a parked promotion (soak, freeze, verification delay, expiry) wakes up. */
  readonly wakeAt?: number;
  readonly transitions: ReadonlyArray<{ readonly state: PromotionState; readonly at: number }>;
}

export interface RequestInput {
  readonly pipeline: string;
  readonly stage: string;
  readonly releaseId: string;
  readonly principal?: Principal;
  /** A retried request with the same key returns the first request's promotion. */
  readonly idempotencyKey?: string;
  /** The stage it comes from; must be a direct upstream of `stage`. */
  readonly from?: string;
  /** Supersede the stage's queued promotions. @default the stage's `supersede` */
  readonly supersede?: boolean;
}

export interface RollbackInput {
  readonly pipeline: string;
  readonly stage: string;
  /** The release track to roll back. @default the only one the stage holds */
  readonly releaseName?: string;
  /** A release the stage held before. @default the previous one from history */
  readonly to?: string;
  /** Skip approvals and gates (and the freeze). @default true */
  readonly fastPath?: boolean;
  readonly principal?: Principal;
  readonly reason?: string;
  readonly idempotencyKey?: string;
}

/** What occupies a stage for one release name. */
export interface StageOccupant {
  readonly releaseId: string;
  readonly promotionId: string;
  /** How it got there. */
  readonly via: 'promotion' | 'rollback';
  readonly since: number;
  readonly verified: boolean;
}

export interface StageView {
  readonly pipeline: string;
  readonly stage: string;
  readonly releases: ReadonlyArray<StageOccupant & { readonly release: Release }>;
  readonly active?: string;
  readonly queued: readonly string[];
  readonly hold?: { readonly reason: string; readonly by: string; readonly at: number };
  readonly pin?: { readonly reason: string; readonly by: string; readonly at: number };
}

export interface HistoryEntry {
  readonly id: string;
  readonly pipeline: string;
  readonly stage: string;
  readonly at: number;
  readonly type: string;
  readonly actor: string;
  readonly promotionId?: string;
  readonly releaseId?: string;
  readonly details?: Readonly<Record<string, unknown>>;
}

export interface StageDiffEntry {
  readonly artifact: string;
  readonly status: 'same' | 'differs' | 'only-left' | 'only-right';
  readonly left?: string;
  readonly right?: string;
}

// ── engine options ──────────────────────────────────────────────────────────────────────────

/** A minimal slice of `@opentelemetry/api`'s Meter (so its types are not a hard dependency). */
export interface MeterLike {
  createCounter(
    name: string,
    options?: { description?: string; unit?: string },
  ): { add(value: number, attributes?: Record<string, string | number | boolean>): void };
  createHistogram(
    name: string,
    options?: { description?: string; unit?: string },
  ): { record(value: number, attributes?: Record<string, string | number | boolean>): void };
}

/** Options of {@link PromotionEngine}. */
export interface PromotionOptions {
  /** The host's store (memory, SQLite, PostgreSQL). Required. */
  readonly store: Store;
  /** Pipelines (functions in them are code, so every instance defines the same ones). */
  readonly pipelines?: readonly PipelineDefinition[];
  /** Time source for soak, expiry, timeouts and leases. @default systemClock */
  readonly clock?: Clock;
  /** @default noopLogger */
  readonly logger?: Logger;
  /** Resolves `name@range` artifact references. @default none: releases hold plain references */
  readonly resolver?: ArtifactResolver;
  /** Used by compatibility gates without their own `check`. */
  readonly compatibility?: CompatibilityChecker;
  /** Authorization hook for requests, approvals, rollbacks. @default allow everything */
  readonly authorize?: Authorize;
  /** Default deploy step. @default a no-op */
  readonly promote?: PromotionHandler;
  /** Default rollback step. @default the promote handler */
  readonly rollback?: PromotionHandler;
  /** @default { timeoutMs: 60000, retries: 2, retryDelayMs: 1000 } */
  readonly handlerPolicy?: HandlerPolicy;
  /** Identifies this host instance in leases; reuse it across restarts to resume at once. @default a UUIDv7 */
  readonly instanceId?: string;
  /** How long a driving instance owns a promotion without renewing. @default 30000 */
  readonly leaseMs?: number;
  /** Period of the scan that picks up other instances' stalled or parked work; 0 = off. @default 10000 */
  readonly resumeIntervalMs?: number;
  /** OTel meter. @default `metrics.getMeter('@plinth/promotion')` when @opentelemetry/api is installed */
  readonly meter?: MeterLike;
}
