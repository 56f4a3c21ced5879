/**
 * How users are shown: the native view for `/api/v1` and the Threat Grid
 * view for `/api/v3`. Never a key or a password hash.
 *
 * @module
 */
import { inArray } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { organizations } from "../../db/schema.ts";
import { liveKeyPrefix } from "../../src/services/keys.ts";
import type { User } from "../../src/services/users.ts";

export function userView(user: User, keyPrefix: string | null, organizationName: string | null) {
  return {
    login: user.login,
    name: user.name,
    email: user.email,
    role: user.role,
    organization_id: user.organizationId,
    organization_name: organizationName,
    active: user.active,
    device: user.device,
    device_type: user.device ? user.integrationId : null,
    integration_id: user.integrationId,
    api_only: user.apiOnly,
    key_prefix: keyPrefix,
    reregister_until: user.reregisterUntil,
    created_at: user.createdAt,
    updated_at: user.updatedAt,
  };
}

export function compatibleUserView(user: User) {
  return {
    login: user.login,
    name: user.name,
    email: user.email,
    organization_id: user.organizationId,
    role: user.role,
    active: user.active,
    api_only: user.apiOnly,
    device: user.device,
    integration_id: user.integrationId,
  };
}

/** The native views of `list`, with each key prefix and organization name. */
export async function userViews(db: Executor, list: User[]) {
  const ids = [...new Set(list.map((u) => u.organizationId))];
  const names = new Map(
    ids.length === 0
      ? []
      : (
          await db
            .select({ id: organizations.id, name: organizations.name })
            .from(organizations)
            .where(inArray(organizations.id, ids))
            .all()
        ).map((o) => [o.id, o.name]),
  );
  return Promise.all(
    list.map(async (u) =>
      userView(u, await liveKeyPrefix(db, u.id), names.get(u.organizationId) ?? null),
    ),
  );
}

/** The native view of one user. */
export async function userViewOf(db: Executor, user: User) {
  const [view] = await userViews(db, [user]);
  return view;
}
