/**
 * The one error the outbound client throws. Its `kind` lets the caller
 * decide between retrying later and stopping for the administrator.
 *
 * @module
 */

/**
 * Why an outbound request failed.
 *
 * - `url_not_https`, `url_invalid`: the URL itself is unusable. Stop.
 * - `request_invalid`: the method or a header cannot be sent (a caller's bug). Stop.
 * - `no_trust_anchors`: the CA store is empty; nothing was sent. Stop.
 * - `address_forbidden`: the host is, or resolves to, a refused address. Stop.
 * - `dns_failed`: the name did not resolve. Retry.
 * - `connect_failed`: no TCP connection (refused, unreachable). Retry.
 * - `timeout`: connect, TLS and response took longer than allowed. Retry.
 * - `tls_untrusted`: the certificate failed verification against the CA
 *   store, or does not name the host. Stop until the administrator acts.
 * - `tls_failed`: the TLS handshake failed for another reason. Retry.
 * - `protocol`: the service broke off or answered something that is not HTTP. Retry.
 */
export type OutboundErrorKind =
  | "url_not_https"
  | "url_invalid"
  | "request_invalid"
  | "no_trust_anchors"
  | "address_forbidden"
  | "dns_failed"
  | "connect_failed"
  | "timeout"
  | "tls_untrusted"
  | "tls_failed"
  | "protocol";

/** Context kept on an {@link OutboundError}; none of it is secret. */
export interface OutboundErrorOptions {
  /** The runtime's code for the underlying failure, e.g. `DEPTH_ZERO_SELF_SIGNED_CERT`. */
  code?: string;
  /** The runtime's reason, e.g. `Hostname/IP does not match certificate's altnames: …`. */
  reason?: string;
  /** The address the client connected (or tried to connect) to. */
  address?: string;
  /** The underlying error. */
  cause?: unknown;
}

const BRAND = Symbol.for("portico.outbound.error");

/**
 * A failed outbound request. Messages name the host, address and port and
 * the reason, never a header value or a password.
 */
export class OutboundError extends Error {
  /** Why it failed; see {@link OutboundErrorKind}. */
  readonly kind: OutboundErrorKind;
  /** The runtime's code for the underlying failure, when there was one. */
  readonly code?: string;
  /** The runtime's reason, kept verbatim for TLS verification failures. */
  readonly reason?: string;
  /** The address the client connected or tried to connect to. */
  readonly address?: string;
  readonly [BRAND] = true;

  constructor(kind: OutboundErrorKind, message: string, options: OutboundErrorOptions = {}) {
    super(message, { cause: options.cause });
    this.name = "OutboundError";
    this.kind = kind;
    this.code = options.code;
    this.reason = options.reason;
    this.address = options.address;
  }
}

/**
 * Whether a value is an {@link OutboundError}, also when it comes from
 * another copy of this module (a bundled plugin): checks the brand, not
 * the prototype.
 */
export function isOutboundError(value: unknown): value is OutboundError {
  return typeof value === "object" && value !== null && BRAND in value;
}
