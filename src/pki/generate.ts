/**
 * Self-signed server certificates for the appliance's own hostname, made
 * with WebCrypto so that the same code runs on Bun, Deno and edge runtimes.
 *
 * @module
 */
import "reflect-metadata";
import {
  BasicConstraintsExtension,
  ExtendedKeyUsage,
  ExtendedKeyUsageExtension,
  KeyUsageFlags,
  KeyUsagesExtension,
  SubjectAlternativeNameExtension,
  SubjectKeyIdentifierExtension,
  X509CertificateGenerator,
} from "@peculiar/x509";
import { bytesOf, toHex, toPem } from "./encoding.ts";
import { normalizeHostname } from "./names.ts";
import { MAX_VALIDITY_DAYS } from "./policy.ts";
import { fail, ok, type PkiResult } from "./result.ts";

/** Key algorithms the appliance generates. */
export const GENERATED_KEY_ALGORITHMS = [
  "ecdsa-p256",
  "ecdsa-p384",
  "rsa-2048",
  "rsa-3072",
  "rsa-4096",
] as const;

/** One of {@link GENERATED_KEY_ALGORITHMS}. */
export type GeneratedKeyAlgorithm = (typeof GENERATED_KEY_ALGORITHMS)[number];

/** Options of {@link generateSelfSigned}. */
export interface GenerateOptions {
  /** The appliance's hostname; normalised, and refused if it is an IP address. */
  hostname: string;
  /** Default is `ecdsa-p256`. */
  keyAlgorithm?: GeneratedKeyAlgorithm;
  /** Whole days, 1 to 825. Default is 825. */
  validityDays?: number;
  /** The issuing time. Default is the current time. */
  now?: Date;
}

/** A generated certificate and its unencrypted PKCS#8 key. */
export interface GeneratedCertificate {
  certificatePem: string;
  privateKeyPem: string;
}

/** Leeway for clients whose clocks run behind the appliance's. */
const CLOCK_SKEW_MS = 5 * 60_000;
const DAY_MS = 86_400_000;

/**
 * Generates a self-signed server certificate: CN and subjectAltName DNS =
 * hostname, EKU serverAuth, CA:FALSE (critical), subject key identifier,
 * random positive 16-byte serial, notBefore five minutes before `now`.
 *
 * @example
 * const made = await generateSelfSigned({ hostname: "appliance.example.test" });
 */
export async function generateSelfSigned(
  options: GenerateOptions,
): Promise<PkiResult<GeneratedCertificate>> {
  const hostname = normalizeHostname(options.hostname);
  if (!hostname.ok) return hostname;
  const algorithm = options.keyAlgorithm ?? "ecdsa-p256";
  if (!GENERATED_KEY_ALGORITHMS.includes(algorithm)) {
    return fail(
      "key_algorithm_invalid",
      `The /key_algorithm "${algorithm}" is not one of ` +
        `${GENERATED_KEY_ALGORITHMS.join(", ")}.`,
      "/key_algorithm",
    );
  }
  const days = options.validityDays ?? MAX_VALIDITY_DAYS;
  if (!Number.isInteger(days) || days < 1 || days > MAX_VALIDITY_DAYS) {
    return fail(
      "validity_invalid",
      `The /validity_days ${days} must be a whole number from 1 ` + `to ${MAX_VALIDITY_DAYS}.`,
      "/validity_days",
    );
  }

  const { generate, signing, keyEncipherment } = webCryptoParams(algorithm);
  const keys = await crypto.subtle.generateKey(generate, true, ["sign", "verify"]);
  const now = options.now ?? new Date();
  const notBefore = new Date(now.getTime() - CLOCK_SKEW_MS);
  const usage =
    KeyUsageFlags.digitalSignature | (keyEncipherment ? KeyUsageFlags.keyEncipherment : 0);

  const cert = await X509CertificateGenerator.createSelfSigned({
    serialNumber: randomSerial(),
    name: `CN=${hostname.value}`,
    notBefore,
    notAfter: new Date(notBefore.getTime() + days * DAY_MS),
    signingAlgorithm: signing,
    keys,
    extensions: [
      new BasicConstraintsExtension(false, undefined, true),
      new KeyUsagesExtension(usage, true),
      new ExtendedKeyUsageExtension([ExtendedKeyUsage.serverAuth]),
      new SubjectAlternativeNameExtension([{ type: "dns", value: hostname.value }]),
      await SubjectKeyIdentifierExtension.create(keys.publicKey),
    ],
  });
  const pkcs8 = await crypto.subtle.exportKey("pkcs8", keys.privateKey);
  return ok({
    certificatePem: toPem(bytesOf(cert.rawData), "CERTIFICATE"),
    privateKeyPem: toPem(bytesOf(pkcs8), "PRIVATE KEY"),
  });
}

function webCryptoParams(algorithm: GeneratedKeyAlgorithm) {
  if (algorithm === "ecdsa-p256" || algorithm === "ecdsa-p384") {
    const p384 = algorithm === "ecdsa-p384";
    const generate = { name: "ECDSA", namedCurve: p384 ? "P-384" : "P-256" };
    return {
      generate,
      signing: { name: "ECDSA", hash: p384 ? "SHA-384" : "SHA-256" },
      keyEncipherment: false,
    };
  }
  const generate = {
    name: "RSASSA-PKCS1-v1_5",
    modulusLength: Number(algorithm.slice(4)),
    publicExponent: new Uint8Array([1, 0, 1]),
    hash: "SHA-256",
  };
  // RFC 5246 RSA key exchange encrypts to the key, so older clients need keyEncipherment.
  return { generate, signing: generate, keyEncipherment: true };
}

/** RFC 5280 §4.1.2.2: positive, at most 20 octets; 16 random octets, top bit clear. */
function randomSerial(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  bytes[0] = (bytes[0] & 0x3f) | 0x40;
  return toHex(bytes);
}
