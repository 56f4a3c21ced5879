/**
 * Facts about one certificate, in the shape the API returns them.
 *
 * @module
 */
import "reflect-metadata";
import { BasicConstraintsExtension, X509Certificate } from "@peculiar/x509";
import { describeSpki } from "./algorithms.ts";
import { sha256Hex, toPem } from "./encoding.ts";
import { certificateNames, type CertificateNames } from "./names.ts";
import { isSignedBy } from "./signature.ts";

/** A certificate as `GET /api/v1/tls/{interface}/certificate` shows it. */
export interface CertificateSummary {
  subject: string;
  issuer: string;
  san: CertificateNames;
  /** ISO 8601. */
  not_before: string;
  /** ISO 8601. */
  not_after: string;
  /** Hex, lower case. */
  serial: string;
  /** SHA-256 of the DER, hex, lower case, no colons. */
  fingerprint_sha256: string;
  /** `rsa-2048`, `ecdsa-p256`, … */
  key_algorithm: string;
  self_signed: boolean;
  is_ca: boolean;
}

/** Accepts a parsed certificate or its DER. */
export function asCertificate(cert: X509Certificate | Uint8Array): X509Certificate {
  return cert instanceof X509Certificate
    ? cert
    : new X509Certificate(cert as Uint8Array<ArrayBuffer>);
}

/** The DER of a certificate. */
export function derOf(cert: X509Certificate): Uint8Array {
  return new Uint8Array(cert.rawData);
}

/** The certificate as PEM (LF, 64 columns). */
export function pemOf(cert: X509Certificate): string {
  return toPem(derOf(cert), "CERTIFICATE");
}

/** SHA-256 of the certificate's DER, hex. */
export function fingerprintSha256(cert: X509Certificate): string {
  return sha256Hex(derOf(cert));
}

/** SHA-256 of the certificate's SubjectPublicKeyInfo DER, hex. */
export function spkiSha256(cert: X509Certificate): string {
  return sha256Hex(new Uint8Array(cert.publicKey.rawData));
}

/** True when basicConstraints says CA:TRUE (RFC 5280 §4.2.1.9). */
export function isCa(cert: X509Certificate): boolean {
  return cert.getExtension(BasicConstraintsExtension)?.ca === true;
}

/** True when the certificate names itself as issuer and its own key signed it. */
export function isSelfSigned(cert: X509Certificate): boolean {
  return (
    cert.subject === cert.issuer && isSignedBy(derOf(cert), new Uint8Array(cert.publicKey.rawData))
  );
}

/** A short human label: the subject and the start of the fingerprint. */
export function describeCertificate(cert: X509Certificate): string {
  return `"${cert.subject}" (SHA-256 ${fingerprintSha256(cert).slice(0, 16)}…)`;
}

/** Summarises a certificate for API responses. */
export function summarizeCertificate(input: X509Certificate | Uint8Array): CertificateSummary {
  const cert = asCertificate(input);
  return {
    subject: cert.subject,
    issuer: cert.issuer,
    san: certificateNames(cert),
    not_before: cert.notBefore.toISOString(),
    not_after: cert.notAfter.toISOString(),
    serial: cert.serialNumber.toLowerCase(),
    fingerprint_sha256: fingerprintSha256(cert),
    key_algorithm: describeSpki(new Uint8Array(cert.publicKey.rawData)).name,
    self_signed: isSelfSigned(cert),
    is_ca: isCa(cert),
  };
}
