import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createControlPlane } from './control-plane.js';

/** What the story ends with (the demo test asserts it). */
export interface StoryOutcome {
  readonly versions: string[];
  readonly incompatibleStatus: number;
  readonly suggestedVersion: string;
  readonly published: string;
  readonly baseline: string;
  readonly candidate: string;
  readonly stages: Record<string, string[]>;
}

class StoryError extends Error {}

function expectThat(ok: boolean, what: string): void {
  if (!ok) throw new StoryError(`the story went wrong: ${what}`);
}

const ORDER_V1 = {
  type: 'record',
  name: 'Order',
  namespace: 'shop',
  fields: [
    { name: 'id', type: 'string' },
    { name: 'amount', type: 'double' },
  ],
};
const field = (f: object) => ({ ...ORDER_V1, fields: [...ORDER_V1.fields, f] });

/**
 * The control plane's story, told through HTTP against an in-process service on a temporary
 * SQLite directory: register, an incompatible change refused with its diff, a compatible one
 * published with the suggested bump, a release promoted dev → staging → prod with 2-of-3
 * approvals, a verification failure in prod and the automatic rollback.
 */
export async function runStory(log: (line: string) => void = () => {}): Promise<StoryOutcome> {
  const dir = mkdtempSync(join(tmpdir(), 'plinth-demo-'));
  // "prod": the service the release is deployed to. Its health check fails with config 1.1.0.
  const prod = createServer((req, res) => {
    const artifacts = new URL(req.url ?? '/', 'http://x').searchParams.get('artifacts') ?? '';
    const broken = artifacts.split(',').includes('shop/orders-config@1.1.0');
    res.statusCode = broken ? 503 : 200;
    res.end(broken ? 'p99 latency 2.4 s > 500 ms since the deploy' : 'healthy');
  });
  await new Promise<void>((r) => prod.listen(0, '127.0.0.1', r));
  const healthUrl = `http://127.0.0.1:${(prod.address() as { port: number }).port}/health`;
  const token = randomBytes(12).toString('hex');
  const cp = await createControlPlane({
    dataDir: dir,
    adminToken: token,
    pipelines: [
      {
        name: 'shop',
        stages: [
          { name: 'dev' },
          { name: 'staging', upstream: ['dev'], autoPromote: true },
          {
            name: 'prod',
            upstream: ['staging'],
            approvals: {
              levels: [{ name: 'leads', required: 2, approvers: ['bob', 'cat', 'dan'] }],
            },
            verification: { gates: [{ kind: 'http', name: 'prod health', url: healthUrl }] },
          },
        ],
      },
    ],
  });
  try {
    const base = await cp.listen(0, '127.0.0.1');
    log(`▶ control plane on ${base} (SQLite in ${dir})`);
    const http = async (method: string, path: string, body?: unknown, who = 'ann') => {
      const res = await fetch(base + path, {
        method,
        headers: {
          authorization: `Bearer ${token}`,
          'x-plinth-principal': who,
          ...(body !== undefined && { 'content-type': 'application/json' }),
        },
        ...(body !== undefined && { body: JSON.stringify(body) }),
      });
      return { status: res.status, json: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
    };

    // 1. Register.
    const v1 = await http('POST', '/v1/artifacts/shop/orders/versions', {
      format: 'avro',
      schema: ORDER_V1,
    });
    expectThat(v1.status === 201, `registering the schema answered ${v1.status}`);
    log(
      `\n1. Registered Avro schema shop/orders ${v1.json.version.version} (schema id ${v1.json.version.contentId})`,
    );

    // 2. An incompatible change: a new field without a default cannot read old data.
    const bad = field({ name: 'currency', type: 'string' });
    const check = await http('POST', '/v1/artifacts/shop/orders/compatibility', { schema: bad });
    expectThat(check.json.compatible === false, 'the breaking change was reported compatible');
    log(
      `\n2. Proposed: add "currency" (string, no default) → ${check.json.level} check says incompatible:`,
    );
    for (const v of check.json.violations) log(`     ✗ ${v.rule} at ${v.path}: ${v.message}`);
    const refused = await http('POST', '/v1/artifacts/shop/orders/versions', { schema: bad });
    expectThat(refused.status === 409, `publishing the breaking change answered ${refused.status}`);
    log(`   Publishing it anyway → HTTP ${refused.status} ${refused.json.code}`);

    // 3. The compatible version, with the suggested bump.
    const good = field({ name: 'currency', type: 'string', default: 'EUR' });
    const ok = await http('POST', '/v1/artifacts/shop/orders/compatibility', { schema: good });
    expectThat(ok.json.compatible === true, 'the compatible change was refused');
    log(`\n3. With a default ("EUR") it is compatible; changes:`);
    for (const c of ok.json.changes) log(`     + ${c.rule} at ${c.path} (${c.severity})`);
    log(`   Suggested bump: ${ok.json.bump} → ${ok.json.suggestedVersion}`);
    const v2 = await http('POST', '/v1/artifacts/shop/orders/versions', { schema: good });
    expectThat(
      v2.json.version?.version === ok.json.suggestedVersion,
      'the published version is not the suggested one',
    );
    log(`   Published shop/orders ${v2.json.version.version}`);
    for (const [version, timeoutMs] of [
      ['1.0.0', 2000],
      ['1.1.0', 50],
    ] as const) {
      const c = await http('POST', '/v1/artifacts/shop/orders-config/versions', {
        kind: 'config',
        version,
        content: JSON.stringify({ timeoutMs }),
        mediaType: 'application/json',
      });
      expectThat(c.status === 201, `publishing the config answered ${c.status}`);
    }

    // 4. Releases and promotions.
    const ship = async (label: string, orders: string, config: string) => {
      const rel = await http('POST', '/v1/releases', {
        name: 'orders-service',
        artifacts: [`shop/orders@${orders}`, `shop/orders-config@${config}`],
      });
      expectThat(rel.status === 201, `creating the release answered ${rel.status}`);
      const list = rel.json.artifacts.map(
        (a: { name: string; version: string }) => `${a.name}@${a.version}`,
      );
      log(`\n${label}: release ${rel.json.id.slice(-8)} bundles ${list.join(' + ')}`);
      const dev = await http('POST', '/v1/promotions?wait=true', {
        pipeline: 'shop',
        stage: 'dev',
        releaseId: rel.json.id,
      });
      expectThat(dev.json.state === 'succeeded', `dev promotion is ${dev.json.state}`);
      const staging = await http('GET', '/v1/pipelines/shop/stages/staging');
      expectThat(
        staging.json.releases[0]?.releaseId === rel.json.id,
        'staging did not auto-promote',
      );
      log('   dev ✓ → staging ✓ (auto-promoted once verified in dev)');
      const p = await http('POST', '/v1/promotions?wait=true', {
        pipeline: 'shop',
        stage: 'prod',
        releaseId: rel.json.id,
      });
      expectThat(p.json.state === 'awaiting_approval', `prod promotion is ${p.json.state}`);
      log('   prod: awaiting 2 of 3 approvals (bob, cat, dan)');
      const self = await http('POST', `/v1/promotions/${p.json.id}/approve`, {}, 'ann');
      expectThat(self.status === 403, 'the requester could approve her own promotion');
      if (label.startsWith('5'))
        log(`     ann (the requester) tries to approve → ${self.status} ${self.json.code}`);
      await http('POST', `/v1/promotions/${p.json.id}/approve`, { comment: 'lgtm' }, 'bob');
      log('     bob approves (1/2)');
      const done = await http('POST', `/v1/promotions/${p.json.id}/approve?wait=true`, {}, 'cat');
      log('     cat approves (2/2) → deploying, then verifying prod health');
      return { release: rel.json.id as string, promotion: done.json };
    };
    const first = await ship('4. Baseline', '1.0.0', '1.0.0');
    expectThat(
      first.promotion.state === 'succeeded',
      `baseline prod promotion is ${first.promotion.state}`,
    );
    log(
      `   prod verification: ${first.promotion.verification[0]?.messages[0]} → ${first.promotion.state}`,
    );

    const second = await ship('5. New release', '1.1.0', '1.1.0');
    const p = second.promotion;
    expectThat(
      p.state === 'rolled_back',
      `the failing prod promotion is ${p.state}, not rolled_back`,
    );
    log(`   prod verification: ${p.verification[0]?.messages[0]} → failed`);
    log(
      `   automatic rollback to release ${String(p.rollback?.targetReleaseId).slice(-8)} → ${p.state}`,
    );

    // 6. Where everything stands.
    log('\n6. Final state of every stage:');
    const stages: Record<string, string[]> = {};
    for (const view of (await http('GET', '/v1/pipelines/shop/stages')).json) {
      const occupant = view.releases[0];
      const arts = (occupant?.release.artifacts ?? []).map(
        (a: { name: string; version: string }) => `${a.name}@${a.version}`,
      );
      stages[view.stage] = arts;
      log(
        `   ${view.stage.padEnd(8)} ${arts.join(' + ') || '(empty)'}${occupant ? `  via ${occupant.via}` : ''}`,
      );
    }
    expectThat(
      stages.prod?.includes('shop/orders-config@1.0.0') === true,
      'prod does not hold the baseline',
    );
    const versions = (await http('GET', '/v1/artifacts/shop/orders/versions')).json.map(
      (v: { version: string }) => v.version,
    );
    return {
      versions,
      incompatibleStatus: refused.status,
      suggestedVersion: ok.json.suggestedVersion,
      published: v2.json.version.version,
      baseline: first.promotion.state,
      candidate: p.state,
      stages,
    };
  } finally {
    await cp.close();
    await new Promise((r) => prod.close(r));
    rmSync(dir, { recursive: true, force: true });
  }
}
