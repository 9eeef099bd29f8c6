/** Small helpers over the L2 adapter primitives and local keys. */

/** The caller's key inside a local key (the part after the last separator). */
export function publicKey(lk: string): string {
  const i = lk.lastIndexOf('\u001f');
  return i < 0 ? lk : lk.slice(i + 1);
}

export function getMany(
  a: {
    getMany?: (keys: readonly string[]) => Promise<Array<Uint8Array | undefined>>;
    get(key: string): Promise<Uint8Array | undefined>;
  },
  keys: readonly string[],
): Promise<Array<Uint8Array | undefined>> {
  return a.getMany ? a.getMany(keys) : Promise.all(keys.map((k) => a.get(k)));
}

export async function deleteEach(
  a: { delete(key: string): Promise<boolean> },
  keys: readonly string[],
): Promise<number> {
  const results = await Promise.all(keys.map((k) => a.delete(k)));
  return results.filter(Boolean).length;
}
