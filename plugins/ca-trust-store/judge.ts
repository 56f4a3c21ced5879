/**
 * What the store adds to the toolkit's reading of posted certificates: a
 * server certificate issued by someone else is refused, and a CA signed
 * with a broken digest or holding a weak key is added with a warning.
 *
 * @module
 */
import {
  MIN_RSA_BITS,
  type PkiWarning,
  type TrustAnchor,
  asCertificate,
  describeCertificate,
  describeSpki,
  signatureAlgorithm,
} from "../../src/pki/index.ts";

/**
 * Certificates that cannot anchor any chain: CA:FALSE and not self-signed.
 * TLS verification never stops at such a certificate (no partial chains),
 * so storing it would look like trust and give none.
 */
export function nonAnchors(anchors: TrustAnchor[]): TrustAnchor[] {
  return anchors.filter((a) => !a.summary.self_signed && !a.summary.is_ca);
}

/** Why a certificate from {@link nonAnchors} is refused, and what to add instead. */
export function nonAnchorMessage(anchor: TrustAnchor): string {
  const who = describeCertificate(asCertificate(anchor.der));
  return (
    `The certificate ${who} is a server certificate (CA:FALSE) issued by ` +
    `"${anchor.summary.issuer}": it cannot anchor a chain, so it is not added. ` +
    "Add the CA certificate of that issuer instead, or, for a self-signed service, " +
    "the service's own certificate."
  );
}

/**
 * A `weak_signature` warning for each intermediate CA signed with MD2, MD5
 * or SHA-1: its signature is what a chain through it rests on. A
 * self-signed anchor gets none, since nothing checks its own signature
 * (RFC 5280 §6.1.1: the anchor is taken as given).
 */
export function weakSignatureWarnings(anchors: TrustAnchor[]): PkiWarning[] {
  const warnings: PkiWarning[] = [];
  for (const anchor of anchors) {
    if (anchor.summary.self_signed) continue;
    const signature = signatureAlgorithm(anchor.der);
    if (!signature?.weak) continue;
    const who = describeCertificate(asCertificate(anchor.der));
    const message =
      `The CA certificate ${who} is signed with ${signature.name}, a digest broken for ` +
      "signatures: a forged certificate could carry the same signature. It was added, as " +
      "trusting it is your call; ask its CA for one signed with SHA-256 or better.";
    warnings.push({ code: "weak_signature", message });
  }
  return warnings;
}

/**
 * A `weak_key` warning for each anchor, root or not, with an RSA key under
 * {@link MIN_RSA_BITS} bits: unlike a root's own signature, its key is what
 * every chain through it is checked with, and such keys can be factored.
 */
export function weakKeyWarnings(anchors: TrustAnchor[]): PkiWarning[] {
  const warnings: PkiWarning[] = [];
  for (const anchor of anchors) {
    const cert = asCertificate(anchor.der);
    const bits = describeSpki(new Uint8Array(cert.publicKey.rawData)).rsaBits;
    if (bits === undefined || bits >= MIN_RSA_BITS) continue;
    const message =
      `The certificate ${describeCertificate(cert)} has a ${bits}-bit RSA key, small enough ` +
      "to be factored: whoever does so can sign servers that this store trusts, and clients " +
      "at OpenSSL security level 2 or above refuse chains that use it. It was added, as " +
      `trusting it is your call; ask its owner for one with a key of ${MIN_RSA_BITS} bits ` +
      "or more.";
    warnings.push({ code: "weak_key", message });
  }
  return warnings;
}
