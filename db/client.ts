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
   * with SQLITE_BUSY against an embedded file; those waiting together share
   * one commit, each in a savepoint of its own.
   */
  write<T>(fn: (tx: Executor) => Promise<T>): Promise<T>;
  /** Calls `listener` after every write transaction this process commits. */
  afterWrite(listener: () => void): void;
  close(): void;
}

/** How long a connection waits for another process's lock on the file, by default. */
export const DEFAULT_BUSY_TIMEOUT_MS = 10_000;

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

export interface OpenOptions {
  authToken?: string;
  createClient?: ClientFactory;
  /** How long to wait for another process's lock (default {@link DEFAULT_BUSY_TIMEOUT_MS}). */
  busyTimeoutMs?: number;
}

export async function openDatabase(url: string, options: OpenOptions = {}): Promise<Database> {
  const createClient = options.createClient ?? (await import("@libsql/client")).createClient;
  const kind = databaseKind(url);
  const connect = () =>
    createClient({
      url,
      authToken: options.authToken,
      timeout: options.busyTimeoutMs ?? DEFAULT_BUSY_TIMEOUT_MS,
      intMode: "number",
    });
  let current = connect();
  // A statement that failed with SQLITE_BUSY stays "in progress" on its
  // pooled connection until it is finalized, and every later COMMIT on that
  // connection fails. Replacing the pool after such a failure is what lets
  // the appliance recover by itself once the other process lets go.
  const client = new Proxy({} as Client, {
    get(_target, name) {
      const value = Reflect.get(current, name, current);
      return typeof value === "function" ? value.bind(current) : value;
    },
  });
  const reconnect = () => {
    const stale = current;
    current = connect();
    stale.close();
  };
  if (kind === "file") {
    // WAL lets readers go on while one writer commits; it is a property of
    // the file, so setting it once reaches every pooled connection.
    await client.execute("PRAGMA journal_mode = WAL");
  }
  const orm = drizzle(client, { schema }) as unknown as Executor;
  const committed: (() => void)[] = [];
  const pending: PendingWrite[] = [];
  let draining = false;

  /**
   * Group commit: the writes waiting when the writer is free run one after
   * another in one transaction, each in a savepoint of its own, and share
   * its one commit (one fsync of the WAL instead of one each). A write that
   * throws rolls back only its savepoint; the others commit.
   */
  const runBatch = async (batch: PendingWrite[]) => {
    const outcomes: { ok: boolean; value: unknown }[] = [];
    try {
      await orm.transaction(async (tx) => {
        if (batch.length === 1) {
          // Alone, a write needs no savepoint: its failure rolls back the transaction.
          outcomes.push({ ok: true, value: await batch[0].fn(tx as unknown as Executor) });
          return;
        }
        for (const item of batch) {
          try {
            const value = await tx.transaction((sp) => item.fn(sp as unknown as Executor));
            outcomes.push({ ok: true, value });
          } catch (error) {
            // A fault of the database itself spoils the whole transaction: give up on all.
            if (isDatabaseFault(error)) throw error;
            outcomes.push({ ok: false, value: error });
          }
        }
      });
    } catch (error) {
      if (kind === "file" && isLockFailure(error)) reconnect();
      for (const item of batch) item.reject(error);
      return;
    }
    for (const listener of committed) listener();
    batch.forEach((item, i) =>
      outcomes[i].ok ? item.resolve(outcomes[i].value) : item.reject(outcomes[i].value),
    );
  };

  const drain = async () => {
    draining = true;
    while (pending.length > 0) await runBatch(pending.splice(0, MAX_BATCH));
    draining = false;
  };

  const write = <T>(fn: (tx: Executor) => Promise<T>): Promise<T> =>
    new Promise<T>((resolve, reject) => {
      pending.push({ fn, resolve: resolve as (value: unknown) => void, reject });
      if (!draining) void drain();
    });

  return {
    kind,
    url,
    client,
    orm,
    write,
    afterWrite: (listener) => void committed.push(listener),
    close: () => current.close(),
  };
}

/** Writes that share one transaction at most. */
const MAX_BATCH = 64;

interface PendingWrite {
  fn: (tx: Executor) => Promise<unknown>;
  resolve(value: unknown): void;
  reject(error: unknown): void;
}

/**
 * Errors after which SQLite may have rolled the whole transaction back by
 * itself (or cannot go on), so no savepoint in it can be trusted. Other
 * errors (a constraint, a type mismatch, a bad statement) undo only their
 * statement, and are the write's own.
 */
const SPOILS_TRANSACTION =
  /^SQLITE_(BUSY|LOCKED|IOERR|FULL|NOMEM|CORRUPT|NOTADB|INTERRUPT|READONLY|CANTOPEN|PROTOCOL)/;

function isDatabaseFault(error: unknown): boolean {
  return hasSqliteCode(error, SPOILS_TRANSACTION);
}

/** SQLITE_BUSY or SQLITE_LOCKED (any extended form), here or in a wrapped cause. */
function isLockFailure(error: unknown): boolean {
  return hasSqliteCode(error, /^SQLITE_(BUSY|LOCKED)/);
}

/** Whether the error, or one of the causes it wraps, has a `code` matching `pattern`. */
function hasSqliteCode(error: unknown, pattern: RegExp): boolean {
  for (let e = error, depth = 0; e instanceof Error && depth < 8; e = e.cause, depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && pattern.test(code)) return true;
  }
  return false;
}
