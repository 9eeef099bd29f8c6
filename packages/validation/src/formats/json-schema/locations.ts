import { isObject } from '../../internal/json.js';
import type { JsonSchemaDraft } from './drafts.js';
import type { ParsedJsonSchema } from './plugin.js';
import type { ReferenceModel, SchemaLocation } from './refs.js';

/** One side of a comparison: a parsed schema's reference model and its draft. */
export interface Side {
  readonly name: 'old' | 'new';
  readonly draft: JsonSchemaDraft;
  readonly model: ReferenceModel;
  /** Whether the schema uses `$dynamicRef`/`$recursiveRef` (then the dynamic scope matters). */
  readonly dynamic: boolean;
}

export type { SchemaLocation };

export function sideOf(parsed: ParsedJsonSchema, name: 'old' | 'new'): Side {
  const dynamic = parsed.model
    .locations()
    .some(
      (l) =>
        isObject(l.schema) &&
        (typeof l.schema.$dynamicRef === 'string' || typeof l.schema.$recursiveRef === 'string'),
    );
  return { name, draft: parsed.draft, model: parsed.model, dynamic };
}
