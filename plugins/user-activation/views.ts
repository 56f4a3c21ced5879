/**
 * How users are shown: the native view for `/api/v1` and the Threat Grid
 * view for `/api/v3`. Never a key or a password hash.
 *
 * @module
 */
import type { User } from "../../src/services/users.ts";

export function userView(user: User, keyPrefix: string | null) {
  return {
    login: user.login,
    name: user.name,
    email: user.email,
    role: user.role,
    organization_id: user.organizationId,
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
