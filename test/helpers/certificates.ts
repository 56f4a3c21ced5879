/**
 * What certificate tests need beyond the shared openssl PKI: fingerprints
 * as the API prints them, what a port presents, and requests that trust
 * only a given CA.
 *
 * @module
 */
import { X509Certificate, createHash, createPublicKey } from "node:crypto";
import { TEST_HOSTNAME } from "./appliance.ts";
import { verifiedRequest } from "./https.ts";
import type { HttpsResponse } from "./https.ts";
import { presentedCertificates } from "./openssl.ts";

/** SHA-256 of a PEM certificate's DER, lower-case hex without colons. */
export function fingerprint(pem: string): string {
  return new X509Certificate(pem).fingerprint256.replaceAll(":", "").toLowerCase();
}

/** SHA-256 of the SubjectPublicKeyInfo of a private key, hex. */
export function keySpkiSha256(keyPem: string): string {
  const spki = createPublicKey(keyPem).export({ type: "spki", format: "der" });
  return createHash("sha256").update(spki).digest("hex");
}

/** Fingerprints of the certificates a port presents, leaf first. */
export function presented(port: number): string[] {
  return presentedCertificates(port, TEST_HOSTNAME).map(fingerprint);
}

/** GET `path` over HTTPS, verifying the server for the test hostname against `ca` only. */
export function getTrusting(port: number, ca: string[], path = "/healthz"): Promise<HttpsResponse> {
  return verifiedRequest({ hostname: TEST_HOSTNAME, address: "127.0.0.1", port, ca }, path);
}
