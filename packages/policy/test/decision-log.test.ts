import { ManualClock, MemoryLogger, TypedEmitter, isPlinthError } from '@plinth/core';
import { describe, expect, it } from 'vitest';
import { Authorizer } from '../src/authorizer.js';
import { DecisionLog, type DecisionLogOptions, type DecisionRecord } from '../src/decision-log.js';
import { EntityStore } from '../src/entities.js';
import type { PolicyEvents } from '../src/events.js';
import { PolicySet } from '../src/policy-set.js';
import type { AuthorizationRequest } from '../src/types.js';

const POLICIES = PolicySet.parse(`
@id("owner") permit(principal, action == Action::"read", resource) when { resource.owner == principal };
@id("limit") permit(principal, action == Action::"pay", resource) when { context.amount + 1 < 100 };
`);

const SECRET_SSN = '078-05-1120';
const SECRET_EMAIL = 'alice@example.com';

const entities = EntityStore.fromJson([
  {
    uid: { type: 'User', id: 'alice' },
    attrs: { email: SECRET_EMAIL, name: 'Alice', profile: { phone: '555-0100', city: 'Oslo' } },
  },
  { uid: { type: 'Doc', id: 'd1' }, attrs: { owner: { __entity: { type: 'User', id: 'alice' } } } },
  { uid: { type: 'Doc', id: 'd2' }, attrs: { owner: { __entity: { type: 'User', id: 'bob' } } } },
]);

const read: AuthorizationRequest = {
  principal: { type: 'User', id: 'alice' },
  action: { type: 'Action', id: 'read' },
  resource: { type: 'Doc', id: 'd1' },
  context: { ssn: SECRET_SSN, card: { number: '4111111111111111', brand: 'visa' }, ip: '10.0.0.1' },
};
const denied: AuthorizationRequest = { ...read, resource: { type: 'Doc', id: 'd2' } };

function setup(options: Omit<DecisionLogOptions, 'sink'> = {}) {
  const emitter = new TypedEmitter<PolicyEvents>();
  const authorizer = new Authorizer({
    policies: POLICIES,
    entities,
    emitter,
    clock: new ManualClock(5000),
  });
  const records: DecisionRecord[] = [];
  const log = new DecisionLog({ sink: (r) => records.push(r), ...options });
  const detach = log.attach(emitter);
  return { authorizer, records, log, detach, emitter };
}

