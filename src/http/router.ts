/**
 * The router a plugin gets for one of its declared prefixes. Every route
 * names its access rule, so a route without one cannot exist.
 *
 * @module
 */
import { Hono } from "hono";
import type { Handler, MiddlewareHandler } from "hono";
import { isAccess } from "./access.ts";
import type { Access } from "./access.ts";
import type { AppEnv } from "./env.ts";

type Method = "get" | "post" | "put" | "patch" | "delete";

export type RouteHandler = Handler<AppEnv> | MiddlewareHandler<AppEnv>;

/** Turns an access rule into the middleware that enforces it. */
export type Guard = (access: Access) => MiddlewareHandler<AppEnv>;

export class Router {
  /** The Hono app mounted at {@link Router.prefix}. */
  readonly app = new Hono<AppEnv>();

  constructor(
    readonly prefix: string,
    private readonly guard: Guard,
  ) {}

  get(path: string, access: Access, ...handlers: RouteHandler[]): this {
    return this.add("get", path, access, handlers);
  }

  post(path: string, access: Access, ...handlers: RouteHandler[]): this {
    return this.add("post", path, access, handlers);
  }

  put(path: string, access: Access, ...handlers: RouteHandler[]): this {
    return this.add("put", path, access, handlers);
  }

  patch(path: string, access: Access, ...handlers: RouteHandler[]): this {
    return this.add("patch", path, access, handlers);
  }

  delete(path: string, access: Access, ...handlers: RouteHandler[]): this {
    return this.add("delete", path, access, handlers);
  }

  private add(method: Method, path: string, access: Access, handlers: RouteHandler[]): this {
    if (!isAccess(access)) {
      throw new Error(
        `route ${method.toUpperCase()} ${this.prefix}${path} has no access rule: ` +
          "pass open(), allow(...) or allowInactive(...) before its handlers",
      );
    }
    if (handlers.length === 0) {
      throw new Error(`route ${method.toUpperCase()} ${this.prefix}${path} has no handler`);
    }
    this.app.on(method.toUpperCase(), path, this.guard(access), ...(handlers as Handler<AppEnv>[]));
    return this;
  }
}

/** Splits a prefix into its path segments: `/api/v1/users` → three. */
function segments(prefix: string): string[] {
  return prefix.split("/").filter(Boolean);
}

/** True when one prefix contains the other, segment by segment. */
export function prefixesOverlap(a: string, b: string): boolean {
  const sa = segments(a);
  const sb = segments(b);
  const n = Math.min(sa.length, sb.length);
  for (let i = 0; i < n; i++) if (sa[i] !== sb[i]) return false;
  return true;
}

export function isValidPrefix(prefix: string): boolean {
  return /^(\/[a-z0-9][a-z0-9._-]*)+$/.test(prefix);
}
