/**
 * Reads the certificate a TLS server presents, without judging it: a
 * listener's own check that it serves the certificate it was given.
 *
 * @module
 */
import { X509Certificate, createHash } from "node:crypto";
import { connect } from "node:tls";
import type { DetailedPeerCertificate } from "node:tls";

/** SHA-256 (hex) of each certificate a TLS server presents, leaf first. */
export type TlsProbe = (host: string, port: number) => Promise<string[]>;

const sha256 = (der: Uint8Array) => createHash("sha256").update(der).digest("hex");

/** The fingerprints a listener serving this PEM (leaf, then intermediates) presents. */
export function chainFingerprints(certificatePem: string): string[] {
  const blocks = certificatePem.match(
    /-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g,
  );
  return (blocks ?? []).map((block) => sha256(new X509Certificate(block).raw));
}

const PROBE_TIMEOUT_MS = 3_000;

/** The address to reach a listener bound to `hostname` from this machine. */
export function probeAddress(hostname: string | undefined): string {
  if (hostname === undefined || hostname === "0.0.0.0") return "127.0.0.1";
  if (hostname === "::") return "::1";
  return hostname;
}

/**
 * Completes a TLS handshake and returns the fingerprints of the presented
 * chain.
 * Trust is not verified: a certificate that policy accepted with a warning
 * (not yet valid, another hostname) must still be proven served.
 */
export const presentedChain: TlsProbe = (host, port) =>
  new Promise((resolve, reject) => {
    const socket = connect({ host, port, rejectUnauthorized: false }, () => {
      const chain: string[] = [];
      const seen = new Set<DetailedPeerCertificate>();
      for (let cert = socket.getPeerCertificate(true); cert?.raw && !seen.has(cert);) {
        seen.add(cert);
        chain.push(sha256(cert.raw));
        cert = cert.issuerCertificate;
      }
      socket.destroy();
      if (chain.length === 0) reject(new Error("the server presented no certificate"));
      else resolve(chain);
    });
    socket.setTimeout(PROBE_TIMEOUT_MS, () => {
      socket.destroy();
      reject(new Error(`no TLS handshake within ${PROBE_TIMEOUT_MS} ms`));
    });
    socket.on("error", reject);
  });
