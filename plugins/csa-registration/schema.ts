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
];
