/**
 * What a server certificate must satisfy before the appliance serves it,
 * and what it should be warned about.
 *
 * @module
 */
import "reflect-metadata";
import { BasicConstraintsExtension, type X509Certificate } from "@peculiar/x509";
import { describeSpki, hasExplicitEcParameters } from "./algorithms.ts";
import { MIN_RSA_BITS } from "./keys.ts";
import { certificateNames, matchesHostname } from "./names.ts";
import type { PkiIssue, PkiWarning } from "./result.ts";
import { signatureAlgorithm } from "./signature.ts";
import { derOf, describeCertificate } from "./summary.ts";
import { keyUsageIssue, serverAuthIssue } from "./usage.ts";

/** Input of {@link evaluateServerCertificate}. */
export interface ServerCertificateInput {
  leaf: X509Certificate;
  /** The intermediates that will be served after the leaf (not the root). */
  chain: X509Certificate[];
  /** The appliance's hostname; a mismatch is a warning. */
  hostname?: string;
  /** The time to judge validity at. Default is the current time. */
  now?: Date;
}

/** Errors refuse the certificate; warnings are shown with it. */
export interface PolicyOutcome {
  issues: PkiIssue[];
  warnings: PkiWarning[];
}

/** CA/Browser Forum baseline requirements' historic limit, which many clients enforce. */
export const MAX_VALIDITY_DAYS = 825;

const DAY = 86_400_000;

/**
 * Checks a leaf and its intermediates: validity dates, signature and key
 * strength, extended key usage, and the leaf's subjectAltName, basic
 * constraints, key usage and hostname.
 */
export function evaluateServerCertificate(input: ServerCertificateInput): PolicyOutcome {
  const { leaf, chain } = input;
  const now = input.now ?? new Date();
  const issues: PkiIssue[] = [];
  const warnings: PkiWarning[] = [];
  const path = "/certificate";

  for (const [index, cert] of [leaf, ...chain].entries()) {
    const role = index === 0 ? "certificate" : "intermediate certificate";
    const at = index === 0 ? path : "/chain";
    const who = `The ${role} ${describeCertificate(cert)}`;
    if (cert.notAfter.getTime() < now.getTime()) {
      issues.push({
        code: "certificate_expired",
        path: at,
        message: `${who} expired on ` + `${cert.notAfter.toISOString()}: upload a renewed one.`,
      });
    } else if (cert.notBefore.getTime() > now.getTime()) {
      warnings.push({
        code: "not_yet_valid",
        message:
          `${who} is not valid until ` +
          `${cert.notBefore.toISOString()}; clients will refuse it before then.`,
      });
    }
    const signature = signatureAlgorithm(derOf(cert));
    if (signature?.weak) {
      issues.push({
        code: "weak_signature",
        path: at,
        message:
          `${who} is signed with ` +
          `${signature.name}, which clients reject as forgeable: have it reissued with SHA-256.`,
      });
    }
    const serverAuth = serverAuthIssue(cert, role, at);
    if (serverAuth) issues.push(serverAuth);
    const explicit = explicitCurveIssue(cert, role, at);
    if (explicit) issues.push(explicit);
    const key = describeSpki(new Uint8Array(cert.publicKey.rawData));
    if (key.rsaBits !== undefined && key.rsaBits < MIN_RSA_BITS) {
      issues.push({
        code: "weak_key",
        path: at,
        message:
          `${who} has a ${key.rsaBits}-bit RSA ` +
          `key; at least ${MIN_RSA_BITS} bits are required. Issue a new key and certificate.`,
      });
    }
  }

  const names = certificateNames(leaf);
  if (names.dns.length === 0 && names.ip.length === 0) {
    issues.push({
      code: "san_missing",
      path,
      message:
        `The certificate ` +
        `${describeCertificate(leaf)} has no subjectAltName DNS name; clients ignore the ` +
        "subject CN. Reissue it with the hostname in subjectAltName.",
    });
  }
  const keyUsage = keyUsageIssue(leaf, path);
  if (leaf.getExtension(BasicConstraintsExtension)?.ca) {
    // A CA's keyUsage is for signing certificates; the remedy is the server certificate.
    issues.push({
      code: "leaf_is_ca",
      path,
      message:
        `The certificate ` +
        `${describeCertificate(leaf)} is a CA certificate (basicConstraints CA:TRUE), not a ` +
        "server certificate: upload the server certificate it issued.",
    });
  } else if (keyUsage) {
    issues.push(keyUsage);
  }

  if (
    input.hostname &&
    names.dns.length + names.ip.length > 0 &&
    !matchesHostname(leaf, input.hostname)
  ) {
    const listed = [...names.dns, ...names.ip].join(", ");
    const dotted = names.dns.filter((name) => name.endsWith("."));
    const dots =
      dotted.length > 0
        ? ` A name ending in a dot (${dotted.join(", ")}) matches no hostname for OpenSSL, ` +
          "Python's ssl or curl: have the certificate reissued without the trailing dot."
        : "";
    warnings.push({
      code: "hostname_mismatch",
      message:
        `The certificate names ${listed} but ` +
        `the appliance's hostname is ${input.hostname}: devices will refuse the connection until ` +
        `the hostname or the certificate changes.${dots}`,
    });
  }
  const days = Math.floor((leaf.notAfter.getTime() - leaf.notBefore.getTime()) / DAY);
  if (days > MAX_VALIDITY_DAYS) {
    warnings.push({
      code: "validity_too_long",
      message:
        `The certificate is valid for ${days} ` +
        `days; some clients refuse server certificates valid for more than ${MAX_VALIDITY_DAYS}.`,
    });
  }
  return { issues, warnings };
}

/**
 * RFC 5480 §2.1.1: a certificate's EC key names its curve; explicit
 * parameters are forbidden, and clients (BoringSSL, Go, browsers) refuse them.
 */
export function explicitCurveIssue(
  cert: X509Certificate,
  role: "certificate" | "intermediate certificate",
  path: string,
): PkiIssue | undefined {
  if (!hasExplicitEcParameters(new Uint8Array(cert.publicKey.rawData))) return undefined;
  const remedy =
    role === "certificate"
      ? "Convert the key to its named curve with `openssl ec -in key.pem -param_enc " +
        "named_curve -out key-named.pem`, then have the certificate reissued from a request " +
        "made with that key."
      : "Ask the CA for an intermediate certificate whose key names its curve.";
  return {
    code: "key_unsupported",
    path,
    message:
      `The ${role} ${describeCertificate(cert)} has an EC public key with explicit curve ` +
      "parameters instead of a named curve, which RFC 5480 §2.1.1 forbids and clients " +
      `refuse. ${remedy}`,
  };
}
