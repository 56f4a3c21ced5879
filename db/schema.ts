/**
 * The kernel's tables: the data every plugin shares. Plugins own their own
 * tables, declared in their folders and created by their own migrations.
 *
 * @module
 */
import { sql } from "drizzle-orm";
import { blob, index, integer, sqliteTable, text, uniqueIndex } from "drizzle-orm/sqlite-core";

const now = sql`(strftime('%Y-%m-%dT%H:%M:%fZ', 'now'))`;

export const settings = sqliteTable("settings", {
  key: text("key").primaryKey(),
  value: text("value", { mode: "json" }).notNull(),
  updatedAt: text("updated_at").notNull().default(now),
});

export const organizations = sqliteTable("organizations", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull().unique(),
  createdAt: text("created_at").notNull().default(now),
});

export const users = sqliteTable(
  "users",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    login: text("login").notNull().unique(),
    name: text("name"),
    email: text("email"),
    organizationId: integer("organization_id")
      .notNull()
      .references(() => organizations.id),
    role: text("role", { enum: ["admin", "org-admin", "user", "device"] }).notNull(),
    active: integer("active", { mode: "boolean" }).notNull(),
    device: integer("device", { mode: "boolean" }).notNull().default(false),
    /** For devices: esa, wsa, sma, fmc, other. For integrations: its name. */
    integrationId: text("integration_id"),
    apiOnly: integer("api_only", { mode: "boolean" }).notNull().default(true),
    passwordHash: text("password_hash"),
    /** A device whose key an admin reset may register again until then. */
    reregisterUntil: text("reregister_until"),
    createdAt: text("created_at").notNull().default(now),
    updatedAt: text("updated_at").notNull().default(now),
  },
  (t) => [index("users_org").on(t.organizationId)],
);

export const apiKeys = sqliteTable(
  "api_keys",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    userId: integer("user_id")
      .notNull()
      .references(() => users.id),
    /** SHA-256 (hex) of the whole key; the key itself is never stored. */
    hash: text("hash").notNull(),
    /** The first characters, to tell keys apart in listings. */
    prefix: text("prefix").notNull(),
    createdAt: text("created_at").notNull().default(now),
    revokedAt: text("revoked_at"),
  },
  (t) => [uniqueIndex("api_keys_hash").on(t.hash), index("api_keys_user").on(t.userId)],
);

export const samples = sqliteTable(
  "samples",
  {
    id: text("id").primaryKey(),
    organizationId: integer("organization_id").notNull(),
    userId: integer("user_id").notNull(),
    login: text("login").notNull(),
    filename: text("filename").notNull(),
    size: integer("size").notNull(),
    md5: text("md5").notNull(),
    sha1: text("sha1").notNull(),
    sha256: text("sha256").notNull(),
    state: text("state", { enum: ["wait", "run", "succ", "fail"] }).notNull(),
    private: integer("private", { mode: "boolean" }).notNull(),
    tags: text("tags", { mode: "json" }).$type<string[]>().notNull(),
    vm: text("vm"),
    playbook: text("playbook"),
    networkExit: text("network_exit"),
    disposition: text("disposition", { enum: ["malicious", "clean", "unknown"] }),
    threatScore: integer("threat_score"),
    submittedAt: text("submitted_at").notNull(),
    analyzedAt: text("analyzed_at"),
  },
  (t) => [
    index("samples_sha256").on(t.sha256),
    index("samples_md5").on(t.md5),
    index("samples_sha1").on(t.sha1),
    index("samples_org").on(t.organizationId, t.submittedAt),
    index("samples_user").on(t.userId, t.submittedAt),
    index("samples_submitted").on(t.submittedAt),
  ],
);

/** Sample bytes, apart from their metadata so that listings stay light. */
export const sampleContents = sqliteTable("sample_contents", {
  sampleId: text("sample_id")
    .primaryKey()
    .references(() => samples.id),
  content: blob("content", { mode: "buffer" }).notNull(),
});

export const auditEvents = sqliteTable(
  "audit_events",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    actor: text("actor").notNull(),
    action: text("action").notNull(),
    target: text("target"),
    source: text("source"),
    outcome: text("outcome").notNull(),
    detail: text("detail", { mode: "json" }).$type<Record<string, unknown>>(),
  },
  (t) => [index("audit_at").on(t.at)],
);

/**
 * The outbox: every state change others must hear about, written in the
 * transaction that made it.
 */
export const events = sqliteTable("events", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  eventId: text("event_id").notNull().unique(),
  type: text("type").notNull(),
  payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  createdAt: text("created_at").notNull(),
});

/** One row per event and subscriber, claimed by workers with a lease. */
export const eventDispatches = sqliteTable(
  "event_dispatches",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    eventId: integer("event_id")
      .notNull()
      .references(() => events.id),
    subscriber: text("subscriber").notNull(),
    status: text("status", { enum: ["pending", "done", "failed"] }).notNull(),
    attempts: integer("attempts").notNull().default(0),
    nextAt: text("next_at").notNull(),
    leaseUntil: text("lease_until"),
    lastError: text("last_error"),
  },
  (t) => [
    index("event_dispatches_due").on(t.status, t.nextAt),
    uniqueIndex("event_dispatches_once").on(t.eventId, t.subscriber),
  ],
);

/** Cross-process locks for first-boot work and singleton jobs. */
export const locks = sqliteTable("locks", {
  name: text("name").primaryKey(),
  holder: text("holder").notNull(),
  until: text("until").notNull(),
});
