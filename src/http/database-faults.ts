/**
 * Tells a database that is locked, unreachable or failing underneath from
 * a bug: the first answers 503 with `Retry-After` and the appliance
 * recovers by itself once the database returns; the second stays a 500.
 *
 * @module
 */
import { Problem } from "../errors.ts";

/** Seconds a client should wait before trying again. */
export const DATABASE_RETRY_AFTER_SECONDS = 5;

/**
 * SQLite result codes (and their extended forms) that mean the file is
 * held by another process, cannot be read or written, or is full.
 */
const SQLITE_UNAVAILABLE =
  /^SQLITE_(BUSY|LOCKED|IOERR|CANTOPEN|PROTOCOL|FULL|READONLY|NOLFS|NOTADB)(_|$)/;

/** libSQL client codes for a remote server (sqld, Turso) that went away. */
const REMOTE_UNAVAILABLE = new Set([
  "SERVER_ERROR",
  "HRANA_WEBSOCKET_ERROR",
  "HRANA_CLOSED_ERROR",
  "STREAM_EXPIRED",
  "CLIENT_CLOSED",
]);

/** Network failures as Node, Bun and undici name them. */
const NETWORK_UNAVAILABLE = new RegExp(
  "^(ECONNREFUSED|ECONNRESET|ETIMEDOUT|EHOSTUNREACH|ENETUNREACH|EPIPE|EAI_AGAIN|" +
    "ConnectionRefused|ConnectionClosed|FailedToOpenSocket|UND_ERR_.*)$",
);

function isUnavailableCode(code: unknown): boolean {
  if (typeof code !== "string") return false;
  return (
    SQLITE_UNAVAILABLE.test(code) || REMOTE_UNAVAILABLE.has(code) || NETWORK_UNAVAILABLE.test(code)
  );
}

/**
 * True when `error`, or an error it wraps (drizzle wraps the driver's
 * error as its `cause`), says the database is unavailable rather than the
 * query wrong.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  let current: unknown = error;
  for (let depth = 0; depth < 8 && current instanceof Error; depth++) {
    const { code } = current as { code?: unknown };
    if (isUnavailableCode(code)) return true;
    current = current.cause;
  }
  return false;
}

/** The 503 problem for a database that is locked or unreachable. */
export function databaseUnavailable(cause?: unknown): Problem {
  return new Problem(
    503,
    "database_unavailable",
    "Database unavailable",
    "The appliance cannot use its database right now (locked by another process or " +
      "unreachable); it recovers by itself when the database returns: try again after " +
      `${DATABASE_RETRY_AFTER_SECONDS} seconds.`,
    { headers: { "Retry-After": String(DATABASE_RETRY_AFTER_SECONDS) }, cause },
  );
}
