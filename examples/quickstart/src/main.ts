import { runQuickstart } from './quickstart.js';

console.log(
  'Plinth quickstart: storage, validation, registry, promotion and cache in one process\n',
);
const summary = await runQuickstart({ log: (line) => console.log(line) });
console.log(
  `\ndone: published ${summary.published.join(', ')}; ${summary.resolved.range} → ` +
    `${summary.resolved.version}; prod holds ${summary.stages['prod']?.join(', ')}`,
);
