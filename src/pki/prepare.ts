/**
 * The whole upload pipeline for a server certificate: decode, read the key,
 * build the chain, apply the policy, and prove the TLS stack can load it.
 *
 * @module
 */
import { createSecureContext } from "node:tls";
import { buildChain } from "./chain.ts";
import { parsePrivateKey, type ParsedPrivateKey } from "./keys.ts";
import { decodeCertificates, privateKeyLabels } from "./pem.ts";
import { readPkcs12 } from "./pkcs12.ts";
import { evaluateServerCertificate } from "./policy.ts";
import { fail, ok, type PkiIssue, type PkiResult, type PkiWarning } from "./result.ts";
import { summarizeCertificate, type CertificateSummary } from "./summary.ts";

/** The fields of `PUT /api/v1/tls/{interface}/certificate`. */
export interface UploadInput {
  /** PEM text (may also hold the key and the chain), DER bytes, or base64 DER. */
  certificate?: string | Uint8Array;
  private_key?: string | Uint8Array;
  /** Intermediates (and optionally the root), in any order; several files as a list. */
  chain?: string | Uint8Array | (string | Uint8Array)[];
  /** For an encrypted key or a PKCS#12 file. */
  passphrase?: string;
  /** A .p12/.pfx file, instead of certificate and private_key. */
  pkcs12?: string | Uint8Array;
  /** The appliance's hostname; a certificate that does not name it gets a warning. */
  hostname?: string;
  /** The time to judge validity at. Default is the current time. */
  now?: Date;
  /** Accept a leaf whose issuer is missing, with a warning. Default is false. */
  allowIncompleteChain?: boolean;
}

/** A certificate ready to be stored and served. */
export interface PreparedCertificate {
  leafPem: string;
  /** The intermediates served after the leaf, leaf's issuer first. */
  chainPems: string[];
  /** Unencrypted PKCS#8 PEM. */
  privateKeyPem: string;
  keyAlgorithm: string;
  summary: CertificateSummary;
  /** Summaries of the served intermediates. */
  chain: CertificateSummary[];
  /** The uploaded root that checked the chain, if any; it is not served. */
  root?: CertificateSummary;
  warnings: PkiWarning[];
  reordered: boolean;
  reorderDescription?: string;
}

/**
 * Validates an uploaded server certificate end to end. Every problem found
 * in the certificate and key fields is reported together.
 */
export function prepareUpload(input: UploadInput): PkiResult<PreparedCertificate> {
  const material = input.pkcs12 !== undefined ? fromPkcs12(input) : fromFields(input);
  if (!material.ok) return material;
  const { certificates, key, warnings: strayKeys } = material.value;

  const built = buildChain({
    certificates,
    keySpkiSha256: key.spkiSha256,
    allowIncomplete: input.allowIncompleteChain,
  });
  if (!built.ok) return built;
  const chain = built.value;

  const policy = evaluateServerCertificate({
    leaf: chain.leaf,
    chain: chain.intermediates,
    hostname: input.hostname,
    now: input.now,
  });
  if (policy.issues.length > 0) return { ok: false, issues: policy.issues };

  const loadError = tlsLoadError(chain.servedPems.join(""), key.pkcs8Pem);
  if (loadError) {
    return fail(
      "tls_load_failed",
      `The appliance's TLS library refused to load this certificate with its key ` +
        `(${loadError}), although they passed every other check, so it cannot be served and ` +
        "nothing was changed. Have the certificate reissued as a plain TLS server certificate " +
        "(keyUsage digitalSignature, extendedKeyUsage serverAuth, an RSA or ECDSA P-256 key).",
      "/certificate",
    );
  }

  return ok({
    leafPem: chain.servedPems[0],
    chainPems: chain.servedPems.slice(1),
    privateKeyPem: key.pkcs8Pem,
    keyAlgorithm: key.algorithm,
    summary: summarizeCertificate(chain.leaf),
    chain: chain.intermediates.map((cert) => summarizeCertificate(cert)),
    root: chain.root && summarizeCertificate(chain.root),
    warnings: [...strayKeys, ...key.warnings, ...chain.warnings, ...policy.warnings],
    reordered: chain.reordered,
    reorderDescription: chain.reorderDescription,
  });
}

interface Material {
  certificates: Uint8Array[];
  key: ParsedPrivateKey;
  /** Private keys found where certificates belong, which were not used. */
  warnings: PkiWarning[];
}

