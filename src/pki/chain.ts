/**
 * Builds the chain a TLS server must send from certificates uploaded in any
 * order: finds the leaf by its private key, links issuers by name, key
 * identifier and signature, checks that each issuer may issue, and sets
 * aside the root and unrelated extras.
 *
 * @module
 */
import "reflect-metadata";
import {
  AuthorityKeyIdentifierExtension,
  SubjectKeyIdentifierExtension,
  type X509Certificate,
} from "@peculiar/x509";
import { chainConstraintIssues } from "./constraints.ts";
import { explicitCurveIssue } from "./policy.ts";
import { fail, ok, type PkiResult, type PkiWarning } from "./result.ts";
import { isSignedBy } from "./signature.ts";
import {
  asCertificate,
  derOf,
  describeCertificate,
  fingerprintSha256,
  isCa,
  isSelfSigned,
  pemOf,
  spkiSha256,
} from "./summary.ts";

/** Input of {@link buildChain}. */
export interface BuildChainInput {
  /** Every uploaded certificate as DER, in upload order (certificate field first). */
  certificates: Uint8Array[];
  /** SHA-256 (hex) of the private key's SubjectPublicKeyInfo. */
  keySpkiSha256: string;
  /**
   * Accept a leaf whose issuer is not in the upload, with a warning instead
   * of `chain_incomplete`. Default is false.
   */
  allowIncomplete?: boolean;
}

/** The chain to serve, and what was learned building it. */
export interface BuiltChain {
  leaf: X509Certificate;
  /** Leaf's issuer first; what the server sends after the leaf. */
  intermediates: X509Certificate[];
  /** The self-signed CA at the top, if uploaded; used to check, never served. */
  root?: X509Certificate;
  /** Leaf then intermediates, as PEM. */
  servedPems: string[];
  /** True when the upload's order was not leaf → intermediates → root. */
  reordered: boolean;
  /** What was reordered, for the operator; undefined when not reordered. */
  reorderDescription?: string;
  warnings: PkiWarning[];
}

const MAX_DEPTH = 10;

/**
 * Finds the leaf that matches the private key and builds leaf →
 * intermediates (→ root), checking every signature and every issuer's
 * basic constraints, key usage and path length.
 */
export function buildChain(input: BuildChainInput): PkiResult<BuiltChain> {
  const warnings: PkiWarning[] = [];
  const unique = dedupe(
    input.certificates.map((der) => asCertificate(der)),
    warnings,
  );

  const leaf = pickLeaf(unique, input.keySpkiSha256);
  if (!leaf) return keyMismatch(unique, input.keySpkiSha256);
  const server = unique.find((cert) => !isCa(cert));
  if (isCa(leaf) && server) {
    // The key is a CA's, uploaded beside a server certificate: the operator
    // picked the wrong key file, not an incomplete chain.
    return fail(
      "key_mismatch",
      `The private key belongs to the CA certificate ` +
        `${describeCertificate(leaf)}, not to the server certificate "${server.subject}" ` +
        `(public key SHA-256 ${spkiSha256(server)}). Upload the key that was created with the ` +
        "server certificate's request.",
      "/private_key",
    );
  }

  const path: X509Certificate[] = [leaf];
  let root: X509Certificate | undefined;
  for (let current = leaf; path.length <= MAX_DEPTH;) {
    if (isSelfSigned(current)) {
      if (current !== leaf) root = path.pop();
      break;
    }
    const named = unique.filter((cert) => !path.includes(cert) && issues(cert, current));
    const issuer = named.find((cert) => isSignedBy(derOf(current), pubKey(cert)));
    if (!issuer && named.length > 0) {
      return fail(
        "chain_signature_invalid",
        `The certificate ${describeCertificate(current)} ` +
          `names "${current.issuer}" as its issuer, but the uploaded certificate with that name ` +
          `${describeCertificate(named[0])} did not sign it: upload the issuer certificate that ` +
          "your CA sent with this certificate.",
        "/chain",
      );
    }
    if (!issuer) break;
    path.push(issuer);
    current = issuer;
  }

  // The leaf's issuer must be uploaded; above it, a missing issuer is taken to
  // be a root that clients already hold, as roots are not served anyway.
  if (path.length === 1 && !root && !isSelfSigned(leaf)) {
    const message =
      `The chain stops at ${describeCertificate(leaf)}: its issuer ` +
      `"${leaf.issuer}"${keyIdText(leaf)} is not in the upload. Add the intermediate ` +
      "certificate(s) your CA provided to /chain.";
    if (!input.allowIncomplete) return fail("chain_incomplete", message, "/chain");
    warnings.push({ code: "chain_incomplete", message });
  }

  const broken = chainConstraintIssues(path, root);
  if (broken.length > 0) return { ok: false, issues: broken };

  for (const cert of unique) {
    if (path.includes(cert) || cert === root) continue;
    warnings.push({
      code: "unrelated_certificate",
      message:
        `The certificate ` +
        `${describeCertificate(cert)} is not part of the chain of ` +
        `${describeCertificate(leaf)} and will not be served.`,
    });
  }

  const expected = root ? [...path, root] : path;
  const positions = expected.map((cert) => unique.indexOf(cert));
  const reordered = positions.some((position, i) => i > 0 && position < positions[i - 1]);
  return ok({
    leaf,
    intermediates: path.slice(1),
    root,
    servedPems: path.map(pemOf),
    reordered,
    reorderDescription: reordered ? describeOrder(unique, expected, path, root) : undefined,
    warnings,
  });
}

