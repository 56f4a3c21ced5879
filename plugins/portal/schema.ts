/**
 * portal's tables: the console's sessions, and the failed sign-ins that
 * lock a login or a source out for a while.
 *
 * @module
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Migration } from "../../src/migrate.ts";

/** One row per signed-in console session. */
export const sessions = sqliteTable(
  "portal_sessions",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    /** SHA-256 (hex) of the cookie's token; the token itself is never stored. */
    tokenHash: text("token_hash").notNull().unique(),
    userId: integer("user_id").notNull(),
    login: text("login").notNull(),
    /** The API key made for this session alone, sealed, and its row id for revocation. */
    keySealed: text("key_sealed").notNull(),
    keyId: integer("key_id").notNull(),
    /** Sent in every form of the session and compared on every POST. */
    csrfToken: text("csrf_token").notNull(),
    source: text("source"),
    createdAt: text("created_at").notNull(),
    lastSeenAt: text("last_seen_at").notNull(),
    /** The latest the session may live, however active it is. */
    expiresAt: text("expires_at").notNull(),
  },
  (t) => [index("portal_sessions_expiry").on(t.expiresAt)],
);

/** A session row. */
export type Session = typeof sessions.$inferSelect;

/** One row per failed sign-in, kept for the lockout period. */
export const signInFailures = sqliteTable(
  "portal_sign_in_failures",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    login: text("login").notNull(),
    source: text("source").notNull(),
  },
  (t) => [
    index("portal_failures_login").on(t.login, t.at),
    index("portal_failures_source").on(t.source, t.at),
  ],
);

/** portal's migrations, applied under its own migrations table. */
export const migrations: Migration[] = [
  {
    id: "0001_sessions",
    sql: `
CREATE TABLE "portal_sessions" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "token_hash" text NOT NULL UNIQUE,
  "user_id" integer NOT NULL,
  "login" text NOT NULL,
  "key_sealed" text NOT NULL,
  "key_id" integer NOT NULL,
  "csrf_token" text NOT NULL,
  "source" text,
  "created_at" text NOT NULL,
  "last_seen_at" text NOT NULL,
  "expires_at" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "portal_sessions_expiry" ON "portal_sessions" ("expires_at");
--> statement-breakpoint
CREATE TABLE "portal_sign_in_failures" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "at" text NOT NULL,
  "login" text NOT NULL,
  "source" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "portal_failures_login" ON "portal_sign_in_failures" ("login", "at");
--> statement-breakpoint
CREATE INDEX "portal_failures_source" ON "portal_sign_in_failures" ("source", "at");
`,
  },
];
