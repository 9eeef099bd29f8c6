import { openStore } from '@plinth/storage';
import { sqliteAdapter } from '@plinth/storage/adapters/sqlite';
import { Registry, fsBlobStore } from '@plinth/registry';

const store = await openStore({ adapter: sqliteAdapter({ path: 'registry.db' }) });
const registry = await new Registry({ store, blobs: fsBlobStore({ root: 'blobs' }) }).open();

const order = { type: 'object', properties: { id: { type: 'string' } }, required: ['id'] };
await registry.publish({
  artifact: 'payments/orders',
  kind: 'schema',
  format: 'json-schema',
  schema: order,
});
// Adding an optional field is additive: the registry bumps the minor version itself.
const next = await registry.publish({
  artifact: 'payments/orders',
  schema: { ...order, properties: { ...order.properties, note: { type: 'string' } } },
  actor: 'ci',
});
console.log(next.version.version, next.bump); // 1.1.0 minor

await registry.publish({
  artifact: 'ml/churn',
  kind: 'model',
  version: '2.3.0',
  content: new Uint8Array([1, 2, 3]),
});
await registry.setTag('ml/churn', 'prod', '2.3.0');
const { version, content } = await registry.fetch('ml/churn@^2.1'); // or @prod, @latest, @2.3.0
console.log(version.id, version.digest, content.byteLength);

await registry.close();
await store.close();
