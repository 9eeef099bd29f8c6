import { randomBytes } from 'node:crypto';
import pg from 'pg';

/** A database of its own for one test file, on the server at `url`; `drop()` removes it. */
export interface ScratchDatabase {
  /** The connection URL of the new database. */
  readonly url: string;
  readonly name: string;
  drop(): Promise<void>;
}

/** Creates `<prefix>_<random hex>` on the server at `url` (an admin connection URL). */
export async function createScratchDatabase(url: string, prefix: string): Promise<ScratchDatabase> {
  const name = `${prefix}_${randomBytes(5).toString('hex')}`;
  const admin = new pg.Client({ connectionString: url });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } catch (error) {
    await admin.end();
    throw error;
  }
  const u = new URL(url);
  u.pathname = `/${name}`;
  return {
    url: u.toString(),
    name,
    async drop() {
      try {
        await admin.query(`DROP DATABASE IF EXISTS "${name}" WITH (FORCE)`);
      } finally {
        await admin.end();
      }
    },
  };
}
