/**
 * The registration rules of the CSA API: what a gateway gets when it
 * registers, depending on what the appliance knows of it. Each call is one
 * transaction, so concurrent registrations of one device make one
 * organization and one user.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { Problem, conflict } from "../../src/errors.ts";
import type { Credential } from "../../src/http/env.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { issueApiKey, revokeApiKeys } from "../../src/services/keys.ts";
import {
  createOrganization,
  createUser,
  findOrganization,
  findOrganizationByName,
  findUserByLogin,
  updateUser,
} from "../../src/services/users.ts";
import type { User } from "../../src/services/users.ts";
import type { Registration } from "./input.ts";
import { attributesOf } from "./input.ts";
import { devices } from "./schema.ts";
import { spendToken } from "./tokens.ts";

const tokenRequired = () =>
  new Problem(
    401,
    "registration_token_required",
    "Registration token required",
    "This appliance hands out device keys only with a registration token, to new devices and " +
      "to known ones getting a new key (after a key reset too): ask an administrator for one " +
      "and send it as registration_token.",
    { errors: [{ path: "/registration_token", message: "required by the registration policy" }] },
  );

export type Outcome = "created" | "rekeyed" | "reregistered" | "updated";

export interface RegistrationResult {
  status: 200 | 201;
  outcome: Outcome;
  body: { login: string; organization_id: number; api_key?: string; active: boolean };
}

export const alreadyRegistered = () =>
  conflict(
    "device_already_registered",
    "Device already registered",
    "This device is registered and active with a valid API key. An administrator must " +
      "reset its key before it can register again.",
  );

/** A name for the device's organization that no other organization has. */
async function freeOrganizationName(tx: Executor, base: string): Promise<string> {
  for (let n = 1; ; n++) {
    const name = n === 1 ? base : `${base} (${n})`;
    if (!(await findOrganizationByName(tx, name))) return name;
  }
}

async function saveDevice(tx: Executor, user: User, input: Registration, at: string) {
  const attrs = attributesOf(input);
  const fields = {
    deviceType: input.device_type,
    model: attrs.model ?? null,
    serial: attrs.serial ?? null,
    hostname: attrs.hostname ?? null,
    softwareVersion: attrs.software_version ?? null,
    lastRegisteredAt: at,
  };
  await tx
    .insert(devices)
    .values({ userId: user.id, clientId: user.login, registeredAt: at, ...fields })
    .onConflictDoUpdate({ target: devices.userId, set: fields });
  await updateUser(
    tx,
    user.id,
    { name: attrs.hostname ?? user.name, integrationId: input.device_type },
    at,
  );
}

async function createDevice(
  ctx: PluginContext,
  tx: Executor,
  input: Registration,
  at: string,
  organizationId: number | null,
): Promise<RegistrationResult> {
  const org =
    (organizationId !== null ? await findOrganization(tx, organizationId) : undefined) ??
    (await createOrganization(tx, await freeOrganizationName(tx, input.client_id), at));
  const user = await createUser(
    tx,
    {
      login: input.client_id,
      organizationId: org.id,
      role: "device",
      active: false,
      device: true,
      integrationId: input.device_type,
      name: input.hostname ?? null,
      apiOnly: true,
    },
    at,
  );
  await saveDevice(tx, user, input, at);
  const apiKey = await issueApiKey(tx, user.id, at);
  await ctx.events.emit(tx, "device.registered", {
    login: user.login,
    organization_id: org.id,
    device_type: input.device_type,
  });
  return {
    status: 201,
    outcome: "created",
    body: { login: user.login, organization_id: org.id, api_key: apiKey, active: false },
  };
}

/**
 * Applies the rules to one registration inside `tx`. Throws the 409
 * problem for an active device that may not register again.
 */
export async function register(
  ctx: PluginContext,
  tx: Executor,
  input: Registration,
  credential: Credential | null,
  now: Date,
): Promise<RegistrationResult> {
  const at = now.toISOString();
  const tokenPolicy = (await ctx.settings.get<string>(tx, "registration.policy")) === "token";
  // With the token policy, every registration that hands out a key needs a
  // token: a client ID is no secret, so it alone must not get a key.
  const spend = async (): Promise<number | null> => {
    if (!tokenPolicy) return null;
    if (!input.registration_token) throw tokenRequired();
    return spendToken(tx, input.registration_token, now);
  };
  const user = await findUserByLogin(tx, input.client_id);
  if (!user) return createDevice(ctx, tx, input, at, await spend());
  if (!user.device) {
    throw conflict(
      "login_in_use",
      "Login in use",
      `The login ${user.login} belongs to a user that is not a device: choose another client ID.`,
    );
  }

  const base = { login: user.login, organization_id: user.organizationId, active: user.active };
  const holdsValidKey = credential?.principal?.userId === user.id;
  const windowOpen = user.reregisterUntil !== null && new Date(user.reregisterUntil) > now;

  if (user.active && holdsValidKey) {
    await saveDevice(tx, user, input, at);
    return { status: 200, outcome: "updated", body: base };
  }
  if (user.active && !windowOpen) throw alreadyRegistered();

  // Inactive, or active inside the window an administrator opened: a new
  // key replaces every older one, and the device keeps its state. A device
  // that proves itself with its valid key needs no token.
  if (!holdsValidKey) await spend();
  await revokeApiKeys(tx, user.id, at);
  const apiKey = await issueApiKey(tx, user.id, at);
  await saveDevice(tx, user, input, at);
  if (windowOpen) await updateUser(tx, user.id, { reregisterUntil: null }, at);
  await ctx.events.emit(tx, "device.reregistered", {
    login: user.login,
    organization_id: user.organizationId,
    active: user.active,
  });
  return {
    status: 200,
    outcome: windowOpen ? "reregistered" : "rekeyed",
    body: { ...base, api_key: apiKey },
  };
}

export async function findDevice(db: Executor, userId: number) {
  return db.select().from(devices).where(eq(devices.userId, userId)).get();
}
