import { HELP, loadConfig } from './config.js';
import { createControlPlane } from './control-plane.js';

const config = loadConfig(process.argv.slice(2), process.env);
if (config === 'help') {
  process.stdout.write(`${HELP}\n`);
} else {
  const { port, host, ...options } = config;
  const cp = await createControlPlane(options);
  const url = await cp.listen(port, host);
  const store =
    options.pgUrl !== undefined ? 'PostgreSQL' : `SQLite in ${options.dataDir ?? './data'}`;
  process.stdout.write(
    `plinth control plane on ${url} (${store}${options.redisUrl !== undefined ? ', Redis cache' : ''})\n` +
      `  Confluent Schema Registry API: ${url}${options.confluentPrefix ?? '/confluent'}\n`,
  );
  let stopping = false;
  const stop = (signal: string) => {
    if (stopping) return;
    stopping = true;
    process.stdout.write(`${signal}: finishing in-flight requests, then closing the store\n`);
    cp.close().then(
      () => process.exit(0),
      (error: unknown) => {
        process.stderr.write(`shutdown failed: ${String(error)}\n`);
        process.exit(1);
      },
    );
  };
  process.on('SIGTERM', () => stop('SIGTERM'));
  process.on('SIGINT', () => stop('SIGINT'));
}
