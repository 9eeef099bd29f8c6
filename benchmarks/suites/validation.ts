import { Validation } from '@plinth/validation';
import { Ajv } from 'ajv';
import { Ajv2020 } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import avsc from 'avsc';
import protobuf from 'protobufjs';
import v8 from 'node:v8';
import vm from 'node:vm';
import { z } from 'zod';
import { defineSuite, type Measurement, type RunSettings } from '../src/harness.js';

type AddFormats = (ajv: Ajv) => Ajv;
const addFormats: AddFormats =
  typeof addFormatsModule === 'function'
    ? (addFormatsModule as unknown as AddFormats)
    : (addFormatsModule as unknown as { default: AddFormats }).default;

const jsonSchema = {
  type: 'object',
  required: ['id', 'customer', 'lines', 'total', 'status'],
  properties: {
    id: { type: 'string', minLength: 1 },
    customer: {
      type: 'object',
      required: ['name', 'email'],
      properties: {
        name: { type: 'string' },
        email: { type: 'string', format: 'email' },
        vip: { type: 'boolean' },
      },
    },
    lines: {
      type: 'array',
      items: {
        type: 'object',
        required: ['sku', 'qty', 'price'],
        properties: {
          sku: { type: 'string' },
          qty: { type: 'integer', minimum: 1 },
          price: { type: 'number', minimum: 0 },
        },
      },
    },
    total: { type: 'number', minimum: 0 },
    status: { enum: ['new', 'paid', 'shipped'] },
  },
};
const doc = {
  id: 'o-1',
  customer: { name: 'Ada', email: 'ada@example.com', vip: true },
  lines: [
    { sku: 'A', qty: 2, price: 10 },
    { sku: 'B', qty: 1, price: 5.5 },
  ],
  total: 25.5,
  status: 'paid',
};
const avroSchema = {
  type: 'record',
  name: 'Order',
  fields: [
    { name: 'id', type: 'string' },
    {
      name: 'customer',
      type: {
        type: 'record',
        name: 'Customer',
        fields: [
          { name: 'name', type: 'string' },
          { name: 'email', type: ['null', 'string'], default: null },
        ],
      },
    },
    {
      name: 'lines',
      type: {
        type: 'array',
        items: {
          type: 'record',
          name: 'Line',
          fields: [
            { name: 'sku', type: 'string' },
            { name: 'qty', type: 'int' },
            { name: 'price', type: 'double' },
          ],
        },
      },
    },
    { name: 'total', type: 'double' },
    { name: 'status', type: { type: 'enum', name: 'Status', symbols: ['NEW', 'PAID', 'SHIPPED'] } },
  ],
};
const avroDoc = {
  id: 'o-1',
  customer: { name: 'Ada', email: 'ada@example.com' },
  lines: [
    { sku: 'A', qty: 2, price: 10 },
    { sku: 'B', qty: 1, price: 5.5 },
  ],
  total: 25.5,
  status: 'PAID',
};
const proto = `syntax = "proto3";
package bench;
message Line { string sku = 1; int32 qty = 2; double price = 3; }
message Customer { string name = 1; string email = 2; bool vip = 3; }
enum Status { NEW = 0; PAID = 1; SHIPPED = 2; }
message Order { string id = 1; Customer customer = 2; repeated Line lines = 3; double total = 4; Status status = 5; }`;
const zodSchema = z.object({
  id: z.string().min(1),
  customer: z.object({ name: z.string(), email: z.string().email(), vip: z.boolean().optional() }),
  lines: z.array(
    z.object({ sku: z.string(), qty: z.number().int().min(1), price: z.number().min(0) }),
  ),
  total: z.number().min(0),
  status: z.enum(['new', 'paid', 'shipped']),
});

function avroRecord(n: number, variant: number): unknown {
  const types = ['int', 'long', 'string', 'double', 'boolean'];
  return {
    type: 'record',
    name: 'Wide',
    namespace: 'bench',
    fields: Array.from({ length: n }, (_, i) => ({
      name: `f${i}`,
      type: i % 10 === 0 ? ['null', types[i % 5] as string] : (types[i % 5] as string),
      ...(i % 10 === 0 ? { default: null } : {}),
      ...(variant > 0 && i === n - 1 ? { doc: `v${variant}` } : {}),
    })).concat(
      variant > 0 ? [{ name: `added${variant}`, type: 'string', default: '' } as never] : [],
    ),
  };
}

