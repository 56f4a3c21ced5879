/**
 * Settings an administrator changes at run time. Each is declared once with
 * its schema and default; the stored value wins over the default.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import * as v from "valibot";
import type { Database, Executor } from "../../db/client.ts";
import { settings } from "../../db/schema.ts";

/** How long another process's change may take to be seen here. */
const CACHE_MS = 1_000;

interface Definition {
  schema: v.GenericSchema;
  fallback: unknown;
  description: string;
  check?: SettingCheck;
}

/**
 * A rule a value must also meet, seen against the appliance's state;
 * returns the reason a value is refused, or null.
 */
export type SettingCheck = (
  value: unknown,
  /** Another setting's value as it will be once this change is stored. */
  after: (key: string) => Promise<unknown>,
) => string | null | Promise<string | null>;

export class Settings {
  private readonly definitions = new Map<string, Definition>();

  /** Declares a setting; a second declaration of the same key is refused. */
  define<S extends v.GenericSchema>(
    key: string,
    schema: S,
    fallback: v.InferOutput<S>,
    description: string,
    check?: SettingCheck,
  ): void {
    if (this.definitions.has(key)) throw new Error(`setting ${key} is declared twice`);
    this.definitions.set(key, { schema, fallback, description, check });
  }

  /** The reason `value` may not be stored under `key` now, or null. */
  async refusal(
    db: Executor,
    key: string,
    value: unknown,
    patch: Record<string, unknown> = {},
  ): Promise<string | null> {
    const after = (other: string) =>
      other in patch ? Promise.resolve(patch[other]) : this.get(db, other);
    return (await this.definitions.get(key)?.check?.(value, after)) ?? null;
  }

  has(key: string): boolean {
    return this.definitions.has(key);
  }

  schemaOf(key: string): v.GenericSchema {
    const def = this.definitions.get(key);
    if (!def) throw new Error(`setting ${key} is not declared`);
    return def.schema;
  }

  keys(): string[] {
    return [...this.definitions.keys()].sort();
  }

  describe(key: string): string {
    return this.definitions.get(key)?.description ?? "";
  }

  private cached: { values: Map<string, unknown>; until: number } | null = null;
  private reads: Database | null = null;

  /**
   * Keeps the stored values in memory for reads outside a transaction: every
   * write this process commits empties the copy, and another process's
   * change is seen within a second. A read inside a transaction always
   * asks the database, so the transaction sees its own view.
   */
  cacheReadsOf(database: Database): void {
    this.reads = database;
    database.afterWrite(() => {
      this.cached = null;
    });
  }

  async get<T>(db: Executor, key: string): Promise<T> {
    const def = this.definitions.get(key);
    if (!def) throw new Error(`setting ${key} is not declared`);
    if (this.reads && db === this.reads.orm) {
      const values = await this.stored(db);
      return (values.has(key) ? values.get(key) : def.fallback) as T;
    }
    const row = await db.select().from(settings).where(eq(settings.key, key)).get();
    return (row ? row.value : def.fallback) as T;
  }

  private async stored(db: Executor): Promise<Map<string, unknown>> {
    const now = Date.now();
    if (this.cached && this.cached.until > now) return this.cached.values;
    const rows = await db.select().from(settings).all();
    const values = new Map<string, unknown>(rows.map((r) => [r.key, r.value]));
    this.cached = { values, until: now + CACHE_MS };
    return values;
  }

  async all(db: Executor): Promise<Record<string, unknown>> {
    const rows = await db.select().from(settings).all();
    const stored = new Map(rows.map((r) => [r.key, r.value]));
    const out: Record<string, unknown> = {};
    for (const key of this.keys()) {
      out[key] = stored.has(key) ? stored.get(key) : this.definitions.get(key)!.fallback;
    }
    return out;
  }

  /** Stores a value that the caller has validated with {@link schemaOf}. */
  async set(tx: Executor, key: string, value: unknown): Promise<void> {
    if (!this.definitions.has(key)) throw new Error(`setting ${key} is not declared`);
    const updatedAt = new Date().toISOString();
    await tx
      .insert(settings)
      .values({ key, value, updatedAt })
      .onConflictDoUpdate({ target: settings.key, set: { value, updatedAt } });
  }

  /** Stores a value only if none is stored yet (first-boot seeding). */
  async seed(tx: Executor, key: string, value: unknown): Promise<void> {
    await tx
      .insert(settings)
      .values({ key, value, updatedAt: new Date().toISOString() })
      .onConflictDoNothing();
  }
}
