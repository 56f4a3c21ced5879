/**
 * The kernel's outbound HTTPS client, given to plugins as `ctx.outbound`.
 * It trusts exactly the administrator's CA store (never the system roots
 * nor `NODE_EXTRA_CA_CERTS` / `SSL_CERT_FILE`), reaches only addresses the
 * policy allows, and reuses a connection only for a request that would
 * verify it exactly as it was verified (see `pool.ts`).
 *
 * @module
 */

import { usableAnchors } from "./anchors.ts";
import { CHECK_BUDGET_MS, type CheckOptions, type ConnectionCheck, runCheck } from "./check.ts";
import { OutboundError } from "./errors.ts";
import { freshRead } from "./fresh-read.ts";
import type { Cidr } from "./ip.ts";
import { ConnectionPool, type PoolOptions } from "./pool.ts";
import { type Resolver, resolveServiceTarget } from "./resolve.ts";
import { type OutboundRequest, type OutboundResponse, exchange } from "./transport.ts";

export type { OutboundRequest, OutboundResponse } from "./transport.ts";
export type { CheckOptions, CheckStep, ConnectionCheck } from "./check.ts";
export type { PoolOptions } from "./pool.ts";

/** How the client is built; the kernel passes the CA store and `PORTICO_OUTBOUND_ALLOW`. */
export interface OutboundClientOptions {
  /**
   * The PEM certificates to trust, read again for every request and check,
   * so a CA removed from the store is not trusted by the next one. Requests
   * made together share a read, never one that began before they did.
   * A pinned self-signed server certificate counts as an anchor. An entry
   * may hold a bundle; blocks that do not parse as X.509 are skipped.
   */
  trustAnchors: () => Promise<string[]> | string[];
  /** Extra ranges the client may reach, parsed from `PORTICO_OUTBOUND_ALLOW`. */
  allow: readonly Cidr[];
  /** The limit for lookup, connect, TLS and the whole response. Default is 15000 ms. */
  timeoutMs?: number;
  /**
   * The time a whole {@link OutboundClient.check} may take, every step
   * included. Default is 8000 ms: an administrator's request waits for it,
   * and the appliance's listener gives a request 30 s of silence at most.
   */
  checkBudgetMs?: number;
  /** The `User-Agent` sent unless a request sets its own. Default is `Portico`. */
  userAgent?: string;
  /** The resolver; default is the operating system's. Tests map names with it. */
  resolve?: Resolver;
  /** The largest response body kept, in bytes. Default is 65536. */
  maxBodyBytes?: number;
  /**
   * Keep-alive limits, or `false` for a new connection per request. On Deno
   * the client always uses a new connection: its `node:https` keep-alive
   * has not been verified to keep trust apart.
   */
  pool?: PoolOptions | false;
}

/** The outbound client. */
export interface OutboundClient {
  /**
   * Sends one request and returns the response, whatever its status; a 3xx
   * is returned, not followed.
   *
   * @throws {OutboundError} when no response was received; its `kind` says why.
   */
  request(url: string, request: OutboundRequest): Promise<OutboundResponse>;
  /**
   * Tries the lookup, TCP, TLS and HTTP steps one after the other and says
   * which one failed and what the administrator can do, all within the
   * check's time budget. Never throws.
   */
  check(url: string, options?: CheckOptions): Promise<ConnectionCheck>;
}

const DEFAULT_TIMEOUT_MS = 15_000;
const DEFAULT_MAX_BODY_BYTES = 64 * 1024;

/**
 * Creates the outbound client.
 *
 * @example
 * const outbound = createOutboundClient({ trustAnchors: () => store.pems(), allow: [] });
 * const res = await outbound.request("https://amp.example.com/dispositions", {
 *   method: "POST",
 *   headers: { authorization: basic, "content-type": "application/json" },
 *   body: JSON.stringify(update),
 * });
 */
export function createOutboundClient(options: OutboundClientOptions): OutboundClient {
  const timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
  const userAgent = options.userAgent ?? "Portico";
  const maxBodyBytes = options.maxBodyBytes ?? DEFAULT_MAX_BODY_BYTES;
  const anchors = freshRead(async () => usableAnchors(await options.trustAnchors()));
  const onDeno = "Deno" in globalThis;
  const pool =
    options.pool === false || onDeno ? undefined : new ConnectionPool(options.pool ?? {});

  return {
    async request(url, request) {
      const started = Date.now();
      const trusted = await anchors();
      if (trusted.length === 0) {
        const message =
          "The CA store holds no usable certificate, so no outbound request is sent: " +
          "add the service's certificate or its CA under CA certificates";
        throw new OutboundError("no_trust_anchors", message);
      }

      const checked = await resolveServiceTarget(url, options.allow, options.resolve, timeoutMs);
      if (!checked.ok) throw new OutboundError(checked.code, checked.message);

      const limit = Math.min(request.timeoutMs ?? timeoutMs, timeoutMs);
      const timeLeft = Math.max(1, limit - (Date.now() - started));
      return exchange(checked.target, request, {
        anchors: trusted,
        timeoutMs: timeLeft,
        userAgent,
        maxBodyBytes,
        pool,
      });
    },

    async check(url, checkOptions = {}) {
      const deps = { anchors, allow: options.allow, resolve: options.resolve };
      const budgetMs = Math.min(options.checkBudgetMs ?? CHECK_BUDGET_MS, timeoutMs);
      return runCheck(url, checkOptions, { ...deps, budgetMs, userAgent, maxBodyBytes });
    },
  };
}
