/**
 * Names for key algorithms as the API shows them (`ecdsa-p256`, `rsa-2048`),
 * and which of them the appliance's TLS listener can serve.
 *
 * @module
 */
import { createPublicKey, type KeyObject } from "node:crypto";
import { children, oidsBelow, readElement, readOid } from "./der.ts";

/** Curves by OID, with the API name where the listener can serve them. */
const CURVES: Record<string, { name: string; supported: boolean }> = {
  "1.2.840.10045.3.1.7": { name: "ecdsa-p256", supported: true },
  "1.3.132.0.34": { name: "ecdsa-p384", supported: true },
  "1.3.132.0.35": { name: "ecdsa-p521", supported: true },
  "1.3.132.0.10": { name: "secp256k1", supported: false },
  "1.2.840.10045.3.1.1": { name: "P-192", supported: false },
  "1.3.132.0.33": { name: "P-224", supported: false },
  "1.3.36.3.3.2.8.1.1.7": { name: "brainpoolP256r1", supported: false },
  "1.3.36.3.3.2.8.1.1.11": { name: "brainpoolP384r1", supported: false },
  "1.3.36.3.3.2.8.1.1.13": { name: "brainpoolP512r1", supported: false },
};

const CURVES_BY_NODE_NAME: Record<string, string> = {
  prime256v1: "ecdsa-p256",
  secp384r1: "ecdsa-p384",
  secp521r1: "ecdsa-p521",
};

const OTHER_KEYS: Record<string, string> = {
  "1.2.840.10040.4.1": "dsa",
  "1.3.101.112": "ed25519",
  "1.3.101.113": "ed448",
  "1.2.840.113549.1.1.10": "rsa-pss",
};

/** What a key is, and whether the appliance can serve TLS with it. */
export interface KeyAlgorithm {
  /** API name: `ecdsa-p256`, `rsa-2048`, `ed25519`, or the curve/type name. */
  name: string;
  /** RSA modulus size in bits; undefined for other keys. */
  rsaBits?: number;
  /** False when the key type or curve cannot be served. */
  supported: boolean;
}

/** Describes a node:crypto key (private or public). */
export function describeKey(key: KeyObject): KeyAlgorithm {
  const type = key.asymmetricKeyType ?? "unknown";
  if (type === "rsa") {
    const bits = key.asymmetricKeyDetails?.modulusLength ?? 0;
    return { name: `rsa-${bits}`, rsaBits: bits, supported: true };
  }
  if (type === "ec") {
    const curve = key.asymmetricKeyDetails?.namedCurve ?? "unknown";
    const name = CURVES_BY_NODE_NAME[curve];
    return name ? { name, supported: true } : { name: curve, supported: false };
  }
  if (type === "ed25519") return { name: "ed25519", supported: true };
  return { name: type, supported: false };
}

/**
 * Describes the key inside DER that node:crypto may refuse to load (e.g. an
 * unsupported curve), by reading the algorithm and curve OIDs directly.
 */
export function describeKeyDer(der: Uint8Array): KeyAlgorithm | undefined {
  const top = readElement(der);
  if (!top) return undefined;
  for (const oid of oidsBelow(der, top)) {
    if (CURVES[oid]) return CURVES[oid];
    if (OTHER_KEYS[oid]) return { name: OTHER_KEYS[oid], supported: false };
  }
  return undefined;
}

/** Describes the public key of a SubjectPublicKeyInfo DER. */
export function describeSpki(spki: Uint8Array): KeyAlgorithm {
  try {
    return describeKey(createPublicKey({ key: Buffer.from(spki), format: "der", type: "spki" }));
  } catch {
    return describeKeyDer(spki) ?? { name: "unknown", supported: false };
  }
}

const EC_PUBLIC_KEY = "1.2.840.10045.2.1";

/**
 * True when a SubjectPublicKeyInfo gives its EC curve as explicit
 * parameters instead of a named curve's OID, which RFC 5480 §2.1.1 forbids
 * in certificates and most clients refuse.
 */
export function hasExplicitEcParameters(spki: Uint8Array): boolean {
  const top = readElement(spki);
  const algorithm = top && children(spki, top)[0];
  if (!algorithm || algorithm.tag !== 0x30) return false;
  const [oid, parameters] = children(spki, algorithm);
  return oid !== undefined && readOid(spki, oid) === EC_PUBLIC_KEY && parameters?.tag === 0x30;
}
