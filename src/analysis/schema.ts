/**
 * The analysis module's tables. They have their own migrations (and
 * migrations table) so that they stay apart from the kernel's core schema.
 *
 * @module
 */
import { integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Migration } from "../migrate.ts";

/** The last `sequence` given to a `disposition.changed` event, per sha256. */
export const dispositionSequences = sqliteTable("disposition_sequences", {
  sha256: text("sha256").primaryKey(),
  sequence: integer("sequence").notNull(),
});

/** Verdicts an administrator set for known hashes; the built-in analyzer reads them. */
export const knownVerdicts = sqliteTable("known_verdicts", {
  sha256: text("sha256").primaryKey(),
  disposition: text("disposition", { enum: ["malicious", "clean", "unknown"] }).notNull(),
  threatScore: integer("threat_score").notNull(),
  reason: text("reason"),
  updatedBy: text("updated_by").notNull(),
  updatedAt: text("updated_at").notNull(),
});

/** Which process analyses a sample in state `run`, and until when. */
export const analysisLeases = sqliteTable("analysis_leases", {
  sampleId: text("sample_id").primaryKey(),
  holder: text("holder").notNull(),
  leaseUntil: text("lease_until").notNull(),
});

export const ANALYSIS_OWNER = "kernel-analysis";

export const analysisMigrations: Migration[] = [
  {
    id: "0001_analysis",
    sql: `
CREATE TABLE "disposition_sequences" (
  "sha256" text PRIMARY KEY NOT NULL,
  "sequence" integer NOT NULL
);
--> statement-breakpoint
CREATE TABLE "known_verdicts" (
  "sha256" text PRIMARY KEY NOT NULL,
  "disposition" text NOT NULL,
  "threat_score" integer NOT NULL,
  "reason" text,
  "updated_by" text NOT NULL,
  "updated_at" text NOT NULL
);
--> statement-breakpoint
CREATE TABLE "analysis_leases" (
  "sample_id" text PRIMARY KEY NOT NULL,
  "holder" text NOT NULL,
  "lease_until" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "analysis_samples_waiting" ON "samples" ("state", "submitted_at");
`,
  },
];
