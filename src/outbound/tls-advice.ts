/**
 * Sentences that tell the administrator why a service's certificate is not
 * accepted and what to change, written from the certificate itself.
 *
 * @module
 */

import type { DetailedPeerCertificate, PeerCertificate } from "node:tls";

type Name = PeerCertificate["subject"];

/** Writes a distinguished name as `CN=Foo CA, O=Example`, common name first. */
export function formatName(name: Name | undefined): string {
  if (!name) return "an unknown name";
  const entries = Object.entries(name).filter(([, v]) => v !== undefined);
  entries.sort(([a], [b]) => (a === "CN" ? -1 : b === "CN" ? 1 : 0));
  const parts = entries.map(([k, v]) => `${k}=${Array.isArray(v) ? v.join("+") : v}`);
  return parts.length > 0 ? parts.join(", ") : "an empty name";
}

/**
 * The last certificate of the chain the service sent: its issuer is the CA
 * the store is missing.
 */
function topOfChain(leaf: DetailedPeerCertificate): DetailedPeerCertificate {
  let cert = leaf;
  const seen = new Set<string>([cert.fingerprint256]);
  while (cert.issuerCertificate && !seen.has(cert.issuerCertificate.fingerprint256)) {
    cert = cert.issuerCertificate;
    seen.add(cert.fingerprint256);
  }
  return cert;
}

/**
 * Explains a certificate verification failure.
 *
 * @param code The runtime's verify code, e.g. `UNABLE_TO_VERIFY_LEAF_SIGNATURE`.
 * @param leaf The service's certificate with its chain.
 * @param hostname The host name from the service URL.
 */
export function explainUntrusted(
  code: string,
  leaf: DetailedPeerCertificate,
  hostname: string,
): string {
  const subject = formatName(leaf.subject);
  switch (code) {
    case "DEPTH_ZERO_SELF_SIGNED_CERT":
      return (
        `${hostname} presents a self-signed certificate (${subject}) that is not in the ` +
        "CA store: add that certificate under CA certificates"
      );
    case "CERT_HAS_EXPIRED":
      return `The certificate of ${hostname} (${subject}) expired on ${leaf.valid_to}: renew it`;
    case "CERT_NOT_YET_VALID":
      return (
        `The certificate of ${hostname} (${subject}) is valid only from ${leaf.valid_from}: ` +
        "check the clocks of the service and of the appliance"
      );
    case "UNABLE_TO_VERIFY_LEAF_SIGNATURE":
    case "UNABLE_TO_GET_ISSUER_CERT":
    case "UNABLE_TO_GET_ISSUER_CERT_LOCALLY":
    case "SELF_SIGNED_CERT_IN_CHAIN":
    case "CERT_UNTRUSTED": {
      const top = topOfChain(leaf);
      const selfSigned = formatName(top.subject) === formatName(top.issuer);
      const missing = formatName(selfSigned ? top.subject : top.issuer);
      return (
        `The certificate of ${hostname} (${subject}) is signed by ${missing}, ` +
        "which is not in the CA store: add it under CA certificates"
      );
    }
    default:
      return (
        `The certificate of ${hostname} (${subject}) failed verification (${code}): ` +
        "replace it on the service, or add the right CA under CA certificates"
      );
  }
}

/** Explains a certificate that does not name the host in the URL (RFC 6125). */
export function explainNameMismatch(leaf: PeerCertificate, hostname: string): string {
  const names = leaf.subjectaltname || formatName(leaf.subject);
  return (
    `The certificate of the service names ${names}, not ${hostname}: ` +
    "use one of those names in the URL, or have the certificate reissued"
  );
}
