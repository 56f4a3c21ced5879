/**
 * Reading stored certificates for display.
 *
 * @module
 */
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";
import { matchesHostname } from "../../src/pki/names.ts";
import { fingerprintSha256, summarizeCertificate } from "../../src/pki/summary.ts";
import type { CertificateRow } from "./schema.ts";

/** SHA-256 of a PEM certificate's DER, hex. */
export function fingerprintOfPem(pem: string): string {
  return fingerprintSha256(new X509Certificate(pem));
}

/** Splits PEM text into its certificate blocks. */
export function pemBlocks(text: string): string[] {
  return text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g) ?? [];
}

export interface CertificateWarning {
  code: string;
  message: string;
}

/** The certificate details API.md describes, with warnings for the operator. */
export function certificateDetails(row: CertificateRow, hostname: string, now: Date) {
  const leaf = new X509Certificate(row.certificatePem);
  const summary = summarizeCertificate(leaf);
  const chain = pemBlocks(row.chainPem).map((pem) =>
    summarizeCertificate(new X509Certificate(pem)),
  );
  const matches = matchesHostname(leaf, hostname);
  const warnings: CertificateWarning[] = [];
  if (!matches) {
    warnings.push({
      code: "hostname_mismatch",
      message:
        `The certificate names ${[...summary.san.dns, ...summary.san.ip].join(", ") || "no host"}, ` +
        `not the appliance hostname ${hostname}: regenerate it or upload one that names it.`,
    });
  }
  if (leaf.notAfter.getTime() < now.getTime()) {
    warnings.push({
      code: "certificate_expired",
      message: `The certificate expired on ${leaf.notAfter.toISOString()}: regenerate or upload a new one.`,
    });
  } else if (leaf.notAfter.getTime() - now.getTime() < 30 * 86_400_000) {
    warnings.push({
      code: "certificate_expiring",
      message: `The certificate expires on ${leaf.notAfter.toISOString()}: replace it before then.`,
    });
  }
  if (leaf.notBefore.getTime() > now.getTime()) {
    warnings.push({
      code: "not_yet_valid",
      message: `The certificate is not valid before ${leaf.notBefore.toISOString()}.`,
    });
  }
  return {
    ...summary,
    source: row.source,
    chain,
    hostname_matches: matches,
    installed_at: row.createdAt,
    warnings,
  };
}
