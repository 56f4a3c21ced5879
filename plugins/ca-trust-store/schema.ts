/**
 * ca-trust-store's table: the certificates the outbound client trusts.
 *
 * @module
 */
import { sqliteTable, text } from "drizzle-orm/sqlite-core";
import type { Migration } from "../../src/migrate.ts";

export const caCertificates = sqliteTable("ca_certificates", {
  /** SHA-256 of the DER, hex: the entry's identity. */
  sha256: text("sha256").primaryKey(),
  pem: text("pem").notNull(),
  subject: text("subject").notNull(),
  issuer: text("issuer").notNull(),
  /** `ca`, `pinned` (self-signed server certificate) or `intermediate`. */
  kind: text("kind", { enum: ["ca", "pinned", "intermediate"] }).notNull(),
  notBefore: text("not_before").notNull(),
  notAfter: text("not_after").notNull(),
  serial: text("serial").notNull(),
  keyAlgorithm: text("key_algorithm").notNull(),
  addedBy: text("added_by").notNull(),
  addedAt: text("added_at").notNull(),
});

export type CaCertificate = typeof caCertificates.$inferSelect;

export const migrations: Migration[] = [
  {
    id: "0001_ca_certificates",
    sql: `
CREATE TABLE "ca_certificates" (
  "sha256" text PRIMARY KEY NOT NULL,
  "pem" text NOT NULL,
  "subject" text NOT NULL,
  "issuer" text NOT NULL,
  "kind" text NOT NULL,
  "not_before" text NOT NULL,
  "not_after" text NOT NULL,
  "serial" text NOT NULL,
  "key_algorithm" text NOT NULL,
  "added_by" text NOT NULL,
  "added_at" text NOT NULL
);
--> statement-breakpoint
CREATE INDEX "ca_certificates_not_after" ON "ca_certificates" ("not_after");
`,
  },
];
