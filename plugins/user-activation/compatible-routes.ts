/**
 * The Threat Grid v3-compatible user routes: whoami, a user, a user's
 * rate limits, an organization's users.
 *
 * @module
 */
import * as v from "valibot";
import { forbidden, notFound, parseInput } from "../../src/errors.ts";
import { allow, allowInactive } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody, single } from "../../src/http/body.ts";
import { envelope } from "../../src/http/respond.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { allowance, compatibleAllowance } from "../../src/samples/rate-limit.ts";
import { findOrganization, findUserByLogin, updateUser } from "../../src/services/users.ts";
import { userNotFound } from "./lifecycle.ts";
import { listUsers } from "./list.ts";
import { maySee } from "./scope.ts";
import { compatibleUserView } from "./views.ts";

const ProfileInput = v.object({
  name: v.optional(v.nullable(v.pipe(v.string("name must be text"), v.trim(), v.maxLength(200)))),
  email: v.optional(
    v.nullable(v.pipe(v.string(), v.trim(), v.maxLength(254), v.email("email is not an address"))),
  ),
});

const EVERYONE = ["admin", "org-admin", "user", "device"] as const;

export function compatibleRoutes(ctx: PluginContext): void {
  ctx
    .route("/api/v3/session")
    .get("/whoami", allowInactive(...EVERYONE), { summary: "Who the key belongs to" }, (c) =>
      envelope(c, compatibleUserView(principalOf(c).user)),
    );

  const router = ctx.route("/api/v3/users");

  router.get(
    "/:login",
    allow(...EVERYONE),
    { summary: "A user (admin, or the user itself)", problems: ["user_not_found"] },
    async (c) => {
      const login = c.req.param("login") ?? "";
      const user = await findUserByLogin(ctx.db.orm, login);
      if (!user || !maySee(principalOf(c), user)) throw userNotFound(login);
      return envelope(c, compatibleUserView(user));
    },
  );

  router.put(
    "/:login",
    allow(...EVERYONE),
    {
      summary: "Change a user's name or email",
      body: ProfileInput,
      bodyTypes: ["application/json", "application/x-www-form-urlencoded"],
      status: 204,
      problems: ["user_not_found", "invalid_request"],
    },
    async (c) => {
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
          throw forbidden(
            "role_forbidden",
            "Only an administrator or the user may change a profile.",
          );
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
    },
  );

  router.get(
    "/:login/rate-limit",
    allow(...EVERYONE),
    {
      summary: "The user's and its organization's submission limits",
      problems: ["user_not_found"],
    },
    async (c) => {
      const login = c.req.param("login") ?? "";
      const viewer = principalOf(c);
      const user = await findUserByLogin(ctx.db.orm, login);
      if (!user || (viewer.role !== "admin" && user.id !== viewer.userId))
        throw userNotFound(login);
      const who = { userId: user.id, organizationId: user.organizationId };
      const now = ctx.clock.now();
      const own = await allowance(ctx.db.orm, ctx.settings, "user", who, now);
      const org = await allowance(ctx.db.orm, ctx.settings, "organization", who, now);
      return envelope(c, {
        user: own.rules.length > 0 ? compatibleAllowance(own) : null,
        organization: compatibleAllowance(org),
      });
    },
  );

  ctx
    .route("/api/v3/organizations")
    .get(
      "/:id/users",
      allow("admin", "org-admin"),
      { summary: "An organization's users", problems: ["organization_not_found"] },
      async (c) => {
        const raw = c.req.param("id") ?? "";
        const id = /^\d{1,15}$/.test(raw) ? Number(raw) : NaN;
        const viewer = principalOf(c);
        if (viewer.role !== "admin" && viewer.organizationId !== id) {
          throw forbidden("role_forbidden", "An org-admin may list only its own organization.");
        }
        if (!Number.isInteger(id) || !(await findOrganization(ctx.db.orm, id))) {
          throw notFound(
            "organization_not_found",
            `No organization ${raw}: list them with GET /api/v1/organizations.`,
          );
        }
        const { page } = await listUsers(
          ctx.db.orm,
          { limit: 200, cursor: undefined },
          { ...viewer, role: "org-admin", organizationId: id },
        );
        return envelope(c, { users: page.map(compatibleUserView) });
      },
    );
}