/** A 2020-12 schema that runs on Plinth's interpreter (unevaluatedProperties across allOf). */
const unevalSchema = {
  $schema: 'https://json-schema.org/draft/2020-12/schema',
  allOf: [jsonSchema, { properties: { note: { type: 'string' } } }],
  unevaluatedProperties: false,
};
const unevalDoc = { ...doc, note: 'gift' };

/** The order schema with a distinct title, so no cache (ours or ajv's) answers a compile. */
function orderSchema(i: number): Record<string, unknown> {
  return { ...jsonSchema, title: `order ${i}` };
}

/** A full GC through V8's flag (the harness does not start Node with --expose-gc). */
function collect(): void {
  v8.setFlagsFromString('--expose-gc');
  (vm.runInNewContext('gc') as () => void)();
}

/** Compile time and retained heap per compiled JSON Schema validator, next to raw ajv's. */
function jsonSchemaCompileMeasurements(settings: RunSettings): Measurement[] {
  const n = settings.smoke ? 20 : 500;
  const plinth = new Validation({ emitFailures: false, cacheSize: n + 10 });
  const ajv = new Ajv({ allErrors: false, strict: false });
  addFormats(ajv);
  const ours: number[] = [];
  const theirs: number[] = [];
  for (let i = 0; i < n; i++) {
    let t = performance.now();
    plinth.compile({ format: 'json-schema', schema: orderSchema(i) });
    ours.push(performance.now() - t);
    t = performance.now();
    ajv.compile(orderSchema(i));
    theirs.push(performance.now() - t);
  }
  // Retained heap: n validators kept alive, measured after a full GC on each side.
  const keep: unknown[] = [];
  collect();
  let before = process.memoryUsage().heapUsed;
  const kept = new Validation({ emitFailures: false, cacheSize: n + 10 });
  for (let i = 0; i < n; i++)
    keep.push(kept.compile({ format: 'json-schema', schema: orderSchema(n + i) }));
  collect();
  const oursBytes = (process.memoryUsage().heapUsed - before) / n;
  const fresh = new Ajv({ allErrors: false, strict: false });
  addFormats(fresh);
  collect();
  before = process.memoryUsage().heapUsed;
  for (let i = 0; i < n; i++) keep.push(fresh.compile(orderSchema(2 * n + i)));
  collect();
  const ajvBytes = (process.memoryUsage().heapUsed - before) / n;
  if (keep.length !== 2 * n) throw new Error('validators were not kept');
  return [
    {
      name: 'JSON Schema compile, the order schema (parse, reference model, meta-schema check, ajv; median)',
      value: median(ours),
      unit: 'ms',
      target: { max: 5 },
      note: `raw ajv compile: ${median(theirs).toFixed(3)} ms; ${n} distinct schemas`,
    },
    {
      name: 'JSON Schema retained heap per compiled validator (order schema)',
      value: Math.round(oursBytes / 1024),
      unit: 'KiB',
      target: { max: 256 },
      note: `raw ajv: ${Math.round(ajvBytes / 1024)} KiB per compiled function; ${n} kept`,
    },
  ];
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)] as number;
}

const v = new Validation({ emitFailures: false });

