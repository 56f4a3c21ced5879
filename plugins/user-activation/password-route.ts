/**
 * `PUT /api/v1/users/{login}/password`: gives a person a console password
 * (or replaces it). This is how the first administrator, who starts with
 * only an API key, becomes able to sign in to the portal.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import * as v from "valibot";
import { users } from "../../db/schema.ts";
import { badRequest, parseInput, strictMessage } from "../../src/errors.ts";
import type { Access } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import type { Router } from "../../src/http/router.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { findUserByLogin } from "../../src/services/users.ts";
import { hashPassword } from "./password.ts";
import { requireManageable } from "./scope.ts";

/** The body: the new password, 12 to 200 characters. */
export const PasswordInput = v.strictObject(
  {
    password: v.pipe(
      v.string("password is required"),
      v.minLength(12, "password must be at least 12 characters"),
      v.maxLength(200, "password must be at most 200 characters"),
    ),
  },
  strictMessage("send only password"),
);

/** Mounts the password route on the users router. */
export function passwordRoute(ctx: PluginContext, router: Router, access: Access): void {
  router.put(
    "/:login/password",
    access,
    {
      summary: "Set a person's console password",
      body: PasswordInput,
      status: 204,
      problems: ["user_not_found", "device_password", "invalid_request", "malformed_json"],
    },
    async (c) => {
      const login = c.req.param("login") ?? "";
      const viewer = principalOf(c);
      const input = parseInput(PasswordInput, await readBody(c));
      const passwordHash = await hashPassword(input.password);
      await ctx.db.write(async (tx) => {
        const user = requireManageable(viewer, await findUserByLogin(tx, login), login);
        if (user.device) {
          throw badRequest(
            "device_password",
            "Devices authenticate with their API key only; a device cannot have a password.",
            [{ path: "/password", message: "a device cannot have a password" }],
          );
        }
        await tx
          .update(users)
          .set({ passwordHash, apiOnly: false, updatedAt: ctx.clock.now().toISOString() })
          .where(eq(users.id, user.id));
        await ctx.audit.record(tx, {
          actor: viewer.login,
          action: "user.password",
          target: login,
          source: c.get("sourceAddress"),
          outcome: "success",
        });
      });
      ctx.log.info({ login, by: viewer.login }, "console password set");
      return c.body(null, 204);
    },
  );
}
