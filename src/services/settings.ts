/**
 * Settings an administrator changes at run time. Each is declared once with
 * its schema and default; the stored value wins over the default.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import * as v from "valibot";
import type { Executor } from "../../db/client.ts";
import { settings } from "../../db/schema.ts";

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
export type SettingCheck = (value: unknown) => string | null | Promise<string | null>;

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
  async refusal(key: string, value: unknown): Promise<string | null> {
    return (await this.definitions.get(key)?.check?.(value)) ?? null;
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

  async get<T>(db: Executor, key: string): Promise<T> {
    const def = this.definitions.get(key);
    if (!def) throw new Error(`setting ${key} is not declared`);
    const row = await db.select().from(settings).where(eq(settings.key, key)).get();
    return (row ? row.value : def.fallback) as T;
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
