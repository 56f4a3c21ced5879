/**
 * Reads a private key in any format operators have (PKCS#1, PKCS#8, SEC1,
 * encrypted PKCS#8, legacy `Proc-Type: 4,ENCRYPTED` PEM, DER) and returns
 * it in the one form the TLS listener always loads: unencrypted PKCS#8 PEM.
 *
 * @module
 */
import { createPrivateKey, createPublicKey, type KeyObject } from "node:crypto";
import { describeKey, describeKeyDer } from "./algorithms.ts";
import { decodeBase64, sha256Hex } from "./encoding.ts";
import {
  blockToPem,
  classifyInput,
  isEncryptedPkcs8,
  isPrivateKeyLabel,
  looksLikePrivateKey,
  scanPem,
  type PemBlock,
} from "./pem.ts";
import { fail, ok, type PkiResult, type PkiWarning } from "./result.ts";

/** A private key ready to be stored and served. */
export interface ParsedPrivateKey {
  /** Unencrypted PKCS#8 PEM. */
  pkcs8Pem: string;
  /** SHA-256 (hex) of the DER SubjectPublicKeyInfo of the matching public key. */
  spkiSha256: string;
  /** API name of the algorithm: `ecdsa-p256`, `ecdsa-p384`, `rsa-2048`, … */
  algorithm: string;
  warnings: PkiWarning[];
}

/** Options of {@link parsePrivateKey}. */
export interface ParsePrivateKeyOptions {
  /** Passphrase of an encrypted key. Ignored for an unencrypted key. */
  passphrase?: string;
  /** JSON pointer named in issues. Default is `/private_key`. */
  path?: string;
}

/** Where the key bytes are, before node:crypto reads them. */
type KeySource =
  | { format: "pem"; pem: string; encrypted: boolean; der?: Uint8Array }
  | { format: "der"; der: Uint8Array; encrypted: boolean };

/** Smallest RSA modulus accepted (NIST SP 800-131A; CA/Browser Forum). */
export const MIN_RSA_BITS = 2048;

/**
 * Parses a private key (PEM text, DER bytes or base64 DER), decrypting it
 * with the passphrase when needed, and normalises it to PKCS#8 PEM.
 *
 * @example
 * const key = parsePrivateKey(pem, { passphrase: "secret" });
 * if (key.ok) store(key.value.pkcs8Pem);
 */
export function parsePrivateKey(
  input: string | Uint8Array,
  options: ParsePrivateKeyOptions = {},
): PkiResult<ParsedPrivateKey> {
  const path = options.path ?? "/private_key";
  const source = locateKey(input, path, options.passphrase);
  if (!source.ok) return source;
  const { encrypted } = source.value;
  const { passphrase } = options;

  if (encrypted && passphrase === undefined) {
    return fail(
      "key_encrypted",
      `The ${path} is encrypted and no passphrase was given: send ` +
        "its passphrase in /passphrase, or upload the key unencrypted.",
      path,
    );
  }

  // An empty passphrase is tried: `openssl pkcs8 -topk8 -passout pass:` makes such keys.
  const loaded = load(source.value, encrypted ? passphrase : undefined);
  if (!loaded) {
    if (encrypted && passphrase === "") {
      return fail(
        "key_encrypted",
        `The ${path} is encrypted and the empty passphrase given does not ` +
          "open it: send its passphrase in /passphrase, or upload the key unencrypted.",
        path,
      );
    }
    if (encrypted) {
      return fail(
        "passphrase_wrong",
        `The ${path} could not be decrypted with the given ` +
          "passphrase: check /passphrase (case, keyboard layout, trailing spaces).",
        "/passphrase",
      );
    }
    const described = source.value.der && describeKeyDer(source.value.der);
    if (described && !described.supported) return unsupported(described.name, path);
    return fail(
      "key_invalid",
      `The ${path} could not be read as an RSA or EC private key ` +
        "(PKCS#1, PKCS#8 or SEC1): the data is damaged or not a key. Export it again.",
      path,
    );
  }
  return normalize(loaded, path);
}

function normalize(loaded: KeyObject, path: string): PkiResult<ParsedPrivateKey> {
  const algorithm = describeKey(loaded);
  if (algorithm.rsaBits !== undefined && algorithm.rsaBits < MIN_RSA_BITS) {
    return fail(
      "weak_key",
      `The ${path} is a ${algorithm.rsaBits}-bit RSA key; at least ` +
        `${MIN_RSA_BITS} bits are required. Generate a new key and certificate.`,
      path,
    );
  }
  if (loaded.asymmetricKeyType === "ec" && !loaded.asymmetricKeyDetails?.namedCurve) {
    return fail(
      "key_unsupported",
      `The ${path} is an EC key with explicit curve parameters that match no named ` +
        "curve, which clients refuse (RFC 5480 §2.1.1): make a new key on P-256 or P-384.",
      path,
    );
  }
  if (!algorithm.supported) return unsupported(algorithm.name, path);
  const key = loaded.asymmetricKeyType === "ec" ? withNamedCurve(loaded) : loaded;

  const warnings: PkiWarning[] = [];
  if (algorithm.name === "ed25519") {
    warnings.push({
      code: "limited_client_support",
      message:
        "The key is Ed25519: the " +
        "appliance can serve it, but most browsers and many gateways cannot use an Ed25519 " +
        "certificate. Prefer ECDSA P-256 or RSA.",
    });
  }
  const spki = createPublicKey(key).export({ type: "spki", format: "der" });
  return ok({
    pkcs8Pem: key.export({ type: "pkcs8", format: "pem" }).toString(),
    spkiSha256: sha256Hex(spki),
    algorithm: algorithm.name,
    warnings,
  });
}

