/**
 * The kernel's administration routes: the audit log and the list of
 * loaded plugins.
 *
 * @module
 */
import { and, desc, eq, lt } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import * as v from "valibot";
import { auditEvents } from "../../db/schema.ts";
import { parseInput } from "../errors.ts";
import { allow } from "../http/access.ts";
import { idCursor, nextCursor, pageLimit } from "../http/paging.ts";
import type { Router } from "../http/router.ts";
import type { KernelContext } from "../kernel-context.ts";

const AuditQuery = v.object({
  cursor: idCursor("a"),
  limit: pageLimit(500, 100),
  action: v.optional(v.pipe(v.string(), v.maxLength(100))),
  actor: v.optional(v.pipe(v.string(), v.maxLength(200))),
  target: v.optional(v.pipe(v.string(), v.maxLength(200))),
});

export interface PluginStatus {
  id: string;
  version: string;
  status: string;
  error: string | null;
}

export function auditRoutes(kernel: KernelContext, router: Router): void {
  router.get(
    "/",
    allow("admin"),
    { summary: "The audit log, newest first", query: AuditQuery, problems: ["invalid_request"] },
    async (c) => {
      const query = parseInput(AuditQuery, c.req.query(), "query");
      const conditions: (SQL | undefined)[] = [
        query.cursor !== undefined ? lt(auditEvents.id, query.cursor) : undefined,
        query.action ? eq(auditEvents.action, query.action) : undefined,
        query.actor ? eq(auditEvents.actor, query.actor) : undefined,
        query.target ? eq(auditEvents.target, query.target) : undefined,
      ];
      const rows = await kernel.db.orm
        .select()
        .from(auditEvents)
        .where(and(...conditions))
        .orderBy(desc(auditEvents.id))
        .limit(query.limit + 1)
        .all();
      const page = rows.slice(0, query.limit);
      return c.json({
        items: page.map((r) => ({
          id: r.id,
          at: r.at,
          actor: r.actor,
          action: r.action,
          target: r.target,
          source: r.source,
          outcome: r.outcome,
          detail: r.detail,
        })),
        next_cursor: nextCursor("a", rows.length > query.limit, page.at(-1)?.id),
      });
    },
  );
}

export function pluginRoutes(plugins: () => PluginStatus[], router: Router): void {
  router.get("/", allow("admin"), { summary: "Loaded plugins, their versions and status" }, (c) =>
    c.json({ items: plugins() }),
  );
}
