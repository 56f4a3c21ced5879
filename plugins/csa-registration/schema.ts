/**
 * csa-registration's own table: every registration attempt, whatever its
 * outcome, with where it came from and what the device said.
 *
 * @module
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const registrationAttempts = sqliteTable(
  "csa_registration_attempts",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    at: text("at").notNull(),
    /** The client ID as sent (cut to 100 characters), valid or not. */
    clientId: text("client_id"),
    source: text("source"),
    deviceType: text("device_type"),
    attributes: text("attributes", { mode: "json" }).$type<Record<string, string>>(),
    /** `created`, `rekeyed`, `updated`, `reregistered`, or the refusal's code. */
    outcome: text("outcome").notNull(),
    status: integer("status").notNull(),
  },
  (t) => [index("csa_attempts_client").on(t.clientId, t.id)],
);

/** What each registered device last said about itself. */
export const devices = sqliteTable("csa_devices", {
  userId: integer("user_id").primaryKey(),
  clientId: text("client_id").notNull().unique(),
  deviceType: text("device_type").notNull(),
  model: text("model"),
  serial: text("serial"),
  hostname: text("hostname"),
  softwareVersion: text("software_version"),
  registeredAt: text("registered_at").notNull(),
  lastRegisteredAt: text("last_registered_at").notNull(),
});

/** Tokens an administrator hands out when registration needs one. */
export const registrationTokens = sqliteTable("csa_registration_tokens", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  /** SHA-256 (hex) of the token; the token itself is shown once. */
  hash: text("hash").notNull().unique(),
  prefix: text("prefix").notNull(),
  description: text("description"),
  /** New devices registered with the token join this organization. */
  organizationId: integer("organization_id"),
  maxUses: integer("max_uses"),
  uses: integer("uses").notNull().default(0),
  expiresAt: text("expires_at").notNull(),
  createdAt: text("created_at").notNull(),
  createdBy: text("created_by").notNull(),
  revokedAt: text("revoked_at"),
});

export const migrations = [
  {
    id: "0001_attempts",
    sql: `
CREATE TABLE "csa_registration_attempts" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "at" text NOT NULL,
  "client_id" text,
  "source" text,
  "device_type" text,
  "attributes" text,
  "outcome" text NOT NULL,
  "status" integer NOT NULL
);
--> statement-breakpoint
CREATE INDEX "csa_attempts_client" ON "csa_registration_attempts" ("client_id", "id");
--> statement-breakpoint
CREATE TABLE "csa_devices" (
  "user_id" integer PRIMARY KEY NOT NULL,
  "client_id" text NOT NULL UNIQUE,
  "device_type" text NOT NULL,
  "model" text,
  "serial" text,
  "hostname" text,
  "software_version" text,
  "registered_at" text NOT NULL,
  "last_registered_at" text NOT NULL
);
`,
  },
  {
    id: "0002_tokens",
    sql: `
CREATE TABLE "csa_registration_tokens" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "hash" text NOT NULL UNIQUE,
  "prefix" text NOT NULL,
  "description" text,
  "organization_id" integer,
  "max_uses" integer,
  "uses" integer DEFAULT 0 NOT NULL,
  "expires_at" text NOT NULL,
  "created_at" text NOT NULL,
  "created_by" text NOT NULL,
  "revoked_at" text
);
`,
  },
];
