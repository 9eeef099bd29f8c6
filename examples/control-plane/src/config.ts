import { readFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import type { ControlPlaneOptions } from './control-plane.js';
import { controlPlaneErrors } from './errors.js';
import type { PipelineSpec } from './pipelines.js';

export interface ServiceConfig extends ControlPlaneOptions {
  readonly port: number;
  readonly host: string;
}

const HELP = `plinth control plane

  --data-dir <dir>        SQLite directory (PLINTH_DATA_DIR; default ./data)
  --pg-url <url>          PostgreSQL store (PLINTH_PG_URL)
  --redis-url <url>       Redis L2 cache for lookups (PLINTH_REDIS_URL)
  --port <n>              (PORT / PLINTH_PORT; default 8080)
  --host <addr>           (PLINTH_HOST; default 127.0.0.1)
  --admin-token <token>   required on mutating routes (PLINTH_ADMIN_TOKEN)
  --confluent-prefix <p>  Confluent API mount (PLINTH_CONFLUENT_PREFIX; default /confluent)
  --pipelines <file>      pipelines JSON (PLINTH_PIPELINES)
  --body-limit <bytes>    (PLINTH_BODY_LIMIT; default 1048576)
  --log                   request logging`;

/** Flags win over environment variables; both are checked here, once. */
export function loadConfig(
  argv: readonly string[],
  env: NodeJS.ProcessEnv,
): ServiceConfig | 'help' {
  let values;
  try {
    values = parseArgs({
      args: [...argv],
      options: {
        'data-dir': { type: 'string' },
        'pg-url': { type: 'string' },
        'redis-url': { type: 'string' },
        port: { type: 'string' },
        host: { type: 'string' },
        'admin-token': { type: 'string' },
        'confluent-prefix': { type: 'string' },
        pipelines: { type: 'string' },
        'body-limit': { type: 'string' },
        log: { type: 'boolean' },
        help: { type: 'boolean', short: 'h' },
      },
      strict: true,
    }).values;
  } catch (cause) {
    throw controlPlaneErrors.create('E_INVALID_OPTION', `${(cause as Error).message}\n\n${HELP}`);
  }
  if (values.help === true) return 'help';
  const pick = (flag: string | undefined, ...vars: string[]) =>
    flag ?? vars.map((v) => env[v]).find((v) => v !== undefined && v !== '');
  const num = (raw: string | undefined, name: string, fallback: number) => {
    if (raw === undefined) return fallback;
    const n = Number(raw);
    if (!Number.isInteger(n) || n < 0) {
      throw controlPlaneErrors.create('E_INVALID_OPTION', `${name} must be an integer, got ${raw}`);
    }
    return n;
  };
  const pipelinesFile = pick(values.pipelines, 'PLINTH_PIPELINES');
  let pipelines: PipelineSpec[] | undefined;
  if (pipelinesFile !== undefined) {
    try {
      pipelines = JSON.parse(readFileSync(pipelinesFile, 'utf8')) as PipelineSpec[];
    } catch (cause) {
      throw controlPlaneErrors.create(
        'E_INVALID_OPTION',
        `pipelines file ${pipelinesFile}: ${(cause as Error).message}`,
      );
    }
  }
  const dataDir = pick(values['data-dir'], 'PLINTH_DATA_DIR');
  const pgUrl = pick(values['pg-url'], 'PLINTH_PG_URL');
  const redisUrl = pick(values['redis-url'], 'PLINTH_REDIS_URL');
  const adminToken = pick(values['admin-token'], 'PLINTH_ADMIN_TOKEN');
  const confluentPrefix = pick(values['confluent-prefix'], 'PLINTH_CONFLUENT_PREFIX');
  return {
    port: num(pick(values.port, 'PLINTH_PORT', 'PORT'), 'port', 8080),
    host: pick(values.host, 'PLINTH_HOST') ?? '127.0.0.1',
    bodyLimit: num(pick(values['body-limit'], 'PLINTH_BODY_LIMIT'), 'body-limit', 1_048_576),
    logger: values.log === true,
    ...(dataDir !== undefined && { dataDir }),
    ...(pgUrl !== undefined && { pgUrl }),
    ...(redisUrl !== undefined && { redisUrl }),
    ...(adminToken !== undefined && { adminToken }),
    ...(confluentPrefix !== undefined && { confluentPrefix }),
    ...(pipelines !== undefined && { pipelines }),
  };
}

export { HELP };
