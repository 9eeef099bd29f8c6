import { Readable, type Transform, pipeline } from 'node:stream';

/** Bytes of a string or a Uint8Array. */
export function toBytes(value: Uint8Array | string): Uint8Array {
  return typeof value === 'string' ? Buffer.from(value, 'utf8') : value;
}

/** A one-chunk stream. */
export async function* once(bytes: Uint8Array): AsyncGenerator<Uint8Array> {
  yield bytes;
}

/** Runs `source` through a Node transform (gzip, gunzip), as a stream; errors propagate. */
export async function* through(
  source: AsyncIterable<Uint8Array>,
  transform: Transform,
): AsyncGenerator<Uint8Array> {
  const input = Readable.from(source, { objectMode: false });
  const out = pipeline(input, transform, () => {});
  for await (const chunk of out as AsyncIterable<Buffer>) yield chunk;
}

/** Collects a stream into one buffer, refusing more than `max` bytes. */
export async function collect(
  source: AsyncIterable<Uint8Array>,
  max: number,
  tooLarge: () => Error,
): Promise<Uint8Array> {
  const chunks: Uint8Array[] = [];
  let total = 0;
  for await (const chunk of source) {
    total += chunk.byteLength;
    if (total > max) throw tooLarge();
    chunks.push(chunk);
  }
  return chunks.length === 1 ? (chunks[0] as Uint8Array) : Buffer.concat(chunks, total);
}
