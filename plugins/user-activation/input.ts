/**
 * What administrators send to create and change users and organizations.
 *
 * @module
 */
import * as v from "valibot";
import { FIELDS_MESSAGE } from "../../src/errors.ts";

const name = v.pipe(v.string("name must be text"), v.trim(), v.minLength(1), v.maxLength(200));
const email = v.pipe(
  v.string("email must be text"),
  v.trim(),
  v.maxLength(254),
  v.email("email is not an address"),
);

export const NewUserInput = v.strictObject(
  {
    login: v.pipe(
      v.string("login is required"),
      v.trim(),
      v.regex(
        /^[A-Za-z0-9][A-Za-z0-9._@-]{2,63}$/,
        "login must be 3 to 64 letters, digits, dots, dashes, underscores or @",
      ),
    ),
    name: v.optional(name),
    email: v.optional(email),
    role: v.picklist(["admin", "org-admin", "user"], "role must be admin, org-admin or user"),
    organization_id: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
    password: v.optional(
      v.pipe(
        v.string(),
        v.minLength(12, "password must be at least 12 characters"),
        v.maxLength(200, "password must be at most 200 characters"),
      ),
    ),
    integration_id: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1), v.maxLength(64))),
    active: v.optional(v.boolean("active must be true or false"), true),
  },
  FIELDS_MESSAGE,
);

export const UserPatchInput = v.strictObject(
  {
    name: v.optional(v.nullable(name)),
    email: v.optional(v.nullable(email)),
    role: v.optional(
      v.picklist(
        ["admin", "org-admin", "user", "device"],
        "role must be admin, org-admin, user or device",
      ),
    ),
    organization_id: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  },
  FIELDS_MESSAGE,
);

export const OrganizationInput = v.strictObject(
  { name: v.pipe(v.string("name is required"), v.trim(), v.minLength(1), v.maxLength(200)) },
  FIELDS_MESSAGE,
);
