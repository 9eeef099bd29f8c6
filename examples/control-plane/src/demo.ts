import { runStory } from './story.js';

try {
  await runStory((line) => process.stdout.write(`${line}\n`));
  process.stdout.write('\n✔ the whole story ran: register → validate → promote → roll back\n');
  process.exit(0);
} catch (error) {
  process.stderr.write(`\n✘ ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
