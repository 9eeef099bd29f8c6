import { type Clock, type Logger, noopLogger, systemClock } from '@plinth/core';
import { validationErrors } from '../errors.js';
import type { ValidationEvents } from '../events.js';
import { type CompiledExpression, compileExpression } from './expression.js';

export type RuleSeverity = 'error' | 'warning' | 'info';
export type RuleAction = 'reject' | 'warn' | 'route';

/** A declarative business rule over one record. */
export interface BusinessRule<R = Record<string, unknown>> {
  /** Stable id, reported in failures. */
  readonly id: string;
  readonly description?: string;
  /** The rule only applies when this holds (expression or function). */
  readonly when?: string | ((record: R) => boolean);
  /** What must hold (expression or function). */
  readonly condition: string | ((record: R) => boolean);
  /** @default 'error' */
  readonly severity?: RuleSeverity;
  /** What `enforce()` does on failure. @default 'reject' */
  readonly action?: RuleAction;
  /** Where `action: 'route'` sends the record (a dead-letter handler, a queue…). */
  readonly route?: (record: R, failure: RuleFailure) => void | Promise<void>;
  /** Message of the failure. @default `rule <id> failed` */
  readonly message?: string;
}

export interface RuleFailure {
  readonly rule: string;
  readonly severity: RuleSeverity;
  readonly action: RuleAction;
  readonly message: string;
}

export interface RuleEvaluation {
  /** No rule failed. */
  readonly passed: boolean;
  readonly failures: readonly RuleFailure[];
  /** At least one failed rule has action `reject`. */
  readonly rejected: boolean;
}

export interface RuleSetOptions {
  /** @default systemClock — `now()` inside expressions */
  readonly clock?: Clock;
  /** Where `warn` failures are logged. @default noopLogger */
  readonly logger?: Logger;
  /** Receives `rule:failed` events (a Validation instance, or any emitter). */
  readonly events?: {
    emit(name: 'rule:failed', payload: ValidationEvents['rule:failed']): unknown;
  };
}

interface Compiled<R> {
  readonly rule: BusinessRule<R>;
  readonly when: ((r: R) => boolean) | undefined;
  readonly test: (r: R) => boolean;
  readonly severity: RuleSeverity;
  readonly action: RuleAction;
  readonly message: string;
}

const SEVERITIES = ['error', 'warning', 'info'];
const ACTIONS = ['reject', 'warn', 'route'];

/**
 * A set of business rules compiled once. `evaluate()` reports; `enforce()` acts: rejects
 * (throws `E_RULE_REJECTED` after the other actions ran), warns (logger + event) or routes the
 * record to the rule's callback.
 */
export class RuleSet<R = Record<string, unknown>> {
  readonly #rules: Compiled<R>[];
  readonly #clock: Clock;
  readonly #logger: Logger;
  readonly #events: RuleSetOptions['events'];

  constructor(rules: readonly BusinessRule<R>[], options: RuleSetOptions = {}) {
    if (!Array.isArray(rules))
      throw validationErrors.create('E_INVALID_ARGUMENT', 'RuleSet needs an array of rules');
    this.#clock = options.clock ?? systemClock;
    this.#logger = options.logger ?? noopLogger;
    this.#events = options.events;
    const now = () => this.#clock.now();
    const ids = new Set<string>();
    this.#rules = rules.map((rule, i) => {
      if (
        typeof rule !== 'object' ||
        rule === null ||
        typeof rule.id !== 'string' ||
        rule.id === ''
      ) {
        throw validationErrors.create(
          'E_INVALID_ARGUMENT',
          `rules[${i}] needs a non-empty string "id"`,
        );
      }
      if (ids.has(rule.id))
        throw validationErrors.create('E_INVALID_ARGUMENT', `rule id "${rule.id}" is used twice`);
      ids.add(rule.id);
      const severity = rule.severity ?? 'error';
      const action = rule.action ?? 'reject';
      if (!SEVERITIES.includes(severity))
        throw validationErrors.create(
          'E_INVALID_ARGUMENT',
          `rule "${rule.id}": severity must be one of ${SEVERITIES.join(', ')}`,
        );
      if (!ACTIONS.includes(action))
        throw validationErrors.create(
          'E_INVALID_ARGUMENT',
          `rule "${rule.id}": action must be one of ${ACTIONS.join(', ')}`,
        );
      if (action === 'route' && typeof rule.route !== 'function')
        throw validationErrors.create(
          'E_INVALID_ARGUMENT',
          `rule "${rule.id}": action "route" needs a route(record, failure) callback`,
        );
      const fn = (
        x: BusinessRule<R>['condition'] | undefined,
        what: string,
      ): ((r: R) => boolean) | undefined => {
        if (x === undefined) return undefined;
        if (typeof x === 'function') return x;
        if (typeof x !== 'string')
          throw validationErrors.create(
            'E_INVALID_ARGUMENT',
            `rule "${rule.id}": ${what} must be an expression string or a function`,
          );
        const e: CompiledExpression = compileExpression(x);
        return (r) => e.test(r, now);
      };
      return {
        rule,
        when: fn(rule.when, 'when'),
        test: fn(rule.condition, 'condition') as (r: R) => boolean,
        severity,
        action,
        message:
          rule.message ??
          `rule ${rule.id} failed${rule.description ? `: ${rule.description}` : ''}`,
      };
    });
  }

  /** Runs every rule on `record`; a rule that throws counts as failed. */
  evaluate(record: R): RuleEvaluation {
    let failures: RuleFailure[] | undefined;
    let rejected = false;
    for (const c of this.#rules) {
      let ok: boolean;
      try {
        ok = c.when === undefined || c.when(record) ? Boolean(c.test(record)) : true;
      } catch {
        ok = false;
      }
      if (ok) continue;
      (failures ??= []).push({
        rule: c.rule.id,
        severity: c.severity,
        action: c.action,
        message: c.message,
      });
      if (c.action === 'reject') rejected = true;
    }
    return failures === undefined ? PASSED : { passed: false, failures, rejected };
  }

  /**
   * Evaluates and acts: `warn` failures are logged, `route` failures are handed to their
   * callback (awaited), and if any `reject` rule failed, throws `E_RULE_REJECTED` listing them.
   */
  async enforce(record: R): Promise<RuleEvaluation> {
    const result = this.evaluate(record);
    if (result.passed) return result;
    for (const f of result.failures) {
      this.#events?.emit('rule:failed', { rule: f.rule, severity: f.severity, action: f.action });
      if (f.action === 'warn') this.#logger.warn({ rule: f.rule, severity: f.severity }, f.message);
      else if (f.action === 'route') {
        const c = this.#rules.find((x) => x.rule.id === f.rule) as Compiled<R>;
        try {
          await (c.rule.route as NonNullable<BusinessRule<R>['route']>)(record, f);
        } catch (error) {
          throw validationErrors.create(
            'E_RULE_ROUTE_FAILED',
            `route of rule ${f.rule} failed: ${(error as Error)?.message ?? String(error)}`,
            {
              details: { rule: f.rule },
              cause: error,
            },
          );
        }
      }
    }
    if (result.rejected) {
      const rejects = result.failures.filter((f) => f.action === 'reject');
      throw validationErrors.create(
        'E_RULE_REJECTED',
        `record rejected by ${rejects.map((f) => f.rule).join(', ')}: ${rejects[0]?.message ?? ''}`,
        {
          details: { failures: rejects },
        },
      );
    }
    return result;
  }
}

const PASSED: RuleEvaluation = Object.freeze({
  passed: true,
  failures: Object.freeze([]) as readonly RuleFailure[],
  rejected: false,
});
