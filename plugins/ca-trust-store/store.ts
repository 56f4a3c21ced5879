/**
 * The trust store's rows: adding parsed anchors, reading the active set,
 * deleting one. Expiry is judged when read, so an anchor leaves the active
 * set the moment it expires, in every process.
 *
 * @module
 */
import { asc, eq, gt } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import type { PkiWarning, TrustAnchor } from "../../src/pki/index.ts";
import { caCertificates } from "./schema.ts";
import type { CaCertificate } from "./schema.ts";

/** The certificate as the API lists it. */
export function anchorView(row: CaCertificate, now: Date) {
  const expired = row.notAfter <= now.toISOString();
  return {
    sha256: row.sha256,
    subject: row.subject,
    issuer: row.issuer,
    kind: row.kind,
    pinned: row.kind === "pinned",
    expired,
    active: !expired,
    not_before: row.notBefore,
    not_after: row.notAfter,
    serial: row.serial,
    key_algorithm: row.keyAlgorithm,
    added_by: row.addedBy,
    added_at: row.addedAt,
  };
}

/** PEM of every anchor that has not expired. */
export async function activePems(db: Executor, now: Date): Promise<string[]> {
  const rows = await db
    .select({ pem: caCertificates.pem })
    .from(caCertificates)
    .where(gt(caCertificates.notAfter, now.toISOString()))
    .orderBy(asc(caCertificates.sha256))
    .all();
  return rows.map((r) => r.pem);
}

export async function allFingerprints(db: Executor): Promise<string[]> {
  const rows = await db.select({ sha256: caCertificates.sha256 }).from(caCertificates).all();
  return rows.map((r) => r.sha256);
}

export async function findAnchor(db: Executor, sha256: string) {
  return db.select().from(caCertificates).where(eq(caCertificates.sha256, sha256)).get();
}

export async function deleteAnchor(tx: Executor, sha256: string): Promise<void> {
  await tx.delete(caCertificates).where(eq(caCertificates.sha256, sha256));
}

export async function listAnchors(db: Executor, cursor: string | undefined, limit: number) {
  const rows = await db
    .select()
    .from(caCertificates)
    .where(cursor ? gt(caCertificates.sha256, cursor) : undefined)
    .orderBy(asc(caCertificates.sha256))
    .limit(limit + 1)
    .all();
  const page = rows.slice(0, limit);
  return { page, nextCursor: rows.length > limit ? page[page.length - 1].sha256 : null };
}

/** Inserts new anchors; a concurrent insert of the same one is left as it is. */
export async function insertAnchors(
  tx: Executor,
  anchors: TrustAnchor[],
  addedBy: string,
  at: string,
): Promise<CaCertificate[]> {
  if (anchors.length === 0) return [];
  return tx
    .insert(caCertificates)
    .values(
      anchors.map((a) => ({
        sha256: a.sha256,
        pem: a.pem,
        subject: a.summary.subject,
        issuer: a.summary.issuer,
        kind: a.kind,
        notBefore: a.summary.not_before,
        notAfter: a.summary.not_after,
        serial: a.summary.serial,
        keyAlgorithm: a.summary.key_algorithm,
        addedBy,
        addedAt: at,
      })),
    )
    .onConflictDoNothing()
    .returning();
}

/**
 * Drops the "intermediate without its root" warning for an intermediate
 * whose issuer is already in the store: together they anchor chains.
 */
export async function withoutAnsweredWarnings(
  db: Executor,
  anchors: TrustAnchor[],
  warnings: PkiWarning[],
): Promise<PkiWarning[]> {
  const subjects = new Set(
    (await db.select({ subject: caCertificates.subject }).from(caCertificates).all()).map(
      (r) => r.subject,
    ),
  );
  const answered = anchors
    .filter((a) => a.kind === "intermediate" && subjects.has(a.summary.issuer))
    .map((a) => a.sha256.slice(0, 16));
  return warnings.filter(
    (w) =>
      w.code !== "intermediate_without_root" || !answered.some((sha) => w.message.includes(sha)),
  );
}