function dedupe(certs: X509Certificate[], warnings: PkiWarning[]): X509Certificate[] {
  const byFingerprint = new Map<string, X509Certificate>();
  for (const cert of certs) {
    const fingerprint = fingerprintSha256(cert);
    if (!byFingerprint.has(fingerprint)) {
      byFingerprint.set(fingerprint, cert);
      continue;
    }
    warnings.push({
      code: "duplicate_certificate",
      message:
        `The certificate ` +
        `${describeCertificate(cert)} was uploaded more than once; it is kept once.`,
    });
  }
  return [...byFingerprint.values()];
}

/** The leaf holds the key's public key; a non-CA and the latest expiry win. */
function pickLeaf(certs: X509Certificate[], keySpkiSha256: string): X509Certificate | undefined {
  const candidates = certs.filter((cert) => spkiSha256(cert) === keySpkiSha256);
  candidates.sort(
    (a, b) => Number(isCa(a)) - Number(isCa(b)) || b.notAfter.getTime() - a.notAfter.getTime(),
  );
  return candidates[0];
}

function keyMismatch(certs: X509Certificate[], keySpkiSha256: string): PkiResult<never> {
  const shown = certs.find((cert) => !isCa(cert)) ?? certs[0];
  // The key was read in its named-curve form, so a certificate spelling the
  // curve out cannot match it byte for byte; that, not the key, is the fault.
  const explicit = explicitCurveIssue(shown, "certificate", "/certificate");
  if (explicit) return { ok: false, issues: [explicit] };
  return fail(
    "key_mismatch",
    "The private key does not belong to the certificate: the key's " +
      `public key has SHA-256 ${keySpkiSha256}, while the certificate "${shown.subject}" has ` +
      `public key SHA-256 ${spkiSha256(shown)}. Upload the key that was created with this ` +
      "certificate's request, or the certificate issued for this key.",
    "/private_key",
  );
}

/** RFC 5280 §4.2.1.1: when both key identifiers are present they must agree. */
function issues(candidate: X509Certificate, subject: X509Certificate): boolean {
  if (candidate.subject !== subject.issuer) return false;
  const aki = subject.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
  const ski = candidate.getExtension(SubjectKeyIdentifierExtension)?.keyId;
  return !aki || !ski || aki.toLowerCase() === ski.toLowerCase();
}

function pubKey(cert: X509Certificate): Uint8Array {
  return new Uint8Array(cert.publicKey.rawData);
}

function keyIdText(cert: X509Certificate): string {
  const aki = cert.getExtension(AuthorityKeyIdentifierExtension)?.keyId;
  return aki ? ` (key identifier ${aki.toLowerCase()})` : "";
}

function describeOrder(
  unique: X509Certificate[],
  expected: X509Certificate[],
  served: X509Certificate[],
  root: X509Certificate | undefined,
): string {
  const received = unique.filter((cert) => expected.includes(cert)).map((c) => `"${c.subject}"`);
  const sent = served.map((cert) => `"${cert.subject}"`).join(" → ");
  const rootNote = root ? `; the root "${root.subject}" checks the chain and is not served` : "";
  return (
    `The certificates were uploaded in the order ${received.join(", ")}; they are served ` +
    `leaf first: ${sent}${rootNote}.`
  );
}
