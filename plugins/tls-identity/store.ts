/**
 * Reading and replacing an interface's certificate. Replacement retires the
 * active row and inserts the new one in one transaction, so there is always
 * exactly one active certificate per interface.
 *
 * @module
 */
import { and, eq } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import type { InterfaceName } from "../../src/identity.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { certificates } from "./schema.ts";
import type { CertificateRow } from "./schema.ts";

export interface NewCertificate {
  certificatePem: string;
  chainPem: string;
  privateKeyPem: string;
  fingerprintSha256: string;
  source: "generated" | "uploaded";
}

export async function activeCertificate(
  db: Executor,
  iface: InterfaceName,
): Promise<CertificateRow | undefined> {
  return db
    .select()
    .from(certificates)
    .where(and(eq(certificates.interface, iface), eq(certificates.status, "active")))
    .get();
}

/** Makes `cert` the interface's active certificate, retiring the one before. */
export async function replaceCertificate(
  ctx: PluginContext,
  tx: Executor,
  iface: InterfaceName,
  cert: NewCertificate,
): Promise<CertificateRow> {
  const at = ctx.clock.now().toISOString();
  await tx
    .update(certificates)
    .set({ status: "retired", retiredAt: at })
    .where(and(eq(certificates.interface, iface), eq(certificates.status, "active")));
  const [row] = await tx
    .insert(certificates)
    .values({
      interface: iface,
      status: "active",
      certificatePem: cert.certificatePem,
      chainPem: cert.chainPem,
      privateKeySealed: await ctx.secrets.seal(cert.privateKeyPem),
      fingerprintSha256: cert.fingerprintSha256,
      source: cert.source,
      createdAt: at,
    })
    .returning();
  await ctx.events.emit(tx, "certificate.replaced", {
    interface: iface,
    fingerprint_sha256: cert.fingerprintSha256,
    source: cert.source,
  });
  return row;
}
