/**
 * Whether a certificate's key usage and extended key usage let it serve
 * TLS: what clients check, and what the appliance's own TLS stack needs.
 *
 * @module
 */
import "reflect-metadata";
import {
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type X509Certificate,
} from "@peculiar/x509";
import type { PkiIssue } from "./result.ts";
import { describeCertificate } from "./summary.ts";

const SERVER_AUTH = "1.3.6.1.5.5.7.3.1";

const EKU_NAMES: Record<string, string> = {
  [SERVER_AUTH]: "serverAuth",
  "1.3.6.1.5.5.7.3.2": "clientAuth",
  "1.3.6.1.5.5.7.3.3": "codeSigning",
  "1.3.6.1.5.5.7.3.4": "emailProtection",
  "1.3.6.1.5.5.7.3.8": "timeStamping",
  "1.3.6.1.5.5.7.3.9": "OCSPSigning",
  "2.5.29.37.0": "anyExtendedKeyUsage",
};

/**
 * RFC 5280 §4.2.1.12: with an extendedKeyUsage, a certificate is for the
 * listed purposes only. OpenSSL-based clients (curl, Python, Node) require
 * serverAuth on the leaf and on every intermediate that has the extension,
 * and do not take anyExtendedKeyUsage in its place.
 */
export function serverAuthIssue(
  cert: X509Certificate,
  role: "certificate" | "intermediate certificate",
  path: string,
): PkiIssue | undefined {
  const usages = cert.getExtension(ExtendedKeyUsageExtension)?.usages.map(String);
  if (!usages || usages.includes(SERVER_AUTH)) return undefined;
  const listed = usages.map((oid) => EKU_NAMES[oid] ?? oid).join(", ");
  const onlyAny =
    usages.length === 1 && EKU_NAMES[usages[0]] === "anyExtendedKeyUsage"
      ? ": anyExtendedKeyUsage alone is refused for TLS servers by OpenSSL-based clients"
      : "";
  return {
    code: "eku_missing_server_auth",
    path,
    message:
      `The ${role} ${describeCertificate(cert)} has an extendedKeyUsage without serverAuth ` +
      `(${listed})${onlyAny}, so clients refuse it for TLS servers: have it reissued with ` +
      "extendedKeyUsage serverAuth.",
  };
}

/**
 * RFC 8446 §4.4.2.2: the server's key signs the handshake (TLS 1.3, and
 * every ECDHE suite of TLS 1.2), so a keyUsage, when present, must include
 * digitalSignature. Without it the TLS stack cannot serve the certificate.
 */
export function keyUsageIssue(leaf: X509Certificate, path: string): PkiIssue | undefined {
  const usage = leaf.getExtension(KeyUsagesExtension);
  if (!usage || (usage.usages & KeyUsageFlags.digitalSignature) !== 0) return undefined;
  return {
    code: "key_usage_unsuitable",
    path,
    message:
      `The certificate ${describeCertificate(leaf)} has a keyUsage without digitalSignature ` +
      `(${usageNames(usage.usages)}): a TLS server signs the handshake with its key (RFC 8446 ` +
      "§4.4.2.2), so neither the appliance's TLS stack nor clients can use it. Have it " +
      "reissued with keyUsage digitalSignature (an RSA certificate may add keyEncipherment).",
  };
}

const USAGE_NAMES: [KeyUsageFlags, string][] = [
  [KeyUsageFlags.digitalSignature, "digitalSignature"],
  [KeyUsageFlags.nonRepudiation, "nonRepudiation"],
  [KeyUsageFlags.keyEncipherment, "keyEncipherment"],
  [KeyUsageFlags.dataEncipherment, "dataEncipherment"],
  [KeyUsageFlags.keyAgreement, "keyAgreement"],
  [KeyUsageFlags.keyCertSign, "keyCertSign"],
  [KeyUsageFlags.cRLSign, "cRLSign"],
  [KeyUsageFlags.encipherOnly, "encipherOnly"],
  [KeyUsageFlags.decipherOnly, "decipherOnly"],
];

/** The keyUsage bits as openssl names them, e.g. `keyEncipherment, cRLSign`. */
export function usageNames(usages: KeyUsageFlags): string {
  const names = USAGE_NAMES.filter(([flag]) => (usages & flag) !== 0).map(([, name]) => name);
  return names.length > 0 ? names.join(", ") : "no usage at all";
}
