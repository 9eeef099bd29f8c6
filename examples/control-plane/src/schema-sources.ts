import type { ReferenceInput, Registry, VersionInfo } from '@plinth/registry';
import type { SchemaSource } from '@plinth/validation';

const ANY = {
  includeDeprecated: true,
  includeDisabled: true,
  includeDrafts: true,
  includePrerelease: true,
} as const;

function decode(format: string | null, bytes: Uint8Array): unknown {
  const text = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString('utf8');
  if (format === 'protobuf') return text;
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return text; // a primitive Avro schema stored as its bare name
  }
}

/** The schemas `refs` name, transitively, each once (by name). */
export async function referenceSources(
  registry: Registry,
  refs: readonly ReferenceInput[],
): Promise<Array<{ name: string; format: string; schema: unknown }>> {
  const out: Array<{ name: string; format: string; schema: unknown }> = [];
  const seen = new Set<string>();
  const queue = [...refs];
  while (queue.length > 0) {
    const r = queue.shift();
    if (r === undefined || seen.has(r.name)) continue;
    seen.add(r.name);
    const got = await registry.fetch(`${r.artifact}@${r.version}`, ANY);
    const format = got.version.format ?? 'json-schema';
    out.push({ name: r.name, format, schema: decode(format, got.content) });
    queue.push(...got.version.references);
  }
  return out;
}

/** A stored schema version as @plinth/validation takes it, references included (transitively). */
export async function sourceOf(registry: Registry, info: VersionInfo): Promise<SchemaSource> {
  const { content } = await registry.fetch(`${info.artifact}@${info.version}`, ANY);
  const references = await referenceSources(registry, info.references);
  return {
    format: info.format ?? 'json-schema',
    schema: decode(info.format, content),
    ...(references.length > 0 && { references }),
  };
}

export { decode as decodeSchema };