export default defineSuite({
  name: 'validation',
  description:
    '@plinth/validation validators against the raw libraries they wrap, on the same document: ' +
    'a compiled ajv function, avsc isValid, protobufjs verify, zod safeParse; a schema on the ' +
    'JSON Schema interpreter against ajv on the same schema. Measurements: JSON Schema compile ' +
    'time and retained heap per compiled validator, an ' +
    'Avro compatibility check of two 100-field schemas, a transitive check over a long history, ' +
    'and a 10-check data-quality suite over many rows.',
  cases() {
    const ajv = new Ajv({ allErrors: false, strict: false });
    addFormats(ajv);
    const raw = ajv.compile(jsonSchema);
    const ours = v.compile({ format: 'json-schema', schema: jsonSchema });
    const avroType = avsc.Type.forSchema(avroSchema as avsc.Schema);
    const oursAvro = v.compile({ format: 'avro', schema: avroSchema });
    const pbType = protobuf.parse(proto, { keepCase: true }).root.lookupType('bench.Order');
    const oursPb = v.compile({ format: 'protobuf', schema: { proto, message: 'bench.Order' } });
    const pbDoc = {
      id: 'o-1',
      customer: { name: 'Ada', email: 'ada@example.com', vip: true },
      lines: [{ sku: 'A', qty: 2, price: 10 }],
      total: 25.5,
      status: 1,
    };
    const oursZod = v.compile({ format: 'zod', schema: zodSchema });
    const ajv2020 = new Ajv2020({ allErrors: false, strict: false });
    addFormats(ajv2020 as unknown as Ajv);
    const rawUneval = ajv2020.compile(unevalSchema);
    const oursUneval = v.compile({ format: 'json-schema', schema: unevalSchema });
    let sink = 0;
    return [
      {
        name: 'JSON Schema validate',
        batch: 1000,
        verify() {
          if (!ours.validate(doc).valid || raw(doc) !== true)
            throw new Error('document should be valid for both');
          if (ours.validate({ ...doc, total: -1 }).valid || raw({ ...doc, total: -1 }))
            throw new Error('invalid document accepted');
        },
        ours: {
          name: 'plinth validate()',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink += ours.validate(doc).valid ? 1 : 0;
            return sink;
          },
        },
        anchors: [
          {
            name: 'raw compiled ajv',
            fn: (n) => {
              for (let i = 0; i < n; i++) sink += raw(doc) ? 1 : 0;
              return sink;
            },
          },
        ],
        target: { minRatio: 0.9 },
      },
      {
        name: 'JSON Schema validate, interpreter (2020-12 unevaluatedProperties over allOf)',
        batch: 200,
        verify() {
          if (!oursUneval.validate(unevalDoc).valid || rawUneval(unevalDoc) !== true)
            throw new Error('document should be valid for both');
          const bad = { ...unevalDoc, extra: 1 };
          if (oursUneval.validate(bad).valid || rawUneval(bad))
            throw new Error('unevaluated property accepted');
        },
        ours: {
          name: 'plinth validate() (interpreter)',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink += oursUneval.validate(unevalDoc).valid ? 1 : 0;
            return sink;
          },
        },
        anchors: [
          {
            name: 'raw compiled ajv (2020)',
            fn: (n) => {
              for (let i = 0; i < n; i++) sink += rawUneval(unevalDoc) ? 1 : 0;
              return sink;
            },
          },
        ],
      },
      {
        name: 'Avro validate',
        batch: 1000,
        verify() {
          if (!oursAvro.validate(avroDoc).valid || !avroType.isValid(avroDoc))
            throw new Error('datum should be valid for both');
        },
        ours: {
          name: 'plinth validate()',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink += oursAvro.validate(avroDoc).valid ? 1 : 0;
            return sink;
          },
        },
        anchors: [
          {
            name: 'avsc isValid',
            fn: (n) => {
              for (let i = 0; i < n; i++) sink += avroType.isValid(avroDoc) ? 1 : 0;
              return sink;
            },
          },
        ],
        target: { minRatio: 0.7 },
      },
      {
        name: 'Protobuf validate',
        batch: 1000,
        verify() {
          if (!oursPb.validate(pbDoc).valid || pbType.verify(pbDoc) !== null)
            throw new Error('message should be valid for both');
        },
        ours: {
          name: 'plinth validate()',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink += oursPb.validate(pbDoc).valid ? 1 : 0;
            return sink;
          },
        },
        anchors: [
          {
            name: 'protobufjs verify',
            fn: (n) => {
              for (let i = 0; i < n; i++) sink += pbType.verify(pbDoc) === null ? 1 : 0;
              return sink;
            },
          },
        ],
        target: { minRatio: 0.7 },
      },
      {
        name: 'zod validate',
        batch: 200,
        verify() {
          if (!oursZod.validate(doc).valid || !zodSchema.safeParse(doc).success)
            throw new Error('document should be valid for both');
        },
        ours: {
          name: 'plinth validate()',
          fn: (n) => {
            for (let i = 0; i < n; i++) sink += oursZod.validate(doc).valid ? 1 : 0;
            return sink;
          },
        },
        anchors: [
          {
            name: 'zod safeParse',
            fn: (n) => {
              for (let i = 0; i < n; i++) sink += zodSchema.safeParse(doc).success ? 1 : 0;
              return sink;
            },
          },
        ],
        target: { minRatio: 0.9 },
      },
    ];
  },
  measurements(settings: RunSettings): Measurement[] {
    const out: Measurement[] = [];
    // Compatibility of two 100-field Avro schemas, parse included (fresh source objects each time).
    const iterations = settings.smoke ? 20 : 300;
    const times: number[] = [];
    let compatible = true;
    for (let i = 0; i < iterations; i++) {
      const a = { format: 'avro', schema: avroRecord(100, 0) };
      const b = { format: 'avro', schema: avroRecord(100, 1) };
      const t = performance.now();
      compatible &&= v.checkCompatibility(b, [a], { level: 'FULL' }).compatible;
      times.push(performance.now() - t);
    }
    if (!compatible) throw new Error('the 100-field pair should be FULL compatible');
    out.push({
      name: 'Avro compatibility check, two 100-field schemas (FULL, parse included, median)',
      value: median(times),
      unit: 'ms',
      target: { max: 1 },
      note: `${iterations} checks`,
    });
    // Transitive over a history.
    const versions = settings.smoke ? 50 : 1000;
    const history = Array.from({ length: versions }, (_, i) => ({
      format: 'avro',
      schema: avroRecord(20, i),
    }));
    const cand = { format: 'avro', schema: avroRecord(20, versions) };
    const t0 = performance.now();
    const r = v.checkCompatibility(cand, history, { level: 'BACKWARD_TRANSITIVE' });
    out.push({
      name: `BACKWARD_TRANSITIVE over ${versions} versions of a 20-field Avro schema, first check`,
      value: performance.now() - t0,
      unit: 'ms',
      target: { max: 50 * (versions / 1000) },
      note: `compatible: ${r.compatible}; every version parsed`,
    });
    // The same history read back again (fresh objects, same content), as a registry does.
    const again = history.map((h) => ({
      format: 'avro',
      schema: JSON.parse(JSON.stringify(h.schema)) as unknown,
    }));
    const t1 = performance.now();
    v.checkCompatibility({ format: 'avro', schema: avroRecord(20, versions + 1) }, again, {
      level: 'BACKWARD_TRANSITIVE',
    });
    out.push({
      name: `BACKWARD_TRANSITIVE over ${versions} versions, history already parsed`,
      value: performance.now() - t1,
      unit: 'ms',
      target: { max: 50 * (versions / 1000) },
      note: 'parses found by content',
    });
    out.push(...jsonSchemaCompileMeasurements(settings));
    // Data quality: 10 checks over many rows.
    const rows = settings.smoke ? 10_000 : 100_000;
    const countries = ['NO', 'SE', 'DK', 'FI'];
    const data = Array.from({ length: rows }, (_, i) => ({
      id: i,
      email: i % 50 === 0 ? '' : `user${i}@example.com`,
      amount: (i * 7) % 1000,
      paid: (i * 3) % 1000,
      country: countries[i % 4],
      status: i % 3 === 0 ? 'paid' : 'new',
      at: 1_700_000_000_000 + i,
    }));
    const suite = v.qualitySuite({
      name: 'bench',
      checks: [
        { kind: 'completeness', field: 'email', mostly: 0.9 },
        { kind: 'completeness', field: 'country' },
        { kind: 'validity', field: 'amount', type: 'number', min: 0, max: 1000 },
        { kind: 'validity', field: 'status', in: ['new', 'paid', 'shipped'] },
        { kind: 'validity', field: 'email', maxLength: 64, mostly: 0.9 },
        { kind: 'uniqueness', fields: 'id' },
        { kind: 'reference', field: 'country', lookup: countries },
        { kind: 'condition', expression: 'paid <= amount or status == "new"', mostly: 0.1 },
        { kind: 'maxAge', field: 'at', maxAgeMs: 10 * 365 * 86_400_000 },
        { kind: 'freshness', field: 'at', maxAgeMs: 10 * 365 * 86_400_000 },
      ],
    });
    const best: number[] = [];
    for (let k = 0; k < (settings.smoke ? 1 : 5); k++) {
      const t = performance.now();
      const rep = suite.runSync(data);
      best.push(performance.now() - t);
      if (rep.rows !== rows) throw new Error('suite did not see every row');
    }
    const ms = median(best);
    out.push({
      name: `data-quality suite, 10 checks × ${rows} rows`,
      value: Math.round((10 * rows) / (ms / 1000)),
      unit: 'row-checks/s',
      target: { min: 1_000_000 },
      note: `${ms.toFixed(1)} ms per run`,
    });
    return out;
  },
});
