/**
 * The filtered, cursor-paged user listing.
 *
 * @module
 */
import { and, asc, eq, gt, like, or } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import * as v from "valibot";
import type { Executor } from "../../db/client.ts";
import { users } from "../../db/schema.ts";
import { ROLES } from "../../src/http/access.ts";
import type { Principal } from "../../src/http/env.ts";
import { formBoolean } from "../../src/samples/routes.ts";

const CURSOR_PREFIX = "u.";

export const ListQuery = v.object({
  status: v.optional(v.picklist(["active", "inactive"], "status must be active or inactive")),
  role: v.optional(v.picklist(ROLES, `role must be one of ${ROLES.join(", ")}`)),
  device: v.optional(formBoolean),
  q: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(100))),
  cursor: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^u\.\d{1,15}$/, "cursor must be a next_cursor value from an earlier page"),
      v.transform((s) => Number(s.slice(CURSOR_PREFIX.length))),
    ),
  ),
  limit: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d+$/, "limit must be a whole number"),
      v.transform(Number),
      v.minValue(1, "limit must be at least 1"),
      v.maxValue(200, "limit must be at most 200"),
    ),
    "50",
  ),
});

export type ListFilter = v.InferOutput<typeof ListQuery>;

function escapeLike(text: string): string {
  return text.replace(/[\\%_]/g, (ch) => `\\${ch}`);
}

export async function listUsers(db: Executor, filter: ListFilter, viewer: Principal) {
  const conditions: (SQL | undefined)[] = [];
  if (viewer.role !== "admin") conditions.push(eq(users.organizationId, viewer.organizationId));
  if (filter.status) conditions.push(eq(users.active, filter.status === "active"));
  if (filter.role) conditions.push(eq(users.role, filter.role));
  if (filter.device !== undefined) conditions.push(eq(users.device, filter.device));
  if (filter.q) {
    const pattern = `%${escapeLike(filter.q)}%`;
    conditions.push(or(like(users.login, pattern), like(users.name, pattern)));
  }
  if (filter.cursor !== undefined) conditions.push(gt(users.id, filter.cursor));
  const rows = await db
    .select()
    .from(users)
    .where(and(...conditions))
    .orderBy(asc(users.id))
    .limit(filter.limit + 1)
    .all();
  const page = rows.slice(0, filter.limit);
  const more = rows.length > filter.limit;
  return { page, nextCursor: more ? `${CURSOR_PREFIX}${page[page.length - 1].id}` : null };
}
