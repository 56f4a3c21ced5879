/**
 * Certificate signatures: which algorithm a certificate is signed with, and
 * whether a given public key made that signature. Done with node:crypto over
 * the raw DER so that old algorithms (SHA-1, MD5) can still be identified
 * and checked, rather than failing as "unknown".
 *
 * @module
 */
import { constants, createPublicKey, verify } from "node:crypto";
import { children, readElement, readOid, type DerElement } from "./der.ts";

/** The signature algorithm of a certificate. */
export interface SignatureAlgorithm {
  oid: string;
  /** Readable name, e.g. `sha256WithRSAEncryption`. */
  name: string;
  /** node:crypto digest name; null for Ed25519; undefined when unknown. */
  hash: string | null | undefined;
  /** True for digests broken for signatures (MD2, MD5, SHA-1). */
  weak: boolean;
  /** RSASSA-PSS salt length, for PSS signatures only. */
  pssSaltLength?: number;
}

const HASHES: Record<string, string> = {
  "1.2.840.113549.2.2": "md2",
  "1.2.840.113549.2.5": "md5",
  "1.3.14.3.2.26": "sha1",
  "2.16.840.1.101.3.4.2.4": "sha224",
  "2.16.840.1.101.3.4.2.1": "sha256",
  "2.16.840.1.101.3.4.2.2": "sha384",
  "2.16.840.1.101.3.4.2.3": "sha512",
};

const ALGORITHMS: Record<string, [name: string, hash: string | null]> = {
  "1.2.840.113549.1.1.2": ["md2WithRSAEncryption", "md2"],
  "1.2.840.113549.1.1.4": ["md5WithRSAEncryption", "md5"],
  "1.2.840.113549.1.1.5": ["sha1WithRSAEncryption", "sha1"],
  "1.2.840.113549.1.1.14": ["sha224WithRSAEncryption", "sha224"],
  "1.2.840.113549.1.1.11": ["sha256WithRSAEncryption", "sha256"],
  "1.2.840.113549.1.1.12": ["sha384WithRSAEncryption", "sha384"],
  "1.2.840.113549.1.1.13": ["sha512WithRSAEncryption", "sha512"],
  "1.2.840.10045.4.1": ["ecdsa-with-SHA1", "sha1"],
  "1.2.840.10045.4.3.1": ["ecdsa-with-SHA224", "sha224"],
  "1.2.840.10045.4.3.2": ["ecdsa-with-SHA256", "sha256"],
  "1.2.840.10045.4.3.3": ["ecdsa-with-SHA384", "sha384"],
  "1.2.840.10045.4.3.4": ["ecdsa-with-SHA512", "sha512"],
  "1.2.840.10040.4.3": ["dsa-with-SHA1", "sha1"],
  "1.3.101.112": ["Ed25519", null],
};

const RSASSA_PSS = "1.2.840.113549.1.1.10";
const WEAK = new Set(["md2", "md5", "sha1"]);

interface CertificateParts {
  tbs: Uint8Array;
  algorithm: DerElement;
  signature: Uint8Array;
}

function split(der: Uint8Array): CertificateParts | undefined {
  const top = readElement(der);
  if (!top) return undefined;
  const [tbs, algorithm, signature] = children(der, top);
  if (!tbs || !algorithm || signature?.tag !== 0x03) return undefined;
  return {
    tbs: der.subarray(tbs.headerStart, tbs.end),
    algorithm,
    // A BIT STRING starts with its count of unused bits, always 0 here.
    signature: der.subarray(signature.start + 1, signature.end),
  };
}

/** Reads the signature algorithm of a DER certificate. */
export function signatureAlgorithm(der: Uint8Array): SignatureAlgorithm | undefined {
  const parts = split(der);
  if (!parts) return undefined;
  const [oidElement, params] = children(der, parts.algorithm);
  const oid = oidElement && readOid(der, oidElement);
  if (!oid) return undefined;

  if (oid === RSASSA_PSS) {
    const pss = readPssParams(der, params);
    return {
      oid,
      name: `RSASSA-PSS with ${pss.hash}`,
      hash: pss.hash,
      weak: WEAK.has(pss.hash),
      pssSaltLength: pss.saltLength,
    };
  }
  const known = ALGORITHMS[oid];
  if (!known) return { oid, name: oid, hash: undefined, weak: false };
  const [name, hash] = known;
  return { oid, name, hash, weak: hash !== null && WEAK.has(hash) };
}

/** RFC 4055 §3.1: absent hashAlgorithm means SHA-1, absent saltLength means 20. */
function readPssParams(der: Uint8Array, params: DerElement | undefined) {
  let hash = "sha1";
  let saltLength = 20;
  for (const field of params && params.tag === 0x30 ? children(der, params) : []) {
    const inner = children(der, field)[0];
    if (field.tag === 0xa0 && inner) {
      const oidElement = children(der, inner)[0];
      hash = HASHES[(oidElement && readOid(der, oidElement)) ?? ""] ?? "unknown";
    }
    if (field.tag === 0xa2 && inner?.tag === 0x02) {
      saltLength = 0;
      for (let i = inner.start; i < inner.end; i++) saltLength = saltLength * 256 + der[i];
    }
  }
  return { hash, saltLength };
}

/**
 * Whether the certificate's signature was made by the key of `issuerSpki`
 * (a DER SubjectPublicKeyInfo). False for unknown algorithms and bad keys.
 */
export function isSignedBy(der: Uint8Array, issuerSpki: Uint8Array): boolean {
  const parts = split(der);
  const algorithm = signatureAlgorithm(der);
  if (!parts || !algorithm || algorithm.hash === undefined) return false;
  try {
    const key = createPublicKey({ key: Buffer.from(issuerSpki), format: "der", type: "spki" });
    const pss =
      algorithm.pssSaltLength === undefined
        ? {}
        : { padding: constants.RSA_PKCS1_PSS_PADDING, saltLength: algorithm.pssSaltLength };
    return verify(algorithm.hash, parts.tbs, { key, ...pss }, parts.signature);
  } catch {
    return false;
  }
}
