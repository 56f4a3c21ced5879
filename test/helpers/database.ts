/**
 * Reads an appliance's database file directly, to prove what a request did
 * or did not change.
 *
 * @module
 */
import { createClient } from "@libsql/client";
import { join } from "node:path";

/** The tables whose rows are the appliance's state ("unchanged" in API.md). */
export const DOMAIN_TABLES = [
  "users",
  "organizations",
  "api_keys",
  "samples",
  "sample_contents",
  "settings",
  "tls_certificates",
  "csa_devices",
];

export async function query(dataDir: string, sql: string, args: unknown[] = []) {
  const client = createClient({ url: `file:${join(dataDir, "portico.db")}`, intMode: "number" });
  try {
    const result = await client.execute({ sql, args: args as never });
    return result.rows.map((row) => ({ ...row }));
  } finally {
    client.close();
  }
}

/** Every row of every domain table that exists, in a stable order. */
export async function snapshot(dataDir: string): Promise<Record<string, unknown[]>> {
  const present = new Set(
    (await query(dataDir, "SELECT name FROM sqlite_master WHERE type = 'table'")).map(
      (r) => r.name as string,
    ),
  );
  const out: Record<string, unknown[]> = {};
  for (const table of DOMAIN_TABLES) {
    if (present.has(table))
      out[table] = await query(dataDir, `SELECT * FROM "${table}" ORDER BY 1`);
  }
  return out;
}
