/**
 * One HTTPS exchange over a fresh connection to an address that was already
 * checked. This is the only place that opens the outbound TLS connection.
 *
 * Why `node:https` and these options (verified on Bun 1.4.5 and Deno 2.9.6,
 * so no runtime needs a branch of its own):
 * - A non-empty `ca` replaces the runtime's default roots, and neither
 *   runtime adds `NODE_EXTRA_CA_CERTS`, `SSL_CERT_FILE` or `DENO_CERT` to
 *   it. An EMPTY `ca` differs: Bun falls back to its defaults plus
 *   `NODE_EXTRA_CA_CERTS`, Deno trusts nothing. So it is never passed.
 * - `host` is the checked address itself, so no lookup happens at all;
 *   `servername` (SNI), the `Host` header and the certificate name check use
 *   the hostname from the URL.
 * - `agent: false` and `Connection: close`: no connection outlives the
 *   exchange, so a CA removed from the store stops being trusted at once.
 * - `node:https` never follows redirects.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type RequestOptions, request as httpsRequest } from "node:https";
import type { ClientRequest, IncomingMessage } from "node:http";
import { isIP } from "node:net";
import { createHash } from "node:crypto";
import {
  type DetailedPeerCertificate,
  type PeerCertificate,
  type TLSSocket,
  checkServerIdentity,
} from "node:tls";
import { OutboundError } from "./errors.ts";
import { type Phase, classifyFailure, codeOf } from "./failures.ts";
import type { ServiceTarget } from "./resolve.ts";

/** What to send. Header names are case-insensitive; `Host` is always the URL's. */
export interface OutboundRequest {
  method: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
  /**
   * A shorter limit for this request than the client's, in milliseconds
   * (e.g. to end before a delivery lease does). Never extends the client's.
   */
  timeoutMs?: number;
}

/** What came back. A 3xx is returned as it is; redirects are never followed. */
export interface OutboundResponse {
  status: number;
  /** Lower-case names; repeated headers joined with `, `. */
  headers: Record<string, string>;
  /** The body as UTF-8 text, cut after the size limit. */
  body: string;
  /**
   * SHA-256 (hex, of the DER) of the store certificate the server's chain
   * was verified against: its root CA, or the pinned certificate itself.
   */
  anchorSha256?: string;
}

/** How to send one exchange. */
export interface ExchangeOptions {
  /** PEM certificates to trust; must not be empty. */
  anchors: string[];
  /** The time left for connect, TLS and the whole response, in milliseconds. */
  timeoutMs: number;
  /** The `User-Agent` unless the request sets one. */
  userAgent: string;
  /** The largest body kept, in bytes. */
  maxBodyBytes: number;
}

/** Headers the exchange sets itself; a caller's values are dropped. */
const OWN_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding"]);

/**
 * Sends one request to `target.addresses[0]` and reads the response.
 *
 * @throws {OutboundError} on any failure; see `OutboundErrorKind`.
 */
export function exchange(
  target: ServiceTarget,
  request: OutboundRequest,
  options: ExchangeOptions,
): Promise<OutboundResponse> {
  if (options.anchors.length === 0) {
    // Never reached through the client; guards the fallback to default roots.
    const message = "The CA store is empty: no outbound request is sent";
    return Promise.reject(new OutboundError("no_trust_anchors", message));
  }

  const address = target.addresses[0];
  const where = `${target.hostname} (${hostPort(address, target.port)})`;
  const body = request.body === undefined ? undefined : Buffer.from(request.body);

  return new Promise<OutboundResponse>((resolve, reject) => {
    let phase: Phase = "connect";
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      outcome();
    };
    const fail = (error: unknown) => {
      finish(() => reject(classifyFailure(error, phase, where, address)));
      req.destroy();
    };

    let req: ClientRequest;
    try {
      req = httpsRequest(requestOptions(target, request, options, body));
    } catch (error) {
      // Thrown before anything is sent: an invalid method or header value.
      // The runtime's message names the header, never its value.
      const reason = error instanceof Error ? error.message : String(error);
      const message = `The request to ${where} cannot be sent: ${reason}`;
      const code = codeOf(error);
      reject(new OutboundError("request_invalid", message, { code, cause: error }));
      return;
    }

    const timer = setTimeout(() => {
      const seconds = options.timeoutMs / 1000;
      const message = `${where} did not answer within ${seconds} s (stopped during ${phase})`;
      fail(new OutboundError("timeout", message, { address }));
    }, options.timeoutMs);

    req.on("socket", (socket) => {
      socket.once("connect", () => {
        if (phase === "connect") phase = "tls";
      });
      socket.once("secureConnect", () => {
        phase = "http";
      });
    });
    req.on("error", fail);
    req.on("response", (res) => {
      phase = "http";
      const anchorSha256 = anchorOf(req.socket as TLSSocket | null);
      readResponse(res, options.maxBodyBytes).then((response) => {
        finish(() => resolve(anchorSha256 ? { ...response, anchorSha256 } : response));
        req.destroy();
      }, fail);
    });
    req.end(body);
  });
}

function requestOptions(
  target: ServiceTarget,
  request: OutboundRequest,
  options: ExchangeOptions,
  body: Buffer | undefined,
): RequestOptions {
  return {
    host: target.addresses[0],
    port: target.port,
    method: request.method,
    path: `${target.url.pathname}${target.url.search}`,
    headers: headersFor(target, request, options.userAgent, body),
    ca: options.anchors,
    rejectUnauthorized: true,
    // RFC 6066: SNI carries host names only, never an address.
    servername: isIP(target.hostname) === 0 ? target.hostname : undefined,
    checkServerIdentity: (_host: string, cert: PeerCertificate) =>
      checkServerIdentity(target.hostname, cert),
    agent: false,
  };
}

function headersFor(
  target: ServiceTarget,
  request: OutboundRequest,
  userAgent: string,
  body: Buffer | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!OWN_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  headers.host = target.url.host;
  headers.connection = "close";
  headers["user-agent"] ??= userAgent;
  if (body !== undefined) headers["content-length"] = String(body.byteLength);
  return headers;
}

function readResponse(res: IncomingMessage, maxBodyBytes: number): Promise<OutboundResponse> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const done = () => {
      const body = new TextDecoder().decode(Buffer.concat(chunks));
      resolve({ status: res.statusCode ?? 0, headers: flatHeaders(res), body });
    };

    res.on("data", (chunk: Buffer) => {
      if (kept >= maxBodyBytes) return;
      const part = chunk.subarray(0, maxBodyBytes - kept);
      chunks.push(part);
      kept += part.byteLength;
      if (kept >= maxBodyBytes) {
        res.removeAllListeners("data");
        done();
      }
    });
    res.on("end", done);
    res.on("aborted", () => reject(new Error("the response was cut off")));
    res.on("error", reject);
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

/** The last certificate of the verified chain: the anchor from the store. */
function anchorOf(socket: TLSSocket | null): string | undefined {
  let cert = socket?.getPeerCertificate?.(true) as DetailedPeerCertificate | undefined;
  for (let depth = 0; cert?.raw && depth < 16; depth++) {
    const issuer = cert.issuerCertificate;
    if (!issuer?.raw || issuer === cert || issuer.fingerprint256 === cert.fingerprint256) {
      return createHash("sha256").update(cert.raw).digest("hex");
    }
    cert = issuer;
  }
  return undefined;
}

/** `10.1.2.3:443` or `[2001:db8::1]:443`. */
export function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
