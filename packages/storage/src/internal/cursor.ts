import { storageErrors } from '../errors.js';

/**
 * Page cursors are opaque to callers: base64url JSON naming what they continue (a key listing
 * or one index of one collection) and the last position returned.
 */
type CursorBody =
  | { readonly t: 'k'; readonly s: string; readonly k: string }
  | {
      readonly t: 'i';
      readonly s: string;
      readonly i: string;
      readonly v: string;
      readonly k: string;
    };

export function keyCursor(space: string, key: string): string {
  return Buffer.from(JSON.stringify({ t: 'k', s: space, k: key } satisfies CursorBody)).toString(
    'base64url',
  );
}

export function indexCursor(space: string, index: string, value: Uint8Array, key: string): string {
  const body: CursorBody = {
    t: 'i',
    s: space,
    i: index,
    v: Buffer.from(value).toString('base64'),
    k: key,
  };
  return Buffer.from(JSON.stringify(body)).toString('base64url');
}

function bad(cursor: unknown, why: string): never {
  throw storageErrors.create('E_INVALID_QUERY', `invalid cursor: ${why}`, {
    details: { cursor: typeof cursor === 'string' ? cursor.slice(0, 200) : typeof cursor },
  });
}

function parse(cursor: unknown): Record<string, unknown> {
  if (typeof cursor !== 'string' || cursor.length === 0 || cursor.length > 8192) {
    bad(cursor, 'not a cursor string');
  }
  try {
    const body: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (typeof body !== 'object' || body === null) bad(cursor, 'malformed');
    return body as Record<string, unknown>;
  } catch (error) {
    if (storageErrors.is(error)) throw error;
    return bad(cursor, 'malformed');
  }
}

export function readKeyCursor(cursor: unknown, space: string): string {
  const b = parse(cursor);
  if (b.t !== 'k' || b.s !== space || typeof b.k !== 'string') {
    bad(cursor, `it does not continue a listing of "${space}"`);
  }
  return b.k;
}

export function readIndexCursor(
  cursor: unknown,
  space: string,
  index: string,
): { value: Uint8Array; key: string } {
  const b = parse(cursor);
  if (
    b.t !== 'i' ||
    b.s !== space ||
    b.i !== index ||
    typeof b.v !== 'string' ||
    typeof b.k !== 'string'
  ) {
    bad(cursor, `it does not continue a query of index "${index}" of "${space}"`);
  }
  return { value: new Uint8Array(Buffer.from(b.v, 'base64')), key: b.k };
}
