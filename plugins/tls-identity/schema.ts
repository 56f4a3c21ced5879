/**
 * tls-identity's own table: each interface's certificates, the active one
 * and those it replaced. The private key is stored sealed.
 *
 * @module
 */
import { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";

export const certificates = sqliteTable(
  "tls_certificates",
  {
    id: integer("id").primaryKey({ autoIncrement: true }),
    interface: text("interface").notNull(),
    status: text("status", { enum: ["active", "retired"] }).notNull(),
    /** The leaf, PEM. */
    certificatePem: text("certificate_pem").notNull(),
    /** The intermediates served after the leaf, PEM, in order; may be empty. */
    chainPem: text("chain_pem").notNull(),
    privateKeySealed: text("private_key_sealed").notNull(),
    fingerprintSha256: text("fingerprint_sha256").notNull(),
    source: text("source", { enum: ["generated", "uploaded"] }).notNull(),
    createdAt: text("created_at").notNull(),
    retiredAt: text("retired_at"),
  },
  (t) => [index("tls_certificates_interface").on(t.interface, t.status)],
);

export type CertificateRow = typeof certificates.$inferSelect;

export const migrations = [
  {
    id: "0001_certificates",
    sql: `
CREATE TABLE "tls_certificates" (
  "id" integer PRIMARY KEY AUTOINCREMENT NOT NULL,
  "interface" text NOT NULL,
  "status" text NOT NULL,
  "certificate_pem" text NOT NULL,
  "chain_pem" text NOT NULL,
  "private_key_sealed" text NOT NULL,
  "fingerprint_sha256" text NOT NULL,
  "source" text NOT NULL,
  "created_at" text NOT NULL,
  "retired_at" text
);
--> statement-breakpoint
CREATE INDEX "tls_certificates_interface" ON "tls_certificates" ("interface", "status");
--> statement-breakpoint
CREATE UNIQUE INDEX "tls_certificates_one_active" ON "tls_certificates" ("interface")
  WHERE "status" = 'active';
`,
  },
];
