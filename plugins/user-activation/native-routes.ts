/**
 * `/api/v1/users`: list, details, create, change, activate, deactivate and
 * reset keys.
 *
 * @module
 */
import { badRequest, conflict, forbidden, notFound, parseInput } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import type { AppEnv, Principal } from "../../src/http/env.ts";
import { userDetailsPoint } from "../../src/identity.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { issueApiKey } from "../../src/services/keys.ts";
import {
  createUser,
  findOrganization,
  findLoginClash,
  findUserByLogin,
  updateUser,
} from "../../src/services/users.ts";
import type { Context } from "hono";
import { NewUserInput, UserPatchInput } from "./input.ts";
import { requireUser, resetApiKey, setActive, userNotFound } from "./lifecycle.ts";
import { ListQuery, listUsers } from "./list.ts";
import { hashPassword } from "./password.ts";
import { passwordRoute } from "./password-route.ts";
import { maySee, requireManageable } from "./scope.ts";
import { userViewOf, userViews } from "./views.ts";
import { users } from "../../db/schema.ts";
import { eq } from "drizzle-orm";

const actor = (c: Context<AppEnv>) => ({
  principal: principalOf(c),
  source: c.get("sourceAddress"),
});

/** Refuses a change that would lock the caller out of its own account. */
const ownAccount = (what: string) =>
  conflict(
    "own_account",
    "Not on your own account",
    `You cannot ${what}: you would lock yourself out. Another administrator must do it.`,
  );

/** The organization a new or moved user goes to, checked for the viewer. */
async function targetOrganization(ctx: PluginContext, viewer: Principal, wanted?: number) {
  const id = wanted ?? (viewer.role === "org-admin" ? viewer.organizationId : undefined);
  if (id === undefined) {
    throw badRequest("invalid_request", "organization_id is required.", [
      { path: "/organization_id", message: "required for an administrator" },
    ]);
  }
  if (viewer.role === "org-admin" && id !== viewer.organizationId) {
    throw forbidden("role_forbidden", "An org-admin creates users only in its own organization.");
  }
  if (!(await findOrganization(ctx.db.orm, id))) {
    throw notFound(
      "organization_not_found",
      `No organization ${id}: list them with GET /api/v1/organizations.`,
    );
  }
  return id;
}

