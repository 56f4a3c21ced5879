/**
 * Activation, deactivation and key resets: each a conditional update in one
 * transaction, so concurrent calls make one transition and one audit entry.
 *
 * @module
 */
import type { Executor } from "../../db/client.ts";
import { notFound } from "../../src/errors.ts";
import type { Principal } from "../../src/http/env.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { issueApiKey, revokeApiKeys } from "../../src/services/keys.ts";
import { findUserByLogin, setUserActive, updateUser } from "../../src/services/users.ts";
import type { User } from "../../src/services/users.ts";

export interface Actor {
  principal: Principal;
  source: string;
}

export function userNotFound(login: string) {
  return notFound(
    "user_not_found",
    `No user with login ${login}: list users with GET /api/v1/users.`,
  );
}

export async function requireUser(db: Executor, login: string): Promise<User> {
  const user = await findUserByLogin(db, login);
  if (!user) throw userNotFound(login);
  return user;
}

/** Sets a user's state; returns the user after and whether this call changed it. */
export async function setActive(
  ctx: PluginContext,
  tx: Executor,
  login: string,
  active: boolean,
  actor: Actor,
): Promise<{ user: User; changed: boolean }> {
  const user = await requireUser(tx, login);
  const at = ctx.clock.now().toISOString();
  const changed = await setUserActive(tx, user.id, active, at);
  const action = active ? "user.activate" : "user.deactivate";
  if (changed) {
    await ctx.audit.record(tx, {
      actor: actor.principal.login,
      action,
      target: login,
      source: actor.source,
      outcome: "success",
    });
    await ctx.events.emit(tx, active ? "user.activated" : "user.deactivated", {
      login,
      actor: actor.principal.login,
    });
  }
  return { user: { ...user, active, updatedAt: changed ? at : user.updatedAt }, changed };
}

export type KeyReset =
  { kind: "key"; apiKey: string } | { kind: "reregister"; reregisterUntil: string };

/**
 * For a person or an integration: a new key, older ones revoked. For a
 * device: its key is revoked and a window opens in which it registers again
 * to get a new one.
 */
export async function resetApiKey(
  ctx: PluginContext,
  tx: Executor,
  login: string,
  actor: Actor,
): Promise<KeyReset> {
  const user = await requireUser(tx, login);
  const now = ctx.clock.now();
  const at = now.toISOString();
  await revokeApiKeys(tx, user.id, at);
  let result: KeyReset;
  if (user.device) {
    const hours = await ctx.settings.get<number>(tx, "devices.reregister_window_hours");
    const reregisterUntil = new Date(now.getTime() + hours * 3_600_000).toISOString();
    await updateUser(tx, user.id, { reregisterUntil }, at);
    result = { kind: "reregister", reregisterUntil };
  } else {
    result = { kind: "key", apiKey: await issueApiKey(tx, user.id, at) };
  }
  await ctx.audit.record(tx, {
    actor: actor.principal.login,
    action: "user.api_key_reset",
    target: login,
    source: actor.source,
    outcome: "success",
    detail: user.device
      ? { reregister_until: (result as { reregisterUntil: string }).reregisterUntil }
      : {},
  });
  await ctx.events.emit(tx, "user.api_key_reset", { login, actor: actor.principal.login });
  return result;
}
