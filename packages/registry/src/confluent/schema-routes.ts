import type { VersionInfo } from '../types.js';
import {
  flag,
  isCode,
  param,
  textOfBytes,
  toConfluentRefs,
  typeOfFormat,
  type Ctx,
  type Query,
} from './context.js';
import { ConfluentError, schemaNotFound } from './errors.js';

function parseId(raw: string): number {
  const id = /^\d{1,10}$/.test(raw) ? Number(raw) : NaN;
  if (!Number.isSafeInteger(id) || id < 1) {
    throw new ConfluentError(404, 40403, `Schema ${raw} not found`);
  }
  return id;
}

/** The content with a Confluent id, and the versions (of Confluent-visible formats) holding it. */
async function contentById(ctx: Ctx, raw: string, query: Query) {
  const id = parseId(raw);
  let got;
  try {
    got = await ctx.registry.getContent(id);
  } catch (error) {
    if (isCode(error, 'E_UNKNOWN_VERSION')) throw schemaNotFound(`Schema ${id} not found`);
    throw error;
  }
  const visible = got.versions.filter((v) => typeOfFormat(v.format) !== undefined);
  const first = visible[0];
  if (first === undefined) throw schemaNotFound(`Schema ${id} not found`);
  const wanted = param(query, 'subject');
  const holder =
    wanted === undefined
      ? first
      : (visible.find((v) => ctx.names.toSubject(v.artifact) === wanted) ?? first);
  return { id, content: got.content, versions: visible, holder };
}

/** GET /schemas/ids/{id} */
export async function schemaById(ctx: Ctx, raw: string, query: Query) {
  const { content, holder } = await contentById(ctx, raw, query);
  const type = typeOfFormat(holder.format) ?? 'AVRO';
  const refs = await toConfluentRefs(ctx, holder.references);
  return {
    ...(type !== 'AVRO' && { schemaType: type }),
    ...(refs.length > 0 && { references: refs }),
    schema: textOfBytes(holder.format, content),
  };
}

/** GET /schemas/ids/{id}/schema */
export async function rawSchemaById(ctx: Ctx, raw: string, query: Query) {
  const { content, holder } = await contentById(ctx, raw, query);
  return { text: textOfBytes(holder.format, content), format: holder.format };
}

const shown = (v: VersionInfo, query: Query) => v.deletedAt === null || flag(query, 'deleted');

/** GET /schemas/ids/{id}/subjects */
export async function subjectsById(ctx: Ctx, raw: string, query: Query): Promise<string[]> {
  const { versions } = await contentById(ctx, raw, query);
  const subjects = new Set(
    versions.filter((v) => shown(v, query)).map((v) => ctx.names.toSubject(v.artifact)),
  );
  return [...subjects].sort();
}

/** GET /schemas/ids/{id}/versions */
export async function versionsById(ctx: Ctx, raw: string, query: Query) {
  const { versions } = await contentById(ctx, raw, query);
  return versions
    .filter((v) => shown(v, query))
    .map((v) => ({ subject: ctx.names.toSubject(v.artifact), version: v.revision }))
    .sort((a, b) => a.subject.localeCompare(b.subject) || a.version - b.version);
}
