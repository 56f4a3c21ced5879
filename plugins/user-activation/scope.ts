/**
 * Organization scoping, in one place: an administrator manages everyone,
 * an org-admin the users of its own organization (never an administrator),
 * everyone else only themselves.
 *
 * @module
 */
import { forbidden } from "../../src/errors.ts";
import type { Principal } from "../../src/http/env.ts";
import type { User } from "../../src/services/users.ts";
import { userNotFound } from "./lifecycle.ts";

export function maySee(viewer: Principal, user: User): boolean {
  if (viewer.role === "admin") return true;
  if (viewer.role === "org-admin") return user.organizationId === viewer.organizationId;
  return user.id === viewer.userId;
}

export function mayManage(viewer: Principal, user: User): boolean {
  if (viewer.role === "admin") return true;
  return (
    viewer.role === "org-admin" &&
    user.organizationId === viewer.organizationId &&
    user.role !== "admin"
  );
}

/** Throws 404 for a user the viewer may not see, 403 for one it may not manage. */
export function requireManageable(viewer: Principal, user: User | undefined, login: string): User {
  if (!user || !maySee(viewer, user)) throw userNotFound(login);
  if (!mayManage(viewer, user)) {
    throw forbidden(
      "role_forbidden",
      "An org-admin manages only the users of its own organization, and never an administrator.",
    );
  }
  return user;
}
