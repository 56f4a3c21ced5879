/**
 * Who may call a route. Auth is on by default: a route is registered with
 * an access rule, and only {@link open} lets a request without a key in.
 *
 * @module
 */
export type Role = "admin" | "org-admin" | "user" | "device";

export const ROLES: readonly Role[] = ["admin", "org-admin", "user", "device"];

const ACCESS_BRAND = "portico.access";

export interface Access {
  readonly brand: typeof ACCESS_BRAND;
  /** No key needed; a key that is sent is still resolved for the handler. */
  readonly open: boolean;
  readonly roles: readonly Role[];
  /** An inactive user may call it (status and whoami exist to report that). */
  readonly inactive: boolean;
}

/** A route anyone may call. */
export function open(): Access {
  return { brand: ACCESS_BRAND, open: true, roles: [], inactive: true };
}

/** A route for active users of these roles. */
export function allow(...roles: Role[]): Access {
  return { brand: ACCESS_BRAND, open: false, roles, inactive: false };
}

/** A route for users of these roles, active or not. */
export function allowInactive(...roles: Role[]): Access {
  return { brand: ACCESS_BRAND, open: false, roles, inactive: true };
}

export function isAccess(value: unknown): value is Access {
  return typeof value === "object" && value !== null && (value as Access).brand === ACCESS_BRAND;
}
