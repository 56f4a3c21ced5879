/**
 * disposition-syndication's tables: the services, one delivery per
 * disposition change and service, and every attempt to send one.
 *
 * @module
 */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Migration } from "../../src/migrate.ts";

/** Why deliveries to a service stopped until the administrator acts, or `ok`. */
export type ServiceStatus = "ok" | "credentials_rejected" | "untrusted";

export const services = sqliteTable("disposition_services", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  name: text("name").notNull(),
  url: text("url").notNull(),
  username: text("username").notNull(),
  passwordSealed: text("password_sealed").notNull(),
  enabled: integer("enabled", { mode: "boolean" }).notNull(),
  status: text("status", { enum: ["ok", "credentials_rejected", "untrusted"] }).notNull(),
  lastError: text("last_error"),
  lastErrorAt: text("last_error_at"),
  lastSuccessAt: text("last_success_at"),
  /** The trust anchor the service's chain was last verified against. */
  anchorSha256: text("anchor_sha256"),
  createdAt: text("created_at").notNull(),
  updatedAt: text("updated_at").notNull(),
});

export type DeliveryStatus = "pending" | "held" | "delivered" | "failed";

export const deliveries = sqliteTable("disposition_deliveries", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  serviceId: integer("service_id").notNull(),
  /** The `disposition.changed` event: the `Idempotency-Key` of every attempt. */
  eventId: text("event_id").notNull(),
  sha256: text("sha256").notNull(),
  sequence: integer("sequence").notNull(),
  /** The event's payload, from which the request body is made. */
  payload: text("payload", { mode: "json" }).$type<Record<string, unknown>>().notNull(),
  status: text("status", { enum: ["pending", "held", "delivered", "failed"] }).notNull(),
  attempts: integer("attempts").notNull().default(0),
  /**
   * Attempts the service refused for its credentials or trust: counted in
   * `attempts` and the log, but not against the retry budget, since the
   * fault was the configuration's, not this delivery's.
   */
  blockedAttempts: integer("blocked_attempts").notNull().default(0),
  nextAt: text("next_at").notNull(),
  leaseUntil: text("lease_until"),
  leaseHolder: text("lease_holder"),
  lastStatus: integer("last_status"),
  lastError: text("last_error"),
  createdAt: text("created_at").notNull(),
  finishedAt: text("finished_at"),
});

export type Delivery = typeof deliveries.$inferSelect;
export type Service = typeof services.$inferSelect;

export const attempts = sqliteTable("disposition_attempts", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  deliveryId: integer("delivery_id").notNull(),
  serviceId: integer("service_id").notNull(),
  attempt: integer("attempt").notNull(),
  startedAt: text("started_at").notNull(),
  finishedAt: text("finished_at").notNull(),
  httpStatus: integer("http_status"),
  outcome: text("outcome", { enum: ["delivered", "retry", "failed", "blocked"] }).notNull(),
  /** What went wrong, from the outbound client: never a header value or a password. */
  error: text("error"),
});

export const migrations: Migration[] = [
  {
    id: "0001_syndication",
    sql: `
CREATE TABLE "disposition_services" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "name" text NOT NULL,
  "url" text NOT NULL,
  "username" text NOT NULL,
  "password_sealed" text NOT NULL,
  "enabled" integer NOT NULL,
  "status" text NOT NULL,
  "last_error" text,
  "last_error_at" text,
  "last_success_at" text,
  "anchor_sha256" text,
  "created_at" text NOT NULL,
  "updated_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "disposition_deliveries" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "service_id" integer NOT NULL,
  "event_id" text NOT NULL,
  "sha256" text NOT NULL,
  "sequence" integer NOT NULL,
  "payload" text NOT NULL,
  "status" text NOT NULL,
  "attempts" integer DEFAULT 0 NOT NULL,
  "next_at" text NOT NULL,
  "lease_until" text,
  "lease_holder" text,
  "last_status" integer,
  "last_error" text,
  "created_at" text NOT NULL,
  "finished_at" text
);
--> statement-breakpoint
CREATE UNIQUE INDEX "disposition_deliveries_once"
  ON "disposition_deliveries" ("service_id", "event_id");
--> statement-breakpoint
CREATE INDEX "disposition_deliveries_due" ON "disposition_deliveries" ("status", "next_at");
--> statement-breakpoint
CREATE INDEX "disposition_deliveries_order"
  ON "disposition_deliveries" ("service_id", "sha256", "sequence");
--> statement-breakpoint
CREATE TABLE "disposition_attempts" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "delivery_id" integer NOT NULL,
  "service_id" integer NOT NULL,
  "attempt" integer NOT NULL,
  "started_at" text NOT NULL,
  "finished_at" text NOT NULL,
  "http_status" integer,
  "outcome" text NOT NULL,
  "error" text
);
--> statement-breakpoint
CREATE INDEX "disposition_attempts_delivery" ON "disposition_attempts" ("delivery_id");
`,
  },
  {
    id: "0002_blocked_attempts",
    sql: `ALTER TABLE "disposition_deliveries" ADD COLUMN "blocked_attempts" integer DEFAULT 0 NOT NULL;`,
  },
];
