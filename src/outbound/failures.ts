/**
 * Turning a runtime's network and TLS errors into {@link OutboundError}
 * kinds. The runtime's code and reason are kept, so the administrator sees
 * "self-signed certificate" rather than a generic failure.
 *
 * @module
 */

import { OutboundError } from "./errors.ts";

/** How far a connection got when it failed. */
export type Phase = "connect" | "tls" | "http";

/**
 * Codes for a certificate that failed verification (OpenSSL's X509 verify
 * results as Node and Bun name them, plus the RFC 6125 name check).
 */
export const UNTRUSTED_CODES: ReadonlySet<string> = new Set([
  "UNABLE_TO_GET_ISSUER_CERT",
  "UNABLE_TO_GET_ISSUER_CERT_LOCALLY",
  "UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  "UNABLE_TO_DECRYPT_CERT_SIGNATURE",
  "UNABLE_TO_DECODE_ISSUER_PUBLIC_KEY",
  "CERT_SIGNATURE_FAILURE",
  "CERT_NOT_YET_VALID",
  "CERT_HAS_EXPIRED",
  "ERROR_IN_CERT_NOT_BEFORE_FIELD",
  "ERROR_IN_CERT_NOT_AFTER_FIELD",
  "DEPTH_ZERO_SELF_SIGNED_CERT",
  "SELF_SIGNED_CERT_IN_CHAIN",
  "CERT_CHAIN_TOO_LONG",
  "CERT_REVOKED",
  "INVALID_CA",
  "PATH_LENGTH_EXCEEDED",
  "INVALID_PURPOSE",
  "CERT_UNTRUSTED",
  "CERT_REJECTED",
  "HOSTNAME_MISMATCH",
  "ERR_TLS_CERT_ALTNAME_INVALID",
]);

/** Codes that mean no TCP connection was made, whatever the phase tracking says. */
const CONNECT_CODES: ReadonlySet<string> = new Set([
  "ECONNREFUSED",
  "EHOSTUNREACH",
  "ENETUNREACH",
  "EADDRNOTAVAIL",
  "ETIMEDOUT",
]);

/**
 * Classifies an error raised while talking to `where` (e.g.
 * `amp.example.test (10.1.2.3:443)`).
 */
export function classifyFailure(
  error: unknown,
  phase: Phase,
  where: string,
  address: string,
): OutboundError {
  if (error instanceof OutboundError) return error;

  const code = codeOf(error);
  const reason = error instanceof Error ? error.message : String(error);
  const options = { code, reason, address, cause: error };
  const because = code ? `${reason} (${code})` : reason;

  if (code && UNTRUSTED_CODES.has(code)) {
    const message = `The certificate of ${where} is not trusted: ${because}`;
    return new OutboundError("tls_untrusted", message, options);
  }
  if ((code && CONNECT_CODES.has(code)) || phase === "connect") {
    const message = `Could not connect to ${where}: ${because}`;
    return new OutboundError("connect_failed", message, options);
  }
  if (phase === "tls") {
    const message = `The TLS handshake with ${where} failed: ${because}`;
    return new OutboundError("tls_failed", message, options);
  }
  const message = `${where} broke off or did not answer with HTTP: ${because}`;
  return new OutboundError("protocol", message, options);
}

/** The `code` property of a runtime error, if it is a string. */
export function codeOf(error: unknown): string | undefined {
  const code = (error as { code?: unknown } | null)?.code;
  return typeof code === "string" ? code : undefined;
}
