/**
 * `/api/v1/organizations`: list, create, rename, and delete an empty one.
 *
 * @module
 */
import { and, asc, count, eq, gt, ne } from "drizzle-orm";
import * as v from "valibot";
import { organizations, users } from "../../db/schema.ts";
import { conflict, notFound, parseInput } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import type { PluginContext } from "../../src/plugin.ts";
import type { Executor } from "../../db/client.ts";
import { OrganizationInput } from "./input.ts";
import { idCursor, nextCursor, pageLimit, rowId } from "../../src/http/paging.ts";

const ListQuery = v.object({ cursor: idCursor("o"), limit: pageLimit(200, 50) });

function parseId(raw: string | undefined): number {
  const id = rowId(raw);
  if (id === null) throw organizationNotFound(raw ?? "");
  return id;
}

function organizationNotFound(id: string | number) {
  return notFound(
    "organization_not_found",
    `No organization ${id}: list them with GET /api/v1/organizations.`,
  );
}

async function requireNameFree(tx: Executor, name: string, except?: number) {
  const clash = await tx
    .select({ id: organizations.id })
    .from(organizations)
    .where(and(eq(organizations.name, name), except ? ne(organizations.id, except) : undefined))
    .get();
  if (clash) {
    throw conflict(
      "organization_name_in_use",
      "Organization name in use",
      `An organization is already named "${name}": choose another name.`,
    );
  }
}

async function view(db: Executor, org: typeof organizations.$inferSelect) {
  const [{ n }] = await db
    .select({ n: count() })
    .from(users)
    .where(eq(users.organizationId, org.id));
  return { id: org.id, name: org.name, users: n, created_at: org.createdAt };
}

export function organizationRoutes(ctx: PluginContext): void {
  const router = ctx.route("/api/v1/organizations");

  router.get(
    "/",
    allow("admin", "org-admin"),
    { summary: "Organizations, by cursor", query: ListQuery, problems: ["invalid_request"] },
    async (c) => {
      const query = parseInput(ListQuery, c.req.query(), "query");
      const viewer = principalOf(c);
      const rows = await ctx.db.orm
        .select()
        .from(organizations)
        .where(
          and(
            viewer.role === "admin" ? undefined : eq(organizations.id, viewer.organizationId),
            query.cursor !== undefined ? gt(organizations.id, query.cursor) : undefined,
          ),
        )
        .orderBy(asc(organizations.id))
        .limit(query.limit + 1)
        .all();
      const page = rows.slice(0, query.limit);
      return c.json({
        items: await Promise.all(page.map((o) => view(ctx.db.orm, o))),
        next_cursor: nextCursor("o", rows.length > query.limit, page.at(-1)?.id),
      });
    },
  );

  router.post(
    "/",
    allow("admin"),
    {
      summary: "Create an organization",
      body: OrganizationInput,
      status: 201,
      problems: ["organization_name_in_use", "invalid_request", "malformed_json"],
    },
    async (c) => {
      const input = parseInput(OrganizationInput, await readBody(c, ["json"]));
      const org = await ctx.db.write(async (tx) => {
        await requireNameFree(tx, input.name);
        const [row] = await tx
          .insert(organizations)
          .values({ name: input.name, createdAt: ctx.clock.now().toISOString() })
          .returning();
        await ctx.audit.record(tx, {
          actor: principalOf(c).login,
          action: "organization.create",
          target: String(row.id),
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { name: row.name },
        });
        return row;
      });
      return c.json(await view(ctx.db.orm, org), 201);
    },
  );

  router.patch(
    "/:id",
    allow("admin"),
    {
      summary: "Rename an organization",
      body: OrganizationInput,
      problems: [
        "organization_not_found",
        "organization_name_in_use",
        "invalid_request",
        "malformed_json",
      ],
    },
    async (c) => {
      const id = parseId(c.req.param("id"));
      const input = parseInput(OrganizationInput, await readBody(c, ["json"]));
      const org = await ctx.db.write(async (tx) => {
        const existing = await tx
          .select()
          .from(organizations)
          .where(eq(organizations.id, id))
          .get();
        if (!existing) throw organizationNotFound(id);
        await requireNameFree(tx, input.name, id);
        const [row] = await tx
          .update(organizations)
          .set({ name: input.name })
          .where(eq(organizations.id, id))
          .returning();
        await ctx.audit.record(tx, {
          actor: principalOf(c).login,
          action: "organization.rename",
          target: String(id),
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { from: existing.name, to: input.name },
        });
        return row;
      });
      return c.json(await view(ctx.db.orm, org));
    },
  );

  router.delete(
    "/:id",
    allow("admin"),
    {
      summary: "Delete an organization that holds no users",
      status: 204,
      problems: ["organization_not_found", "organization_not_empty"],
    },
    async (c) => {
      const id = parseId(c.req.param("id"));
      await ctx.db.write(async (tx) => {
        const existing = await tx
          .select()
          .from(organizations)
          .where(eq(organizations.id, id))
          .get();
        if (!existing) throw organizationNotFound(id);
        const [{ n }] = await tx
          .select({ n: count() })
          .from(users)
          .where(eq(users.organizationId, id));
        if (n > 0) {
          throw conflict(
            "organization_not_empty",
            "Organization not empty",
            `Organization ${id} holds ${n} users: move them to another organization first.`,
          );
        }
        await tx.delete(organizations).where(eq(organizations.id, id));
        await ctx.audit.record(tx, {
          actor: principalOf(c).login,
          action: "organization.delete",
          target: String(id),
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { name: existing.name },
        });
      });
      return c.body(null, 204);
    },
  );
}
