/**
 * The filtered, cursor-paged user listing.
 *
 * @module
 */
import { and, asc, eq, gt, or, sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import * as v from "valibot";
import type { Executor } from "../../db/client.ts";
import { users } from "../../db/schema.ts";
import { ROLES } from "../../src/http/access.ts";
import type { Principal } from "../../src/http/env.ts";
import { idCursor, nextCursor, pageLimit } from "../../src/http/paging.ts";
import { formBoolean } from "../../src/samples/routes.ts";

const CURSOR_LETTER = "u";

export const ListQuery = v.object({
  status: v.optional(v.picklist(["active", "inactive"], "status must be active or inactive")),
  role: v.optional(v.picklist(ROLES, `role must be one of ${ROLES.join(", ")}`)),
  device: v.optional(formBoolean),
  q: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(100))),
  cursor: idCursor(CURSOR_LETTER),
  limit: pageLimit(200, 50),
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
    // SQLite's LIKE has no escape character unless one is named.
    const matches = (column: typeof users.login | typeof users.name) =>
      sql`${column} LIKE ${pattern} ESCAPE '\\'`;
    conditions.push(or(matches(users.login), matches(users.name)));
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
  return { page, nextCursor: nextCursor(CURSOR_LETTER, more, page.at(-1)?.id) };
}
