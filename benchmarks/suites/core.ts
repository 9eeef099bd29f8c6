import { randomUUID } from 'node:crypto';
import { EventEmitter as NodeEmitter } from 'node:events';
import { canonicalJson, uuidv7, TypedEmitter } from '@plinth/core';
import canonicalize from 'canonicalize';
import { EventEmitter as EE3 } from 'eventemitter3';
import { stringify as stableStringify } from 'safe-stable-stringify';
import { v7 as uuidV7 } from 'uuid';
import { defineSuite } from '../src/harness.js';

interface Events {
  'artifact:published': { name: string; version: string; seq: number };
}

/** A document shaped like a registry artifact version: nested, mixed key orders, arrays. */
function makeDocument(i: number): Record<string, unknown> {
  return {
    version: `1.${i % 17}.${i % 5}`,
    name: `payments/orders-${i}`,
    metadata: {
      owner: 'team-payments',
      labels: { tier: 'gold', region: 'eu-west-1', pii: i % 2 === 0 },
      createdAt: '2026-11-22T10:00:00.000Z',
    },
    schema: {
      type: 'record',
      name: 'Order',
      fields: [
        { type: 'string', name: 'id' },
        {
          name: 'amount',
          type: { type: 'bytes', logicalType: 'decimal', precision: 12, scale: 2 },
        },
        {
          name: 'currency',
          type: { type: 'enum', name: 'Currency', symbols: ['EUR', 'USD', 'GBP'] },
        },
        { name: 'lines', type: { type: 'array', items: 'string' }, default: [] },
      ],
    },
    digest: 'sha256:' + 'ab'.repeat(32),
    size: 1024 + i,
    tags: ['latest', 'stable'],
  };
}

export default defineSuite({
  name: 'core',
  description:
    '@plinth/core primitives against the libraries a host would otherwise use: the typed ' +
    'emitter vs eventemitter3 and node:events (one listener, one payload object); UUIDv7 vs ' +
    "uuid's v7() and crypto.randomUUID() (v4, the speed ceiling); canonical JSON vs " +
    'canonicalize (RFC 8785), safe-stable-stringify and plain JSON.stringify (unsorted, the ceiling).',
  cases() {
    let sink = 0;
    const listener = (p: { seq: number }) => {
      sink += p.seq;
    };
    const ours = new TypedEmitter<Events>();
    ours.on('artifact:published', listener);
    const ee3 = new EE3();
    ee3.on('artifact:published', listener);
    const node = new NodeEmitter();
    node.on('artifact:published', listener);
    const payload = { name: 'payments/orders', version: '1.2.3', seq: 1 };
    const emitN = (emit: (p: typeof payload) => void) => (n: number) => {
      for (let i = 0; i < n; i++) emit(payload);
      return sink;
    };

    const docs = Array.from({ length: 64 }, (_, i) => makeDocument(i));
    let d = 0;
    const next = () => docs[d++ & 63];

    return [
      {
        name: 'emit, 1 listener',
        batch: 1000,
        verify() {
          const before = sink;
          ours.emit('artifact:published', payload);
          ee3.emit('artifact:published', payload);
          node.emit('artifact:published', payload);
          if (sink - before !== 3) throw new Error('each emitter must call its listener once');
        },
        ours: { name: 'TypedEmitter', fn: emitN((p) => ours.emit('artifact:published', p)) },
        anchors: [
          { name: 'eventemitter3', fn: emitN((p) => ee3.emit('artifact:published', p)) },
          { name: 'node:events', fn: emitN((p) => node.emit('artifact:published', p)) },
        ],
      },
      {
        name: 'UUIDv7',
        batch: 1000,
        verify() {
          for (const id of [uuidv7(), uuidV7()]) {
            if (!/^[0-9a-f]{8}-[0-9a-f]{4}-7[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/.test(id)) {
              throw new Error(`not a UUIDv7: ${id}`);
            }
          }
        },
        ours: {
          name: 'uuidv7()',
          fn: (n) => {
            let last = '';
            for (let i = 0; i < n; i++) last = uuidv7();
            return last;
          },
        },
        anchors: [
          {
            name: 'uuid v7()',
            fn: (n) => {
              let last = '';
              for (let i = 0; i < n; i++) last = uuidV7();
              return last;
            },
          },
          {
            name: 'crypto.randomUUID() (v4)',
            fn: (n) => {
              let last = '';
              for (let i = 0; i < n; i++) last = randomUUID();
              return last;
            },
          },
        ],
      },
      {
        name: 'canonical JSON, 1 KB document',
        batch: 50,
        verify() {
          for (const doc of docs) {
            const a = canonicalJson(doc);
            if (a !== canonicalize(doc) || a !== stableStringify(doc)) {
              throw new Error('canonical forms disagree');
            }
          }
        },
        ours: {
          name: 'canonicalJson()',
          fn: (n) => {
            let len = 0;
            for (let i = 0; i < n; i++) len += canonicalJson(next()).length;
            return len;
          },
        },
        anchors: [
          {
            name: 'canonicalize (RFC 8785)',
            fn: (n) => {
              let len = 0;
              for (let i = 0; i < n; i++) len += (canonicalize(next()) as string).length;
              return len;
            },
          },
          {
            name: 'safe-stable-stringify',
            fn: (n) => {
              let len = 0;
              for (let i = 0; i < n; i++) len += (stableStringify(next()) as string).length;
              return len;
            },
          },
          {
            name: 'JSON.stringify (unsorted)',
            fn: (n) => {
              let len = 0;
              for (let i = 0; i < n; i++) len += JSON.stringify(next()).length;
              return len;
            },
          },
        ],
      },
    ];
  },
});