describe('DecisionLog', () => {
  it('writes one record per decision with the request, the decision and its explanation', () => {
    const { authorizer, records } = setup();
    authorizer.isAuthorized(read);
    authorizer.isAuthorized(denied);
    expect(records).toHaveLength(2);
    expect(records[0]).toMatchObject({
      at: 5000,
      policySet: POLICIES.digest,
      principal: 'User::"alice"',
      action: 'Action::"read"',
      resource: 'Doc::"d1"',
      decision: 'allow',
      determining: ['owner'],
      errors: [],
      context: read.context,
    });
    expect(records[1]?.decision).toBe('deny');
    expect(records[1]?.nearMisses?.[0]).toMatchObject({ policyId: 'owner', failed: 'condition' });
  });

  it('masks context and entity attributes by path; masked values never reach the sink', () => {
    const seen: string[] = [];
    const { authorizer, records } = setup({
      includeEntities: true,
      mask: ['context.ssn', 'context.card.number', 'principal.email', 'principal.profile.phone'],
    });
    const sinkText = (): string => JSON.stringify(records);
    authorizer.isAuthorized(read);
    seen.push(sinkText());
    const r = records[0]!;
    expect(r.context).toEqual({
      ssn: '***',
      card: { number: '***', brand: 'visa' },
      ip: '10.0.0.1',
    });
    expect(r.entities?.principal).toEqual({
      email: '***',
      name: 'Alice',
      profile: { phone: '***', city: 'Oslo' },
    });
    expect(r.entities?.resource).toEqual({ owner: { __entity: { type: 'User', id: 'alice' } } });
    for (const secret of [SECRET_SSN, SECRET_EMAIL, '4111111111111111', '555-0100']) {
      expect(seen[0]).not.toContain(secret);
    }
    // The caller's request is untouched, and the record shares no object with it.
    expect((read.context as { ssn?: unknown } | undefined)?.ssn).toBe(SECRET_SSN);
    expect(r.context).not.toBe(read.context);
  });

  it('wildcard segments mask under any attribute, and under every root with *', () => {
    const { authorizer, records } = setup({
      includeEntities: true,
      mask: ['context.*.number', '*.email', '*.ssn'],
      maskWith: '[redacted]',
    });
    authorizer.isAuthorized(read);
    const r = records[0]!;
    expect(r.context).toMatchObject({
      ssn: '[redacted]',
      card: { number: '[redacted]', brand: 'visa' },
    });
    expect(r.entities?.principal).toMatchObject({ email: '[redacted]', name: 'Alice' });
  });

  it('masks inside sets (a path applies to each element)', () => {
    const { authorizer, records } = setup({ mask: ['context.cards.number'] });
    authorizer.isAuthorized({
      ...read,
      context: {
        cards: [
          { number: '1111', brand: 'a' },
          { number: '2222', brand: 'b' },
        ],
      },
    });
    expect(records[0]?.context).toEqual({
      cards: [
        { number: '***', brand: 'a' },
        { number: '***', brand: 'b' },
      ],
    });
  });

  it('redacts masked values quoted in error messages', () => {
    const big = 9223372036854775807n;
    const { authorizer, records } = setup({ mask: ['context.amount'] });
    const r = authorizer.isAuthorized({
      ...read,
      action: { type: 'Action', id: 'pay' },
      context: { amount: big },
    });
    expect(r.errors[0]?.message).toContain(String(big));
    expect(records[0]?.errors[0]?.policyId).toBe('limit');
    expect(records[0]?.errors[0]?.message).not.toContain(String(big));
    expect(records[0]?.context).toEqual({ amount: '***' });
  });

  it('denialsOnly writes denials only', () => {
    const { authorizer, records, log } = setup({ denialsOnly: true });
    authorizer.isAuthorized(read);
    authorizer.isAuthorized(denied);
    authorizer.isAuthorized(read);
    expect(records.map((r) => r.decision)).toEqual(['deny']);
    expect(log.stats).toMatchObject({ seen: 3, written: 1, filtered: 2, sampledOut: 0 });
  });

  it('samples at sampleRate with the injected random source', () => {
    let i = 0;
    const { authorizer, records, log } = setup({
      sampleRate: 0.25,
      random: () => [0.1, 0.3, 0.6, 0.9][i++ % 4]!,
    });
    for (let k = 0; k < 8; k++) authorizer.isAuthorized(read);
    expect(records).toHaveLength(2);
    expect(log.stats).toMatchObject({ seen: 8, written: 2, sampledOut: 6 });
    const none = setup({ sampleRate: 0 });
    none.authorizer.isAuthorized(denied);
    expect(none.records).toHaveLength(0);
  });

  it('includeContext: false leaves the context out', () => {
    const { authorizer, records } = setup({ includeContext: false });
    authorizer.isAuthorized(read);
    expect(records[0]).not.toHaveProperty('context');
  });

  it('writes to a core Logger at the chosen level', () => {
    const emitter = new TypedEmitter<PolicyEvents>();
    const authorizer = new Authorizer({ policies: POLICIES, entities, emitter });
    const logger = new MemoryLogger();
    new DecisionLog({ sink: logger, level: 'warn', mask: ['context.ssn'] }).attach(emitter);
    authorizer.isAuthorized(read);
    const lines = logger.at('warn');
    expect(lines).toHaveLength(1);
    expect(lines[0]?.message).toBe('policy decision');
    expect(lines[0]?.fields).toMatchObject({ decision: 'allow', principal: 'User::"alice"' });
    expect(JSON.stringify(lines[0]?.fields)).not.toContain(SECRET_SSN);
  });

  it('a throwing sink never affects the decision; it is counted and reported', () => {
    const emitter = new TypedEmitter<PolicyEvents>();
    const authorizer = new Authorizer({ policies: POLICIES, entities, emitter });
    const logger = new MemoryLogger();
    const log = new DecisionLog({
      sink: () => {
        throw new Error('disk full');
      },
      logger,
    });
    log.attach(emitter);
    expect(authorizer.isAuthorized(read).decision).toBe('allow');
    expect(log.stats.sinkFailures).toBe(1);
    expect(logger.at('warn')).toHaveLength(1);
  });

  it('detach stops listening, and the authorizer stops emitting without listeners', () => {
    const { authorizer, records, detach, emitter, log } = setup();
    detach();
    authorizer.isAuthorized(read);
    expect(records).toHaveLength(0);
    expect(emitter.listenerCount('policy:decided')).toBe(0);
    log.attach(emitter);
    log.attach(emitter);
    log.detach();
    expect(emitter.listenerCount('policy:decided')).toBe(0);
  });

  it('the policy:decided payload carries the entity store the decision read', () => {
    const emitter = new TypedEmitter<PolicyEvents>();
    const authorizer = new Authorizer({ policies: POLICIES, entities, emitter });
    const stores: EntityStore[] = [];
    emitter.on('policy:decided', (p) => stores.push(p.entities));
    const other = new EntityStore();
    authorizer.isAuthorized(read);
    authorizer.isAuthorized(read, other);
    expect(stores[0]).toBe(entities);
    expect(stores[1]).toBe(other);
  });

  it('rejects bad options with E_INVALID_OPTION', () => {
    const bad: unknown[] = [
      {},
      { sink: 42 },
      { sink: () => {}, sampleRate: -1 },
      { sink: () => {}, mask: ['ssn'] },
      { sink: () => {}, mask: ['context.'] },
      { sink: () => {}, denialOnly: true },
    ];
    for (const o of bad) {
      let caught: unknown;
      try {
        new DecisionLog(o as DecisionLogOptions);
      } catch (e) {
        caught = e;
      }
      expect(isPlinthError(caught, 'E_INVALID_OPTION'), JSON.stringify(o)).toBe(true);
    }
  });
});
