/** The kernel's migrations, in order; the first was generated from `db/schema.ts`. */
import type { Migration } from "../../src/migrate.ts";

export const kernelMigrations: Migration[] = [
  {
    id: "0001_init",
    sql: `
CREATE TABLE "api_keys" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "user_id" integer NOT NULL,
  "hash" text NOT NULL,
  "prefix" text NOT NULL,
  "created_at" text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
  "revoked_at" text,
  FOREIGN KEY ("user_id") REFERENCES "users"("id") ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX "api_keys_hash" ON "api_keys" ("hash");--> statement-breakpoint
CREATE INDEX "api_keys_user" ON "api_keys" ("user_id");--> statement-breakpoint
CREATE TABLE "audit_events" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "at" text NOT NULL,
  "actor" text NOT NULL,
  "action" text NOT NULL,
  "target" text,
  "source" text,
  "outcome" text NOT NULL,
  "detail" text
);
--> statement-breakpoint
CREATE INDEX "audit_at" ON "audit_events" ("at");--> statement-breakpoint
CREATE TABLE "event_dispatches" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "event_id" integer NOT NULL,
  "subscriber" text NOT NULL,
  "status" text NOT NULL,
  "attempts" integer DEFAULT 0 NOT NULL,
  "next_at" text NOT NULL,
  "lease_until" text,
  "last_error" text,
  FOREIGN KEY ("event_id") REFERENCES "events"("id") ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE INDEX "event_dispatches_due" ON "event_dispatches" ("status","next_at");--> statement-breakpoint
CREATE UNIQUE INDEX "event_dispatches_once" ON "event_dispatches" ("event_id","subscriber");--> statement-breakpoint
CREATE TABLE "events" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "event_id" text NOT NULL,
  "type" text NOT NULL,
  "payload" text NOT NULL,
  "created_at" text NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "events_event_id_unique" ON "events" ("event_id");--> statement-breakpoint
CREATE TABLE "locks" (
  "name" text PRIMARY KEY NOT NULL,
  "holder" text NOT NULL,
  "until" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "organizations" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "name" text NOT NULL,
  "created_at" text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE UNIQUE INDEX "organizations_name_unique" ON "organizations" ("name");--> statement-breakpoint
CREATE TABLE "sample_contents" (
  "sample_id" text PRIMARY KEY NOT NULL,
  "content" blob NOT NULL,
  FOREIGN KEY ("sample_id") REFERENCES "samples"("id") ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE TABLE "samples" (
  "id" text PRIMARY KEY NOT NULL,
  "organization_id" integer NOT NULL,
  "user_id" integer NOT NULL,
  "login" text NOT NULL,
  "filename" text NOT NULL,
  "size" integer NOT NULL,
  "md5" text NOT NULL,
  "sha1" text NOT NULL,
  "sha256" text NOT NULL,
  "state" text NOT NULL,
  "private" integer NOT NULL,
  "tags" text NOT NULL,
  "vm" text,
  "playbook" text,
  "network_exit" text,
  "disposition" text,
  "threat_score" integer,
  "submitted_at" text NOT NULL,
  "analyzed_at" text
);
--> statement-breakpoint
CREATE INDEX "samples_sha256" ON "samples" ("sha256");--> statement-breakpoint
CREATE INDEX "samples_md5" ON "samples" ("md5");--> statement-breakpoint
CREATE INDEX "samples_sha1" ON "samples" ("sha1");--> statement-breakpoint
CREATE INDEX "samples_org" ON "samples" ("organization_id","submitted_at");--> statement-breakpoint
CREATE TABLE "settings" (
  "key" text PRIMARY KEY NOT NULL,
  "value" text NOT NULL,
  "updated_at" text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL
);
--> statement-breakpoint
CREATE TABLE "users" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "login" text NOT NULL,
  "name" text,
  "email" text,
  "organization_id" integer NOT NULL,
  "role" text NOT NULL,
  "active" integer NOT NULL,
  "device" integer DEFAULT false NOT NULL,
  "integration_id" text,
  "api_only" integer DEFAULT true NOT NULL,
  "password_hash" text,
  "reregister_until" text,
  "created_at" text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
  "updated_at" text DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')) NOT NULL,
  FOREIGN KEY ("organization_id") REFERENCES "organizations"("id") ON UPDATE no action ON DELETE no action
);
--> statement-breakpoint
CREATE UNIQUE INDEX "users_login_unique" ON "users" ("login");--> statement-breakpoint
CREATE INDEX "users_org" ON "users" ("organization_id");`,
  },
  {
    id: "0002_sample_rate_indexes",
    sql: `
CREATE INDEX "samples_user" ON "samples" ("user_id", "submitted_at");
--> statement-breakpoint
CREATE INDEX "samples_submitted" ON "samples" ("submitted_at");
`,
  },
];
