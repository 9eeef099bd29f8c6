/**
 * A 32-bit string hash (FNV-1a over UTF-16 code units, then a murmur3 finaliser so every bit
 * depends on every input bit). Used by the frequency sketch; computed once per key and kept on
 * the node, so hits never re-hash.
 */
export function hashString(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) {
    h ^= s.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}
