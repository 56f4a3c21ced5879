/**
 * One HTTPS exchange with an address that was already checked. This is the
 * only place that opens the outbound TLS connection.
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
 * - Without a pool: `agent: false` and `Connection: close`, so no connection
 *   outlives the exchange. With a pool (see `pool.ts`), the connection is
 *   kept only for requests under the same anchor set, address, port and name.
 * - `node:https` never follows redirects.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { type RequestOptions, request as httpsRequest } from "node:https";
import type { ClientRequest } from "node:http";
import { isIP } from "node:net";
import { type PeerCertificate, type TLSSocket, checkServerIdentity } from "node:tls";
import { OutboundError } from "./errors.ts";
import { type Phase, classifyFailure, codeOf } from "./failures.ts";
import { type ConnectionPool, type PoolLease, anchorSetId } from "./pool.ts";
import type { ServiceTarget } from "./resolve.ts";
import { anchorOf, readResponse } from "./response.ts";

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
  /** Keep-alive connections to reuse; without one, each exchange has its own connection. */
  pool?: ConnectionPool;
}

/** How a kept-alive connection looks when the server closed it just before it was reused. */
const STALE_CODES: ReadonlySet<string> = new Set(["ECONNRESET", "EPIPE", "ECONNABORTED"]);

/** Raised inside {@link exchange} to send the request once more on another connection. */
class StaleConnection extends Error {}

/** Headers the exchange sets itself; a caller's values are dropped. */
const OWN_HEADERS = new Set(["host", "connection", "content-length", "transfer-encoding"]);

/**
 * Sends one request to `target.addresses[0]` and reads the response. A
 * request that fails on a reused connection before any answer (the server
 * closed it while idle) is sent once more, within the same time limit.
 *
 * @throws {OutboundError} on any failure; see `OutboundErrorKind`.
 */
export async function exchange(
  target: ServiceTarget,
  request: OutboundRequest,
  options: ExchangeOptions,
): Promise<OutboundResponse> {
  if (options.anchors.length === 0) {
    // Never reached through the client; guards the fallback to default roots.
    throw new OutboundError(
      "no_trust_anchors",
      "The CA store is empty: no outbound request is sent",
    );
  }
  const deadline = Date.now() + options.timeoutMs;
  try {
    return await attempt(target, request, options, true);
  } catch (error) {
    if (!(error instanceof StaleConnection)) throw error;
    const timeoutMs = Math.max(1, deadline - Date.now());
    return attempt(target, request, { ...options, timeoutMs }, false);
  }
}

async function attempt(
  target: ServiceTarget,
  request: OutboundRequest,
  options: ExchangeOptions,
  mayRetry: boolean,
): Promise<OutboundResponse> {
  if (!options.pool) return send(target, request, options, undefined, mayRetry);
  const address = target.addresses[0];
  const key = {
    anchorSetId: anchorSetId(options.anchors),
    address,
    port: target.port,
    hostname: target.hostname,
  };
  const started = Date.now();
  const lease = await options.pool.acquire(key, options.timeoutMs);
  if (!lease) {
    const where = `${target.hostname} (${hostPort(address, target.port)})`;
    const message =
      `${where} did not answer within ${options.timeoutMs / 1000} s ` +
      "(every connection to it stayed busy)";
    throw new OutboundError("timeout", message, { address });
  }
  const timeoutMs = Math.max(1, options.timeoutMs - (Date.now() - started));
  return send(target, request, { ...options, timeoutMs }, lease, mayRetry);
}

function send(
  target: ServiceTarget,
  request: OutboundRequest,
  options: ExchangeOptions,
  lease: PoolLease | undefined,
  mayRetry: boolean,
): Promise<OutboundResponse> {
  const address = target.addresses[0];
  const where = `${target.hostname} (${hostPort(address, target.port)})`;
  const body = request.body === undefined ? undefined : Buffer.from(request.body);

  return new Promise<OutboundResponse>((resolve, reject) => {
    let phase: Phase = "connect";
    let reused = false;
    let answered = false;
    let settled = false;
    const finish = (outcome: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      lease?.release();
      outcome();
    };
    const fail = (error: unknown) => {
      const stale = mayRetry && reused && !answered && isStale(error);
      finish(() =>
        reject(stale ? new StaleConnection() : classifyFailure(error, phase, where, address)),
      );
      req.destroy();
    };

    let req: ClientRequest;
    try {
      req = httpsRequest(requestOptions(target, request, options, body, lease));
    } catch (error) {
      // Thrown before anything is sent: an invalid method or header value.
      // The runtime's message names the header, never its value.
      const reason = error instanceof Error ? error.message : String(error);
      const message = `The request to ${where} cannot be sent: ${reason}`;
      const code = codeOf(error);
      lease?.release();
      reject(new OutboundError("request_invalid", message, { code, cause: error }));
      return;
    }

    const timer = setTimeout(() => {
      const seconds = options.timeoutMs / 1000;
      const message = `${where} did not answer within ${seconds} s (stopped during ${phase})`;
      fail(new OutboundError("timeout", message, { address }));
    }, options.timeoutMs);

    req.on("socket", (socket) => {
      // A kept-alive connection was verified when it was made, under this same key.
      if (req.reusedSocket || (socket as TLSSocket).authorized) {
        reused = true;
        phase = "http";
        return;
      }
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
      answered = true;
      const anchorSha256 = anchorOf(req.socket as TLSSocket | null);
      readResponse(res, options.maxBodyBytes).then(({ response, complete }) => {
        finish(() => resolve(anchorSha256 ? { ...response, anchorSha256 } : response));
        // A body read to its end leaves the connection to the pool; anything else closes it.
        if (!lease || !complete) {
          res.destroy();
          req.destroy();
        }
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
  lease: PoolLease | undefined,
): RequestOptions {
  return {
    host: target.addresses[0],
    port: target.port,
    method: request.method,
    path: `${target.url.pathname}${target.url.search}`,
    headers: headersFor(target, request, options.userAgent, body, lease !== undefined),
    ca: options.anchors,
    rejectUnauthorized: true,
    // RFC 6066: SNI carries host names only, never an address.
    servername: isIP(target.hostname) === 0 ? target.hostname : undefined,
    // A pooled Agent carries the same check, bound to the host name of its key.
    ...(lease
      ? { agent: lease.agent }
      : {
          agent: false,
          checkServerIdentity: (_host: string, cert: PeerCertificate) =>
            checkServerIdentity(target.hostname, cert),
        }),
  };
}

function headersFor(
  target: ServiceTarget,
  request: OutboundRequest,
  userAgent: string,
  body: Buffer | undefined,
  keepAlive: boolean,
): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(request.headers ?? {})) {
    if (!OWN_HEADERS.has(name.toLowerCase())) headers[name.toLowerCase()] = value;
  }
  headers.host = target.url.host;
  headers.connection = keepAlive ? "keep-alive" : "close";
  headers["user-agent"] ??= userAgent;
  if (body !== undefined) headers["content-length"] = String(body.byteLength);
  return headers;
}

function isStale(error: unknown): boolean {
  const code = codeOf(error);
  if (code !== undefined) return STALE_CODES.has(code);
  return error instanceof Error && error.message === "socket hang up";
}

/** `10.1.2.3:443` or `[2001:db8::1]:443`. */
export function hostPort(address: string, port: number): string {
  return isIP(address) === 6 ? `[${address}]:${port}` : `${address}:${port}`;
}
