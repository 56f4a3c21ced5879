/**
 * The core Hono app: request ids, access logging, security headers, the
 * body limit, credentials, then every router under its own prefix, and one
 * place that turns errors into answers.
 *
 * @module
 */
import { Hono } from "hono";
import type { MiddlewareHandler } from "hono";
import { bodyLimit } from "hono/body-limit";
import { routePath } from "hono/route";
import { secureHeaders } from "hono/secure-headers";
import type { Database } from "../../db/client.ts";
import { Problem, isProblem } from "../errors.ts";
import type { InterfaceName } from "../identity.ts";
import type { Cidr } from "../outbound/ip.ts";
import { lazyChild, redactUrl } from "../log.ts";
import type { Logger } from "../log.ts";
import type { AuditEntry } from "../services/audit.ts";
import { credentials } from "./auth.ts";
import { databaseUnavailable, isDatabaseUnavailable } from "./database-faults.ts";
import type { RequestObservation } from "./metrics.ts";
import { sourceAddress } from "./forwarded.ts";
import type { AppEnv } from "./env.ts";
import { internalError, renderProblem } from "./respond.ts";
import type { Router } from "./router.ts";

/** What the runtime tells the app about the connection. */
export interface ConnectionInfo {
  remoteAddress?: string;
  /** The interface the request arrived on; `clean` when the runtime does not say. */
  iface?: InterfaceName;
}

export interface CoreAppOptions {
  db: Database;
  log: Logger;
  routers: Router[];
  /** The largest body a route may receive, in bytes. */
  bodyLimitFor(method: string, path: string): Promise<number> | number;
  /** Refuses routes the request's interface does not serve, before anything else is read. */
  interfaceScope?: MiddlewareHandler<AppEnv>;
  /** Peers whose X-Forwarded-For names the client (PORTICO_TRUSTED_PROXIES). */
  trustedProxies?: readonly Cidr[];
  /** Told of every answered request, for the metrics. */
  observe?(observation: RequestObservation): void;
  /** Records a refused administrative change in the audit log (its own transaction). */
  auditRefusal?(entry: AuditEntry): Promise<void>;
}

/** Methods that ask for a change, whose refusals the audit log keeps. */
const CHANGES = new Set(["POST", "PUT", "PATCH", "DELETE"]);

let lastRequestId = Math.floor(Math.random() * 1_000_000) * 1000;

export function createCoreApp(options: CoreAppOptions): Hono<AppEnv> {
  // A trailing slash names the same route: /api/docs/ is /api/docs.
  const app = new Hono<AppEnv>({ strict: false });

  app.use(async (c, next) => {
    const requestId = ++lastRequestId;
    const started = performance.now();
    c.set("requestId", requestId);
    c.set("log", lazyChild(options.log, { request_id: requestId }));
    const info = (c.env ?? {}) as ConnectionInfo;
    const forwardedFor = c.req.header("x-forwarded-for");
    const proxies = options.trustedProxies ?? [];
    c.set("sourceAddress", sourceAddress(info.remoteAddress, forwardedFor, proxies));
    await next();
    c.header("X-Request-Id", String(requestId));
    const route = routePath(c, -1);
    options.observe?.({
      method: c.req.method,
      route: route.endsWith("*") ? "unmatched" : route,
      status: c.res.status,
      seconds: (performance.now() - started) / 1000,
    });
    // Every request at debug; the state changes it made are logged at info where they happen.
    const level = c.res.status >= 500 ? "warn" : "debug";
    if (!options.log.isLevelEnabled(level)) return;
    const url = new URL(c.req.url);
    options.log[level](
      {
        request_id: requestId,
        method: c.req.method,
        path: redactUrl(url.pathname + url.search),
        status: c.res.status,
        ms: Math.round(performance.now() - started),
        source: c.get("sourceAddress"),
        login: c.get("principal")?.login,
      },
      "request",
    );
  });

  // No page of the appliance is meant to be framed; the portal's forms must never be.
  app.use(secureHeaders({ strictTransportSecurity: "max-age=31536000", xFrameOptions: "DENY" }));
  if (options.interfaceScope) app.use(options.interfaceScope);

  app.use(async (c, next) => {
    const maxSize = await options.bodyLimitFor(c.req.method, c.req.path);
    return bodyLimit({
      maxSize,
      onError: () => {
        throw new Problem(
          413,
          "body_too_large",
          "Body too large",
          `The body is larger than the ${maxSize} bytes this route accepts.`,
        );
      },
    })(c, next);
  });

  app.use(credentials(options.db));

  // A change refused on the administration API is audited too: a wrong upload or
  // setting is something an administrator did. The route's own entry, written in
  // its transaction, was rolled back with everything else.
  if (options.auditRefusal) {
    const auditRefusal = options.auditRefusal;
    app.use("/api/v1/*", async (c, next) => {
      await next();
      const principal = c.get("principal");
      const status = c.res.status;
      if (!principal || !CHANGES.has(c.req.method) || status < 400 || status >= 500) return;
      const route = routePath(c, -1);
      if (route.endsWith("*")) return;
      const error = c.error;
      await auditRefusal({
        actor: principal.login,
        action: "request.refused",
        target: c.req.path,
        source: c.get("sourceAddress"),
        outcome: "refused",
        detail: {
          method: c.req.method,
          route,
          status,
          code: isProblem(error) ? error.code : null,
        },
      }).catch((failure: unknown) =>
        c.get("log").warn({ err: failure }, "could not audit a refused request"),
      );
    });
  }

  for (const router of options.routers) app.route(router.prefix, router.app);

  app.notFound((c) =>
    renderProblem(
      c,
      new Problem(
        404,
        "not_found",
        "Not found",
        `No route ${c.req.method} ${c.req.path}: see /api/docs for the API reference.`,
      ),
    ),
  );

  app.onError((error, c) => {
    if (isProblem(error)) return renderProblem(c, error);
    if (isDatabaseUnavailable(error)) {
      (c.get("log") ?? options.log).warn({ err: error }, "database unavailable");
      return renderProblem(c, databaseUnavailable(error));
    }
    const requestId = c.get("requestId");
    (c.get("log") ?? options.log).error({ err: error }, "unhandled error");
    return renderProblem(c, internalError(requestId));
  });

  return app;
}