/**
 * The same EC key written with its curve's name: a key made with
 * `-param_enc explicit` spells the curve out, and would give a public key
 * that matches no certificate issued for the named form (RFC 5480 §2.1.1).
 */
function withNamedCurve(key: KeyObject): KeyObject {
  return createPrivateKey({ key: key.export({ format: "jwk" }), format: "jwk" });
}

function unsupported(name: string, path: string): PkiResult<never> {
  return fail(
    "key_unsupported",
    `The ${path} is a ${name} key, which the appliance cannot ` +
      "serve: use RSA (2048 bits or more), ECDSA on P-256, P-384 or P-521, or Ed25519.",
    path,
  );
}

function load(source: KeySource, passphrase: string | undefined): KeyObject | undefined {
  if (source.format === "pem") {
    try {
      return createPrivateKey({ key: source.pem, format: "pem", passphrase });
    } catch {
      return undefined;
    }
  }
  const types = source.encrypted ? (["pkcs8"] as const) : (["pkcs8", "pkcs1", "sec1"] as const);
  for (const type of types) {
    try {
      return createPrivateKey({ key: Buffer.from(source.der), format: "der", type, passphrase });
    } catch {
      // The DER names no format: try the next one.
    }
  }
  return undefined;
}

/** SHA-256 of the key's public key, or undefined when it cannot be opened. */
function publicKeyOf(block: PemBlock, passphrase: string | undefined): string | undefined {
  try {
    const key = createPrivateKey({ key: blockToPem(block), format: "pem", passphrase });
    return sha256Hex(createPublicKey(key).export({ type: "spki", format: "der" }));
  } catch {
    return undefined;
  }
}

function locateKey(
  input: string | Uint8Array,
  path: string,
  passphrase: string | undefined,
): PkiResult<KeySource> {
  const raw = classifyInput(input);
  switch (raw.kind) {
    case "empty":
      return fail(
        "key_missing",
        `The ${path} field is empty: send the private key as PEM ` +
          "text, base64 of its DER bytes, or upload the key file.",
        path,
      );
    case "garbled":
      return fail(
        "key_invalid",
        `The ${path} field holds binary data that is not readable as ` +
          "DER: a binary key file was probably pasted or decoded as text. Upload it as a file, " +
          "send it as base64, or convert it to PEM.",
        path,
      );
    case "unknown":
      return fail(
        "key_invalid",
        `The ${path} field is neither PEM (no "-----BEGIN PRIVATE ` +
          'KEY-----" line) nor base64 of DER: send the key file as exported.',
        path,
      );
    case "der":
      if (!looksLikePrivateKey(raw.der)) {
        return fail(
          "key_invalid",
          `The ${path} field was read as DER but is not a private ` +
            "key (it may be a certificate): send the private key here.",
          path,
        );
      }
      return ok({ format: "der", der: raw.der, encrypted: isEncryptedPkcs8(raw.der) });
    case "pem":
      return locatePemKey(raw.text, path, passphrase);
  }
}

function locatePemKey(
  text: string,
  path: string,
  passphrase: string | undefined,
): PkiResult<KeySource> {
  const { blocks, truncated } = scanPem(text);
  const keys = blocks.filter((block) => isPrivateKeyLabel(block.label));
  const distinct = [...new Map(keys.map((block) => [block.body, block])).values()];

  // One key in two encodings (PKCS#1 and PKCS#8, say) is still one key.
  const identities = new Set(distinct.map((block) => publicKeyOf(block, passphrase)));
  if (distinct.length > 1 && (identities.size > 1 || identities.has(undefined))) {
    const known = !identities.has(undefined);
    return fail(
      "multiple_private_keys",
      `The ${path} field holds ${distinct.length} ${known ? "different " : ""}` +
        `private keys (${distinct.map((block) => block.label).join(", ")}); send only the key ` +
        "that belongs to the certificate.",
      path,
    );
  }
  if (distinct.length === 0) {
    if (truncated.some(isPrivateKeyLabel)) {
      return fail(
        "pem_truncated",
        `The ${path} field has a "-----BEGIN ...PRIVATE KEY-----" ` +
          "line without its END line: the paste was cut off. Copy the whole key.",
        path,
      );
    }
    const labels = blocks.map((block) => block.label);
    const found = labels.length > 0 ? `it holds ${labels.join(", ")}` : "it has no PEM block";
    return fail(
      "key_missing",
      `The ${path} field has no private key (${found}): send the ` +
        'block that starts with "-----BEGIN PRIVATE KEY-----" or similar.',
      path,
    );
  }

  const block = distinct[0];
  if (block.label === "OPENSSH PRIVATE KEY") {
    return fail(
      "key_unsupported",
      `The ${path} is in OpenSSH format: convert it to PKCS#8 ` +
        "with `ssh-keygen -p -m PKCS8 -f <file>` and upload it again.",
      path,
    );
  }
  const der = decodeBase64(block.body);
  const encrypted =
    block.label === "ENCRYPTED PRIVATE KEY" || /ENCRYPTED/i.test(block.headers["Proc-Type"] ?? "");
  return ok({ format: "pem", pem: blockToPem(block), encrypted, der });
}
