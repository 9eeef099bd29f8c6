/** One page of keys under a prefix, after a cursor (the last key of the previous page). */
export function listPage(
  keys: readonly string[],
  options: { prefix?: string; cursor?: string; limit?: number },
): { keys: string[]; cursor: string | undefined } {
  const prefix = options.prefix ?? '';
  const limit = options.limit ?? 1000;
  const after = options.cursor;
  const sorted = keys
    .filter((k) => k.startsWith(prefix) && (after === undefined || k > after))
    .sort();
  const page = sorted.slice(0, limit);
  return { keys: page, cursor: sorted.length > limit ? page[page.length - 1] : undefined };
}
