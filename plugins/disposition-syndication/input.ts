/**
 * What administrators send to the syndication routes, validated.
 *
 * @module
 */
import * as v from "valibot";
import { FIELDS_MESSAGE } from "../../src/errors.ts";
import { pageLimit } from "../../src/http/paging.ts";

const text = (what: string, max: number) =>
  v.pipe(
    v.string(`${what} must be text`),
    v.minLength(1, `${what} must not be empty`),
    v.maxLength(max, `${what} must be at most ${max} characters`),
  );

/** C0 and C1 controls and DEL: a CR or LF would break the Authorization header. */
const CONTROL = /[\u0000-\u001f\u007f-\u009f]/;

const fields = {
  name: text("name", 200),
  url: text("url", 2048),
  username: v.pipe(
    text("username", 256),
    // RFC 7617 §2: Basic splits "user:password" at the first colon.
    v.check((s) => !s.includes(":"), "username must not contain a colon (HTTP Basic, RFC 7617)"),
    v.check((s) => !CONTROL.test(s), "username must not contain control characters"),
  ),
  password: v.pipe(
    text("password", 1024),
    v.check((s) => !CONTROL.test(s), "password must not contain control characters"),
  ),
  enabled: v.boolean("enabled must be true or false"),
};

export const CreateService = v.strictObject(
  {
    name: v.optional(fields.name),
    url: fields.url,
    username: fields.username,
    password: fields.password,
    enabled: v.optional(fields.enabled, true),
  },
  FIELDS_MESSAGE,
);

export const UpdateService = v.strictObject(
  {
    name: v.optional(fields.name),
    url: v.optional(fields.url),
    username: v.optional(fields.username),
    password: v.optional(fields.password),
    enabled: v.optional(fields.enabled),
  },
  FIELDS_MESSAGE,
);

export const ReplayInput = v.strictObject(
  {
    since: v.pipe(
      v.string("since must be an ISO 8601 time"),
      v.isoTimestamp("since must be an ISO 8601 time such as 2026-12-03T18:00:00Z"),
      v.transform((s) => new Date(s).toISOString()),
    ),
  },
  FIELDS_MESSAGE,
);

export const IdParam = v.pipe(
  v.string(),
  v.regex(/^[1-9]\d{0,15}$/, "must be a positive whole number"),
  v.transform(Number),
);

export const DeliveriesQuery = v.strictObject(
  {
    status: v.optional(
      v.picklist(
        ["pending", "held", "delivered", "failed", "blocked"],
        "status must be pending, held, delivered, failed or blocked " +
          "(pending, while the service is credentials_rejected or untrusted)",
      ),
    ),
    cursor: v.optional(IdParam),
    limit: pageLimit(500, 100),
  },
  "is not a query parameter of this route: remove it",
);
