import { runQuickstart } from './quickstart.js';

console.log('Plinth quickstart: composing @plinth/core in-process\n');
const result = await runQuickstart((line) => console.log(line));
console.log(
  `\ndone: ${result.recorded} releases recorded, ${result.events.length} events observed`,
);
