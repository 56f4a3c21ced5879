/**
 * Reads certificates an administrator adds to the CA trust store: one or
 * many, PEM or DER, and says what each can anchor.
 *
 * @module
 */
import "reflect-metadata";
import type { X509Certificate } from "@peculiar/x509";
import { decodeCertificates, privateKeyLabels } from "./pem.ts";
import { ok, type PkiResult, type PkiWarning } from "./result.ts";
import {
  asCertificate,
  derOf,
  describeCertificate,
  isCa,
  isSelfSigned,
  pemOf,
  summarizeCertificate,
  type CertificateSummary,
} from "./summary.ts";

/** One certificate to trust. */
export interface TrustAnchor {
  der: Uint8Array;
  pem: string;
  /** SHA-256 of the DER, hex; the anchor's identity in the store. */
  sha256: string;
  summary: CertificateSummary;
  /**
   * `ca`: a self-signed CA. `pinned`: a self-signed server certificate
   * (CA:FALSE) trusted as itself. `intermediate`: not self-signed, so it
   * cannot anchor a chain alone.
   */
  kind: "ca" | "pinned" | "intermediate";
  expired: boolean;
}

/** A certificate that was not added because it is already there. */
export interface AlreadyTrusted {
  sha256: string;
  subject: string;
  /** `repeated_in_input`: a second copy in this input; `in_store`: trusted before. */
  reason: "repeated_in_input" | "in_store";
}

/** What an input adds to the trust store. */
export interface TrustAnchorSet {
  /** New anchors, each once. */
  anchors: TrustAnchor[];
  already_trusted: AlreadyTrusted[];
  warnings: PkiWarning[];
}

/** Options of {@link parseTrustAnchors}. */
export interface ParseTrustAnchorsOptions {
  /** SHA-256 fingerprints already in the store; those are reported, not added. */
  trusted?: Iterable<string>;
  /** The time to judge expiry at. Default is the current time. */
  now?: Date;
  /** JSON pointer named in issues. Default is `/pem`. */
  path?: string;
}

/**
 * Parses trust anchors from PEM (one or many), DER bytes or base64 DER,
 * dropping repeats and classifying each certificate.
 */
export function parseTrustAnchors(
  input: string | Uint8Array,
  options: ParseTrustAnchorsOptions = {},
): PkiResult<TrustAnchorSet> {
  const path = options.path ?? "/pem";
  const decoded = decodeCertificates(input, {
    path,
    name: path === "/" ? "the request body" : `the ${path} field`,
    keyAdvice:
      "the CA store takes CA certificates only: send the CA's certificate, and keep its " +
      "private key off the appliance",
  });
  if (!decoded.ok) return decoded;
  const now = options.now ?? new Date();
  const inStore = new Set([...(options.trusted ?? [])].map((sha) => sha.toLowerCase()));
  const result: TrustAnchorSet = { anchors: [], already_trusted: [], warnings: [] };
  const seen = new Set<string>();
  const certs = decoded.value.map((der) => asCertificate(der));

  for (const cert of certs) {
    const summary = summarizeCertificate(cert);
    const sha256 = summary.fingerprint_sha256;
    if (seen.has(sha256) || inStore.has(sha256)) {
      const reason = seen.has(sha256) ? "repeated_in_input" : "in_store";
      result.already_trusted.push({ sha256, subject: summary.subject, reason });
      continue;
    }
    seen.add(sha256);
    const anchor: TrustAnchor = {
      der: derOf(cert),
      pem: pemOf(cert),
      sha256,
      summary,
      kind: summary.self_signed ? (summary.is_ca ? "ca" : "pinned") : "intermediate",
      expired: cert.notAfter.getTime() < now.getTime(),
    };
    result.anchors.push(anchor);
    result.warnings.push(...anchorWarnings(cert, anchor, certs));
  }
  const keys = privateKeyLabels(input);
  if (keys.length > 0) {
    result.warnings.push({
      code: "private_key_ignored",
      message:
        `The input also holds a private key (${keys.join(", ")}), which was ignored and not ` +
        "stored: the CA store takes certificates only. Keep private keys off the appliance; " +
        "a CA's key should never leave the CA.",
    });
  }
  return ok(result);
}

function anchorWarnings(
  cert: X509Certificate,
  anchor: TrustAnchor,
  input: X509Certificate[],
): PkiWarning[] {
  const warnings: PkiWarning[] = [];
  const who = describeCertificate(cert);
  if (anchor.expired) {
    warnings.push({
      code: "anchor_expired",
      message:
        `The certificate ${who} expired on ` +
        `${cert.notAfter.toISOString()}; servers that chain to it will be refused.`,
    });
  }
  if (anchor.kind !== "intermediate") return warnings;
  const rootInInput = input.some(
    (other) => other.subject === cert.issuer && isSelfSigned(other) && isCa(other),
  );
  if (!isCa(cert)) {
    warnings.push({
      code: "not_an_anchor",
      message:
        `The certificate ${who} is a server ` +
        `certificate issued by "${cert.issuer}", not a CA: it cannot anchor a chain. Add the ` +
        "CA certificate of that issuer instead.",
    });
  } else if (!rootInInput) {
    warnings.push({
      code: "intermediate_without_root",
      message:
        `The certificate ${who} is an ` +
        `intermediate CA issued by "${cert.issuer}": it cannot anchor a chain alone. Add the ` +
        "root CA certificate too.",
    });
  }
  return warnings;
}