function fromPkcs12(input: UploadInput): PkiResult<Material> {
  if (input.certificate !== undefined || input.private_key !== undefined) {
    return fail(
      "input_conflict",
      "Send either /pkcs12 or /certificate with /private_key, " + "not both.",
      "/pkcs12",
    );
  }
  const p12 = readPkcs12(input.pkcs12!, input.passphrase);
  if (!p12.ok) return p12;
  const extra = decodeChain(input.chain);
  if (!extra.ok) return extra;
  return ok({
    certificates: [...p12.value.certificates, ...extra.value],
    key: p12.value.privateKey,
    warnings: chainKeyWarnings(input.chain),
  });
}

function fromFields(input: UploadInput): PkiResult<Material> {
  const issues: PkiIssue[] = [];
  if (!present(input.certificate)) {
    issues.push({
      code: "certificate_missing",
      path: "/certificate",
      message:
        "The " +
        "/certificate field is missing: send the server certificate (PEM, DER or base64 DER).",
    });
  }
  const certs = present(input.certificate) ? decodeCertificates(input.certificate!) : undefined;
  if (certs && !certs.ok) issues.push(...certs.issues);

  // A combined PEM (certificate and key in one file) is common; take its key.
  const combined = present(input.certificate) && privateKeyLabels(input.certificate!).length > 0;
  const keyInput = present(input.private_key)
    ? input.private_key
    : combined
      ? input.certificate
      : undefined;
  const key =
    keyInput !== undefined
      ? parsePrivateKey(keyInput, { passphrase: input.passphrase })
      : fail("key_missing", missingKeyMessage(input.chain), "/private_key");
  if (!key.ok) issues.push(...key.issues);

  const chain = decodeChain(input.chain);
  if (!chain.ok) issues.push(...chain.issues);

  if (issues.length > 0 || !certs?.ok || !key.ok || !chain.ok) return { ok: false, issues };
  const warnings = chainKeyWarnings(input.chain);
  if (combined && keyInput !== input.certificate) {
    const other = parsePrivateKey(input.certificate!, { passphrase: input.passphrase });
    if (!other.ok || other.value.spkiSha256 !== key.value.spkiSha256) {
      warnings.push({
        code: "private_key_ignored",
        message:
          "The /certificate field also holds a private key that is not the one in " +
          "/private_key; it was ignored, and the key in /private_key was used.",
      });
    }
  }
  return ok({ certificates: [...certs.value, ...chain.value], key: key.value, warnings });
}

function chainFiles(chain: UploadInput["chain"]): (string | Uint8Array)[] {
  return (Array.isArray(chain) ? chain : [chain]).filter(present) as (string | Uint8Array)[];
}

function missingKeyMessage(chain: UploadInput["chain"]): string {
  const inChain = chainFiles(chain).flatMap(privateKeyLabels);
  if (inChain.length === 0) {
    return "The /private_key field is missing: send the certificate's private key.";
  }
  return (
    `The /private_key field is missing, and the private key found in /chain ` +
    `(${inChain.join(", ")}) is not read from there, as /chain takes certificates only: ` +
    "send the key in /private_key."
  );
}

/** A key in /chain is never used: say so, as the operator may think it was. */
function chainKeyWarnings(chain: UploadInput["chain"]): PkiWarning[] {
  const labels = chainFiles(chain).flatMap(privateKeyLabels);
  if (labels.length === 0) return [];
  return [
    {
      code: "private_key_ignored",
      message:
        `The /chain field holds a private key (${labels.join(", ")}), which was ignored: ` +
        "/chain takes certificates only. Keep private keys out of chain files; the " +
        "server's key goes in /private_key.",
    },
  ];
}

const CHAIN = {
  path: "/chain",
  keyAdvice: "put the key in /private_key, as /chain takes certificates only",
};

/** The certificates of every chain file, each read on its own (PEM or DER). */
function decodeChain(chain: UploadInput["chain"]): PkiResult<Uint8Array[]> {
  const issues: PkiIssue[] = [];
  const certificates: Uint8Array[] = [];
  for (const file of chainFiles(chain)) {
    const decoded = decodeCertificates(file, CHAIN);
    if (decoded.ok) certificates.push(...decoded.value);
    else issues.push(...decoded.issues);
  }
  return issues.length > 0 ? { ok: false, issues } : ok(certificates);
}

function present(value: string | Uint8Array | undefined): boolean {
  return value !== undefined && value.length > 0;
}

function tlsLoadError(certificatePem: string, keyPem: string): string | undefined {
  try {
    createSecureContext({ cert: certificatePem, key: keyPem });
    return undefined;
  } catch (error) {
    return (error as Error).message;
  }
}
