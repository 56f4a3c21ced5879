/**
 * API-key authentication. A key may come as `Authorization: Bearer`, as an
 * `api_key` query parameter or as an `api_key` form field (Threat Grid
 * clients send it those ways); two different keys in one request are
 * refused rather than guessed between.
 *
 * @module
 */
import { and, eq, isNull } from "drizzle-orm";
import type { MiddlewareHandler } from "hono";
import type { Database } from "../../db/client.ts";
import { apiKeys, users } from "../../db/schema.ts";
import { INACTIVE_MESSAGE, Problem, badRequest, forbidden, unauthorized } from "../errors.ts";
import { sha256Hex } from "../services/keys.ts";
import type { Access } from "./access.ts";
import { isForm, readForm, single } from "./body.ts";
import type { AppEnv, Principal } from "./env.ts";

async function presentedKeys(c: Parameters<MiddlewareHandler<AppEnv>>[0]): Promise<string[]> {
  const keys: string[] = [];
  const header = c.req.header("authorization");
  if (header !== undefined) {
    const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
    if (!match) {
      throw unauthorized(
        'The Authorization header must be "Bearer <api key>"; no other scheme is accepted here.',
      );
    }
    keys.push(match[1]);
  }
  const query = c.req.queries("api_key");
  if (query) keys.push(...query);
  if (c.req.method !== "GET" && c.req.method !== "HEAD" && isForm(c)) {
    const form = await readForm(c);
    const field = form.api_key;
    for (const value of Array.isArray(field) ? field : field === undefined ? [] : [field]) {
      if (typeof value === "string") keys.push(value);
    }
  }
  return keys.filter((k) => k.length > 0);
}

export async function resolvePrincipal(db: Database, key: string): Promise<Principal | null> {
  if (key.length > 200) return null;
  // One query per request: the key and its user together.
  const row = await db.orm
    .select({ keyId: apiKeys.id, user: users })
    .from(apiKeys)
    .innerJoin(users, eq(users.id, apiKeys.userId))
    .where(and(eq(apiKeys.hash, await sha256Hex(key)), isNull(apiKeys.revokedAt)))
    .get();
  if (!row) return null;
  const { user } = row;
  return {
    userId: user.id,
    login: user.login,
    role: user.role,
    organizationId: user.organizationId,
    active: user.active,
    device: user.device,
    keyId: row.keyId,
    user,
  };
}

/**
 * Remembers resolved keys for a moment, so that a burst of requests with one
 * key reads the database once. Any write this process commits empties it, so
 * a key revoked or a user deactivated here is refused by the next request;
 * another process of a scaled-out appliance sees the change within the TTL.
 */
export class CredentialCache {
  private readonly entries = new Map<string, { principal: Principal | null; until: number }>();

  constructor(
    private readonly db: Database,
    private readonly ttlMs = 1_000,
    private readonly max = 10_000,
  ) {
    db.afterWrite(() => this.entries.clear());
  }

  async resolve(key: string): Promise<Principal | null> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.until > now) return hit.principal;
    const principal = await resolvePrincipal(this.db, key);
    if (this.entries.size >= this.max) this.entries.clear();
    this.entries.set(key, { principal, until: now + this.ttlMs });
    return principal;
  }
}

/** Resolves the request's key, if it has one, without deciding access. */
export function credentials(db: Database): MiddlewareHandler<AppEnv> {
  const cache = new CredentialCache(db);
  return async (c, next) => {
    const keys = await presentedKeys(c);
    const distinct = [...new Set(keys)];
    if (distinct.length > 1) {
      throw badRequest(
        "conflicting_credentials",
        "The request carries two different API keys (header, query or form): send exactly one.",
      );
    }
    c.set("credential", null);
    c.set("principal", null);
    if (distinct.length === 1) {
      const principal = await cache.resolve(distinct[0]);
      c.set("credential", { key: distinct[0], principal });
      c.set("principal", principal);
    }
    await next();
  };
}

/** Enforces a route's access rule. */
export function guard(access: Access): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    if (access.open) return next();
    const credential = c.get("credential");
    if (!credential) {
      throw unauthorized('This route needs an API key: send it as "Authorization: Bearer <key>".');
    }
    const principal = credential.principal;
    if (!principal) {
      throw unauthorized(
        "The API key is unknown or was revoked: use the current key, or ask an administrator for a new one.",
      );
    }
    if (!principal.active && !access.inactive) throw forbidden("user_inactive", INACTIVE_MESSAGE);
    if (!access.roles.includes(principal.role)) {
      throw forbidden(
        "role_forbidden",
        `${/^[aeiou]/.test(principal.role) ? "An" : "A"} ${principal.role} may not call this ` +
          `route; it is for: ${access.roles.join(", ")}.`,
      );
    }
    return next();
  };
}

/** The principal of a guarded route (set by {@link guard}). */
export function principalOf(c: { get(key: "principal"): Principal | null }): Principal {
  const principal = c.get("principal");
  if (!principal) throw new Problem(401, "unauthorized", "Unauthorized", "No API key was sent.");
  return principal;
}
