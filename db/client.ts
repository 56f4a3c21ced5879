/**
 * Opens the appliance's database: a libSQL file by default, or a libSQL
 * server (sqld, Turso) for scale-out.
 *
 * @module
 */
import type { Client, Config as LibsqlConfig } from "@libsql/client";
import type { ResultSet } from "@libsql/client";
import { drizzle } from "drizzle-orm/libsql/web";
import type { BaseSQLiteDatabase } from "drizzle-orm/sqlite-core";
import * as schema from "./schema.ts";

/** A drizzle handle: the database itself or a transaction on it. */
export type Executor = BaseSQLiteDatabase<"async", ResultSet, typeof schema>;

/** What a database URL means for how writes must be coordinated. */
export type DatabaseKind = "file" | "memory" | "remote";

export interface Database {
  readonly kind: DatabaseKind;
  readonly url: string;
  /** The libSQL client, for migrations and raw statements. */
  readonly client: Client;
  /** For reads. Writes go through {@link Database.write}. */
  readonly orm: Executor;
  /**
   * Runs `fn` in one write transaction: all of it commits or none of it.
   * Writes are queued in this process, so concurrent requests never fail
   * with SQLITE_BUSY against an embedded file.
   */
  write<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  close(): void;
}

/** How long a connection waits for another process's lock on the file. */
const BUSY_TIMEOUT_MS = 10_000;

export function databaseKind(url: string): DatabaseKind {
  if (url === ":memory:" || url === "file::memory:") return "memory";
  if (url.startsWith("file:")) return "file";
  return "remote";
}

/**
 * Loads the client that fits the runtime: the native one where there is a
 * file system, the web one (remote only) on edge runtimes.
 */
export type ClientFactory = (config: LibsqlConfig) => Client;

export async function openDatabase(
  url: string,
  options: { authToken?: string; createClient?: ClientFactory } = {},
): Promise<Database> {
  const createClient = options.createClient ?? (await import("@libsql/client")).createClient;
  const kind = databaseKind(url);
  const client = createClient({
    url,
    authToken: options.authToken,
    timeout: BUSY_TIMEOUT_MS,
    intMode: "number",
  });
  if (kind === "file") {
    // WAL lets readers go on while one writer commits; it is a property of
    // the file, so setting it once reaches every pooled connection.
    await client.execute("PRAGMA journal_mode = WAL");
  }
  const orm = drizzle(client, { schema }) as unknown as Executor;
  let queue: Promise<unknown> = Promise.resolve();

  const write = <T>(fn: (tx: Executor) => Promise<T>): Promise<T> => {
    const run = () => orm.transaction((tx) => fn(tx as unknown as Executor));
    const result = queue.then(run, run);
    queue = result.catch(() => undefined);
    return result;
  };

  return {
    kind,
    url,
    client,
    orm,
    write,
    close: () => client.close(),
  };
}
