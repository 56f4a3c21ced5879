/**
 * What makes a chain verifiable beyond its signatures (RFC 5280 §6.1.4):
 * every issuer is a CA that may sign certificates, no CA has more CAs below
 * it than its path length allows, and no certificate has a critical
 * extension that clients do not understand. Clients refuse a chain that
 * breaks any of these, whoever signed it.
 *
 * @module
 */
import "reflect-metadata";
import {
  BasicConstraintsExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  type X509Certificate,
} from "@peculiar/x509";
import { children, readElement } from "./der.ts";
import type { PkiIssue } from "./result.ts";
import { derOf, describeCertificate } from "./summary.ts";
import { usageNames } from "./usage.ts";

/**
 * Checks every issuer of a chain. `path` is the leaf and the intermediates
 * above it in order; `root` is the uploaded self-signed CA above them, if
 * any, which clients hold as a trust anchor. Returns one `chain_invalid`
 * issue per fault, from the leaf up.
 */
export function chainConstraintIssues(
  path: X509Certificate[],
  root: X509Certificate | undefined,
): PkiIssue[] {
  const chain = root ? [...path, root] : path;
  const issues: PkiIssue[] = [];
  for (const [index, cert] of chain.entries()) {
    const fault = unknownCritical(cert, index === 0 ? "certificate" : "chain certificate");
    const at = index === 0 ? "/certificate" : "/chain";
    if (fault) issues.push({ code: "chain_invalid", path: at, message: fault });
  }
  for (let index = 1; index < chain.length; index++) {
    const issuer = chain[index];
    const issued = chain[index - 1];
    const fault =
      notACa(issuer, issued, issuer === root) ??
      pathTooLong(issuer, chain.slice(1, index), issuer === root);
    if (fault) issues.push({ code: "chain_invalid", path: "/chain", message: fault });
  }
  return issues;
}

/**
 * RFC 5280 §4.2.1.9 and §4.2.1.3: an issuer needs basicConstraints CA:TRUE,
 * and keyCertSign when it has a keyUsage. A trust anchor is read as OpenSSL
 * reads one: a version 1 root, or one whose keyUsage allows keyCertSign,
 * may lack basicConstraints.
 */
function notACa(
  issuer: X509Certificate,
  issued: X509Certificate,
  isRoot: boolean,
): string | undefined {
  const who = `The ${isRoot ? "root" : "issuer"} certificate ${describeCertificate(issuer)}`;
  const below = `the certificate it issued, ${describeCertificate(issued)}`;
  const usage = issuer.getExtension(KeyUsagesExtension);
  if (usage && (usage.usages & KeyUsageFlags.keyCertSign) === 0) {
    return (
      `${who} has a keyUsage without keyCertSign (${usageNames(usage.usages)}), so it may not ` +
      `sign certificates (RFC 5280 §4.2.1.3) and clients refuse ${below}. Upload the CA ` +
      "certificate that really issued it, or have the CA reissued with keyCertSign."
    );
  }
  const constraints = issuer.getExtension(BasicConstraintsExtension);
  if (constraints?.ca) return undefined;
  if (!constraints && isRoot && (usage || isVersion1(issuer))) return undefined;
  const state = constraints ? "basicConstraints CA:FALSE" : "no basicConstraints extension";
  return (
    `${who} is not a CA (${state}, RFC 5280 §4.2.1.9), so clients refuse ${below}. ` +
    "A server certificate cannot issue others: have the certificate issued by your CA, and " +
    "upload that CA's certificates as the chain."
  );
}

/**
 * The extensions OpenSSL processes (its `X509_supported_extension`), and so
 * may be critical: keyUsage, subjectAltName, basicConstraints,
 * nameConstraints, cRLDistributionPoints, certificatePolicies,
 * policyMappings, policyConstraints, extendedKeyUsage, inhibitAnyPolicy.
 */
const UNDERSTOOD = new Set([
  "2.5.29.15",
  "2.5.29.17",
  "2.5.29.19",
  "2.5.29.30",
  "2.5.29.31",
  "2.5.29.32",
  "2.5.29.33",
  "2.5.29.36",
  "2.5.29.37",
  "2.5.29.54",
]);

/** Certificate Transparency's precertificate poison (RFC 6962 §3.1). */
const PRECERTIFICATE_POISON = "1.3.6.1.4.1.11129.2.4.3";

/**
 * RFC 5280 §4.2: a client must refuse a certificate with a critical
 * extension it does not recognise.
 */
function unknownCritical(cert: X509Certificate, role: string): string | undefined {
  const unknown = cert.extensions.filter((ext) => ext.critical && !UNDERSTOOD.has(ext.type));
  if (unknown.length === 0) return undefined;
  const who = `The ${role} ${describeCertificate(cert)}`;
  if (unknown.some((ext) => ext.type === PRECERTIFICATE_POISON)) {
    return (
      `${who} is a Certificate Transparency precertificate (RFC 6962), which no client ` +
      "accepts: upload the certificate your CA issued, not the one logged before it."
    );
  }
  const oids = unknown.map((ext) => ext.type).join(", ");
  return (
    `${who} has critical extension(s) ${oids} that clients do not understand, so they ` +
    "refuse it (RFC 5280 §4.2): have it reissued without them, or with them non-critical."
  );
}

/**
 * RFC 5280 §4.2.1.9: pathLenConstraint is the number of non-self-issued
 * CA certificates that may follow this one on the way to the leaf.
 */
function pathTooLong(
  ca: X509Certificate,
  between: X509Certificate[],
  isRoot: boolean,
): string | undefined {
  const limit = ca.getExtension(BasicConstraintsExtension)?.pathLength;
  const counted = between.filter((cert) => cert.subject !== cert.issuer);
  if (limit === undefined || counted.length <= limit) return undefined;
  const allowed = limit === 0 ? "no CA certificate" : `at most ${limit} CA certificate(s)`;
  const names = counted.map((cert) => `"${cert.subject}"`).join(", ");
  return (
    `The ${isRoot ? "root" : "intermediate"} CA ${describeCertificate(ca)} has pathlen:${limit}, ` +
    `which allows ${allowed} below it, but the chain has ${counted.length} below it ` +
    `(${names}): clients refuse it (path length exceeded, RFC 5280 §4.2.1.9). Have ` +
    "the leaf issued by a CA that the path length allows."
  );
}

/** True when the TBSCertificate has no explicit version, i.e. X.509 version 1. */
function isVersion1(cert: X509Certificate): boolean {
  const der = derOf(cert);
  const top = readElement(der);
  const tbs = top && children(der, top)[0];
  return tbs !== undefined && children(der, tbs)[0]?.tag !== 0xa0;
}
