/**
 * Runs migrations, each owner (the kernel, every plugin) with a migrations
 * table of its own: drizzle's migrator skips a migration older than the
 * newest applied one, so a shared table would lose migrations silently.
 *
 * @module
 */
import type { Client } from "@libsql/client";

export interface Migration {
  /** Unique within its owner and sorted in the order to apply, e.g. `0001_init`. */
  id: string;
  /**
   * One or more statements, each ended by `;`. Drizzle Kit's
   * `--> statement-breakpoint` lines may stand between them (they are comments).
   */
  sql: string;
}

export class MigrationError extends Error {
  constructor(
    readonly owner: string,
    readonly migrationId: string,
    cause: unknown,
  ) {
    const reason = cause instanceof Error ? cause.message : String(cause);
    super(`migration ${migrationId} of ${owner} failed: ${reason}`, { cause });
    this.name = "MigrationError";
  }
}

/** The migrations table of an owner: `__migrations_<owner>`. */
export function migrationsTable(owner: string): string {
  return `__migrations_${owner.replace(/[^a-zA-Z0-9]/g, "_")}`;
}

/**
 * Applies the owner's pending migrations, each in one transaction together
 * with its record, so several processes starting at once apply it once.
 * Returns the ids it applied.
 */
export async function runMigrations(
  client: Client,
  owner: string,
  migrations: readonly Migration[],
): Promise<string[]> {
  const table = migrationsTable(owner);
  await client.execute(
    `CREATE TABLE IF NOT EXISTS "${table}" (id TEXT PRIMARY KEY, applied_at TEXT NOT NULL)`,
  );
  const applied: string[] = [];
  // One read first: on a restart every migration is applied, and none then
  // needs a write transaction of its own.
  const recorded = await client.execute(`SELECT id FROM "${table}"`);
  const known = new Set(recorded.rows.map((row) => String(row.id)));
  for (const migration of migrations) {
    if (known.has(migration.id)) continue;
    const tx = await client.transaction("write");
    try {
      const done = await tx.execute({
        sql: `SELECT 1 FROM "${table}" WHERE id = ?`,
        args: [migration.id],
      });
      if (done.rows.length > 0) {
        await tx.rollback();
        continue;
      }
      // SQLite runs every statement of the text, not only the first one.
      await tx.executeMultiple(migration.sql);
      await tx.execute({
        sql: `INSERT INTO "${table}" (id, applied_at) VALUES (?, ?)`,
        args: [migration.id, new Date().toISOString()],
      });
      await tx.commit();
      applied.push(migration.id);
    } catch (error) {
      if (!tx.closed) await tx.rollback().catch(() => undefined);
      throw new MigrationError(owner, migration.id, error);
    } finally {
      tx.close();
    }
  }
  return applied;
}