export function nativeRoutes(ctx: PluginContext): void {
  const router = ctx.route("/api/v1/users");
  const managers = allow("admin", "org-admin");

  router.get(
    "/",
    managers,
    { summary: "Users, filtered, by cursor", query: ListQuery, problems: ["invalid_request"] },
    async (c) => {
      const filter = parseInput(ListQuery, c.req.query(), "query");
      const { page, nextCursor } = await listUsers(ctx.db.orm, filter, principalOf(c));
      const items = await userViews(ctx.db.orm, page);
      return c.json({ items, next_cursor: nextCursor });
    },
  );

  router.post(
    "/",
    managers,
    {
      summary: "Create a person or integration user",
      body: NewUserInput,
      status: 201,
      problems: ["invalid_request", "organization_not_found", "login_in_use", "malformed_json"],
    },
    async (c) => {
      const viewer = principalOf(c);
      const input = parseInput(NewUserInput, await readBody(c, ["json"]));
      if (viewer.role === "org-admin" && input.role === "admin") {
        throw forbidden("role_forbidden", "An org-admin may not create administrators.");
      }
      const organizationId = await targetOrganization(ctx, viewer, input.organization_id);
      const passwordHash = input.password ? await hashPassword(input.password) : null;
      const at = ctx.clock.now().toISOString();
      const { user, apiKey } = await ctx.db.write(async (tx) => {
        const clash = await findLoginClash(tx, input.login);
        if (clash) {
          throw conflict(
            "login_in_use",
            "Login in use",
            `A user with login ${clash.login} exists (logins differ in more than letter case): ` +
              "choose another login.",
          );
        }
        const created = await createUser(
          tx,
          {
            login: input.login,
            organizationId,
            role: input.role,
            active: input.active,
            name: input.name,
            email: input.email,
            integrationId: input.integration_id,
            apiOnly: passwordHash === null,
            passwordHash,
          },
          at,
        );
        const key = await issueApiKey(tx, created.id, at);
        await ctx.audit.record(tx, {
          actor: viewer.login,
          action: "user.create",
          target: created.login,
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { role: created.role, organization_id: organizationId },
        });
        return { user: created, apiKey: key };
      });
      ctx.log.info({ login: user.login, role: user.role, by: viewer.login }, "user created");
      return c.json({ ...(await userViewOf(ctx.db.orm, user)), api_key: apiKey }, 201);
    },
  );

  router.get(
    "/:login",
    managers,
    { summary: "A user's details with its registration history", problems: ["user_not_found"] },
    async (c) => {
      const login = c.req.param("login") ?? "";
      const user = await requireUser(ctx.db.orm, login);
      if (!maySee(principalOf(c), user)) throw userNotFound(login);
      const details: Record<string, unknown> = await userViewOf(ctx.db.orm, user);
      for (const section of ctx.extensions(userDetailsPoint)) {
        details[section.name] = await section.load(ctx.db.orm, user);
      }
      return c.json(details);
    },
  );

  router.patch(
    "/:login",
    managers,
    {
      summary: "Change name, email, role or organization",
      body: UserPatchInput,
      problems: [
        "user_not_found",
        "organization_not_found",
        "invalid_request",
        "malformed_json",
        "own_account",
      ],
    },
    async (c) => {
      const viewer = principalOf(c);
      const login = c.req.param("login") ?? "";
      const input = parseInput(UserPatchInput, await readBody(c, ["json"]));
      if (
        viewer.role === "org-admin" &&
        (input.role === "admin" || input.organization_id !== undefined)
      ) {
        throw forbidden(
          "role_forbidden",
          "An org-admin may not make administrators or move users between organizations.",
        );
      }
      if (input.organization_id !== undefined)
        await targetOrganization(ctx, viewer, input.organization_id);
      const updated = await ctx.db.write(async (tx) => {
        const user = requireManageable(viewer, await findUserByLogin(tx, login), login);
        if (input.role !== undefined && input.role !== user.role && user.id === viewer.userId) {
          throw ownAccount(`change your own role from ${user.role} to ${input.role}`);
        }
        if (input.role !== undefined && (input.role === "device") !== user.device) {
          throw badRequest(
            "invalid_request",
            "A device keeps the device role, and only devices have it.",
            [
              {
                path: "/role",
                message: user.device ? "must stay device" : "only registered devices are devices",
              },
            ],
          );
        }
        const at = ctx.clock.now().toISOString();
        await updateUser(tx, user.id, { name: input.name, email: input.email }, at);
        if (input.role !== undefined || input.organization_id !== undefined) {
          await tx
            .update(users)
            .set({
              role: input.role ?? user.role,
              organizationId: input.organization_id ?? user.organizationId,
            })
            .where(eq(users.id, user.id));
        }
        await ctx.audit.record(tx, {
          actor: viewer.login,
          action: "user.update",
          target: login,
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { ...input },
        });
        return (await findUserByLogin(tx, login))!;
      });
      return c.json(await userViewOf(ctx.db.orm, updated));
    },
  );

  for (const [verb, active] of [
    ["activate", true],
    ["deactivate", false],
  ] as const) {
    router.post(
      `/:login/${verb}`,
      managers,
      {
        summary: `${verb[0].toUpperCase()}${verb.slice(1)} a user (idempotent)`,
        problems: ["user_not_found", "own_account"],
      },
      async (c) => {
        const login = c.req.param("login") ?? "";
        const viewer = principalOf(c);
        const { user, changed } = await ctx.db.write(async (tx) => {
          const target = requireManageable(viewer, await findUserByLogin(tx, login), login);
          if (!active && target.id === viewer.userId && target.active) {
            throw ownAccount("deactivate your own account");
          }
          return setActive(ctx, tx, login, active, actor(c));
        });
        if (changed)
          ctx.log.info({ login, by: viewer.login }, active ? "user activated" : "user deactivated");
        return c.json({ ...(await userViewOf(ctx.db.orm, user)), changed });
      },
    );
  }

  router.post(
    "/:login/api-key",
    managers,
    {
      summary: "Reset a user's API key; a device registers again for its new one",
      problems: ["user_not_found"],
    },
    async (c) => {
      const login = c.req.param("login") ?? "";
      const viewer = principalOf(c);
      const reset = await ctx.db.write(async (tx) => {
        requireManageable(viewer, await findUserByLogin(tx, login), login);
        return resetApiKey(ctx, tx, login, actor(c));
      });
      ctx.log.info({ login, by: viewer.login }, "api key reset");
      if (reset.kind === "key") return c.json({ api_key: reset.apiKey }, 201);
      return c.json({ reregister_until: reset.reregisterUntil }, 200);
    },
  );

  passwordRoute(ctx, router, managers);
}
