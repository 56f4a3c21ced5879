/**
 * user-activation: administrators find the users devices created, look at
 * them, activate or deactivate them and reset their keys; every caller can
 * ask who it is.
 *
 * @module
 */
import * as v from "valibot";
import { forbidden, parseInput } from "../../src/errors.ts";
import { allow, allowInactive } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody, single } from "../../src/http/body.ts";
import type { Principal } from "../../src/http/env.ts";
import { envelope } from "../../src/http/respond.ts";
import { userDetailsPoint } from "../../src/identity.ts";
import { definePlugin } from "../../src/plugin.ts";
import { liveKeyPrefix } from "../../src/services/keys.ts";
import { findUserByLogin, updateUser } from "../../src/services/users.ts";
import type { User } from "../../src/services/users.ts";
import { requireUser, resetApiKey, setActive, userNotFound } from "./lifecycle.ts";
import { ListQuery, listUsers } from "./list.ts";
import { compatibleUserView, userView } from "./views.ts";

const ProfileInput = v.object({
  name: v.optional(v.nullable(v.pipe(v.string("name must be text"), v.trim(), v.maxLength(200)))),
  email: v.optional(
    v.nullable(v.pipe(v.string(), v.trim(), v.maxLength(254), v.email("email is not an address"))),
  ),
});

/** Admins see everyone; an org-admin its organization; others themselves. */
function maySee(viewer: Principal, user: User): boolean {
  if (viewer.role === "admin") return true;
  if (viewer.role === "org-admin") return user.organizationId === viewer.organizationId;
  return user.id === viewer.userId;
}

export default definePlugin({
  id: "user-activation",
  version: "0.1.0",
  kernel: "^0.1.0",
  prefixes: ["/api/v1/users", "/api/v3/session", "/api/v3/users", "/api/v3/organizations"],
  setup(ctx) {
    ctx.settings.define(
      "devices.reregister_window_hours",
      v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(720)),
      24,
      "After an administrator resets a device's key, the hours in which it may register again.",
    );
    const actor = (c: { get(k: "principal"): Principal | null; get(k: "sourceAddress"): string }) => ({
      principal: principalOf(c),
      source: c.get("sourceAddress"),
    });

    const native = ctx.route("/api/v1/users");

    native.get("/", allow("admin", "org-admin"), async (c) => {
      const filter = parseInput(ListQuery, c.req.query(), "query");
      const { page, nextCursor } = await listUsers(ctx.db.orm, filter, principalOf(c));
      const items = await Promise.all(
        page.map(async (u) => userView(u, await liveKeyPrefix(ctx.db.orm, u.id))),
      );
      return c.json({ items, next_cursor: nextCursor });
    });

    native.get("/:login", allow("admin", "org-admin"), async (c) => {
      const login = c.req.param("login") ?? "";
      const user = await requireUser(ctx.db.orm, login);
      if (!maySee(principalOf(c), user)) throw userNotFound(login);
      const details: Record<string, unknown> = userView(
        user,
        await liveKeyPrefix(ctx.db.orm, user.id),
      );
      for (const section of ctx.extensions(userDetailsPoint)) {
        details[section.name] = await section.load(ctx.db.orm, user);
      }
      return c.json(details);
    });

    for (const [verb, active] of [
      ["activate", true],
      ["deactivate", false],
    ] as const) {
      native.post(`/:login/${verb}`, allow("admin"), async (c) => {
        const login = c.req.param("login") ?? "";
        const { user, changed } = await ctx.db.write((tx) =>
          setActive(ctx, tx, login, active, actor(c)),
        );
        if (changed) {
          ctx.log.info({ login, by: principalOf(c).login }, active ? "user activated" : "user deactivated");
        }
        return c.json({ ...userView(user, await liveKeyPrefix(ctx.db.orm, user.id)), changed });
      });
    }

    native.post("/:login/api-key", allow("admin"), async (c) => {
      const login = c.req.param("login") ?? "";
      const reset = await ctx.db.write((tx) => resetApiKey(ctx, tx, login, actor(c)));
      ctx.log.info({ login, by: principalOf(c).login }, "api key reset");
      if (reset.kind === "key") return c.json({ api_key: reset.apiKey }, 201);
      return c.json({ reregister_until: reset.reregisterUntil }, 200);
    });

    ctx.route("/api/v3/session").get("/whoami", allowInactive("admin", "org-admin", "user", "device"), async (c) => {
      const user = await requireUser(ctx.db.orm, principalOf(c).login);
      return envelope(c, compatibleUserView(user));
    });

    const compatible = ctx.route("/api/v3/users");

    compatible.get("/:login", allow("admin", "org-admin", "user", "device"), async (c) => {
      const login = c.req.param("login") ?? "";
      const user = await findUserByLogin(ctx.db.orm, login);
      if (!user || !maySee(principalOf(c), user)) throw userNotFound(login);
      return envelope(c, compatibleUserView(user));
    });

    compatible.put("/:login", allow("admin", "org-admin", "user", "device"), async (c) => {
      const login = c.req.param("login") ?? "";
      const viewer = principalOf(c);
      const body = await readBody(c);
      const input = parseInput(
        ProfileInput,
        Object.fromEntries(
          Object.entries(body)
            .filter(([k]) => k === "name" || k === "email")
            .map(([k, value]) => [k, single(value)]),
        ),
      );
      await ctx.db.write(async (tx) => {
        const user = await findUserByLogin(tx, login);
        if (!user || !maySee(viewer, user)) throw userNotFound(login);
        if (viewer.role !== "admin" && user.id !== viewer.userId) {
          throw forbidden("role_forbidden", "Only an administrator or the user may change a profile.");
        }
        await updateUser(tx, user.id, input, ctx.clock.now().toISOString());
        await ctx.audit.record(tx, {
          actor: viewer.login,
          action: "user.update",
          target: login,
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { fields: Object.keys(input) },
        });
      });
      return c.body(null, 204);
    });

    ctx.route("/api/v3/organizations").get(
      "/:id/users",
      allow("admin", "org-admin"),
      async (c) => {
        const id = Number(c.req.param("id"));
        const viewer = principalOf(c);
        if (!Number.isInteger(id) || (viewer.role !== "admin" && viewer.organizationId !== id)) {
          throw forbidden("role_forbidden", "An org-admin may list only its own organization.");
        }
        const { page } = await listUsers(
          ctx.db.orm,
          { limit: 200, cursor: undefined },
          { ...viewer, role: "org-admin", organizationId: id },
        );
        return envelope(c, { users: page.map(compatibleUserView) });
      },
    );
  },
});
