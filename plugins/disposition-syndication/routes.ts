/**
 * The HTTP routes of disposition-syndication.
 *
 * @module
 */
import { and, asc, eq, gt } from "drizzle-orm";
import * as v from "valibot";
import { QUERY_FIELDS_MESSAGE, parseInput } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import type { RouteDoc } from "../../src/http/router.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { urlForLog } from "../../src/outbound/redact.ts";
import { holdPending, releaseHeld, replay } from "./enqueue.ts";
import { CreateService, DeliveriesQuery, IdParam, ReplayInput, UpdateService } from "./input.ts";
import { attempts, deliveries, services } from "./schema.ts";
import { deliveryView } from "./views.ts";
import {
  changesDestination,
  checkedUrl,
  deliveryCounts,
  passwordRequired,
  requireService,
  serviceView,
} from "./services.ts";

const ListQuery = v.strictObject({ cursor: v.optional(IdParam) }, QUERY_FIELDS_MESSAGE);

const DOC = {
  list: {
    summary: "Disposition services, by cursor",
    query: ListQuery,
    problems: ["invalid_request"],
  },
  create: {
    summary: "Add a service that receives every disposition change",
    description:
      "The URL must be https and reach an address the outbound policy allows; " +
      "the password is stored sealed and never shown again.",
    body: CreateService,
    status: 201,
    problems: ["invalid_request", "malformed_json"],
  },
  get: {
    summary: "A service, with its delivery counts",
    problems: ["service_not_found", "invalid_request"],
  },
  update: {
    summary: "Change a service's name, URL, credentials or enabled state",
    description:
      "Disabling holds its pending deliveries; enabling releases them. A URL to another " +
      "host or port needs the password again.",
    body: UpdateService,
    problems: ["service_not_found", "password_required", "invalid_request", "malformed_json"],
  },
  delete: {
    summary: "Delete a service and its deliveries",
    status: 204,
    problems: ["service_not_found", "invalid_request"],
  },
  check: {
    summary: "Try the service's URL and credentials now",
    problems: ["service_not_found", "invalid_request"],
  },
  deliveries: {
    summary: "A service's deliveries, by cursor",
    query: DeliveriesQuery,
    problems: ["service_not_found", "invalid_request"],
  },
  replay: {
    summary: "Send the service every disposition changed since a time, again",
    body: ReplayInput,
    problems: ["service_not_found", "invalid_request", "malformed_json"],
  },
} satisfies Record<string, RouteDoc>;

/** `/api/v1/disposition-services`. */
export function serviceRoutes(ctx: PluginContext): void {
  const router = ctx.route("/api/v1/disposition-services");
  const id = (raw: string | undefined) => parseInput(IdParam, raw, "path");
  const audit = (c: { get(k: "sourceAddress"): string }, actor: string) => ({
    actor,
    source: c.get("sourceAddress"),
  });

  router.get("/", allow("admin"), DOC.list, async (c) => {
    const query = parseInput(ListQuery, c.req.query(), "query");
    const rows = await ctx.db.orm
      .select()
      .from(services)
      .where(query.cursor ? gt(services.id, query.cursor) : undefined)
      .orderBy(asc(services.id))
      .limit(101)
      .all();
    const page = rows.slice(0, 100);
    const nextCursor = rows.length > 100 ? String(page[page.length - 1].id) : null;
    return c.json({ items: page.map(serviceView), next_cursor: nextCursor });
  });

  router.post("/", allow("admin"), DOC.create, async (c) => {
    const input = parseInput(CreateService, await readBody(c, ["json"]));
    const url = await checkedUrl(input.url, ctx.appliance.outboundAllow);
    const actor = principalOf(c).login;
    const at = ctx.clock.now().toISOString();
    const sealed = await ctx.secrets.seal(input.password);
    const row = await ctx.db.write(async (tx) => {
      const [created] = await tx
        .insert(services)
        .values({
          name: input.name ?? url.host,
          url: url.href,
          username: input.username,
          passwordSealed: sealed,
          enabled: input.enabled,
          status: "ok",
          createdAt: at,
          updatedAt: at,
        })
        .returning();
      await ctx.audit.record(tx, {
        ...audit(c, actor),
        action: "disposition_service.create",
        target: String(created.id),
        outcome: "success",
        detail: {
          url: urlForLog(created.url),
          username: created.username,
          enabled: created.enabled,
        },
      });
      return created;
    });
    const logged = { service: row.id, url: urlForLog(row.url), by: actor };
    ctx.log.info(logged, "disposition service added");
    return c.json(serviceView(row), 201);
  });

  router.get("/:id", allow("admin"), DOC.get, async (c) => {
    const row = await requireService(ctx.db.orm, id(c.req.param("id")));
    return c.json({ ...serviceView(row), deliveries: await deliveryCounts(ctx.db.orm, row.id) });
  });

  router.patch("/:id", allow("admin"), DOC.update, async (c) => {
    const serviceId = id(c.req.param("id"));
    const input = parseInput(UpdateService, await readBody(c, ["json"]));
    const url = input.url ? await checkedUrl(input.url, ctx.appliance.outboundAllow) : undefined;
    const sealed = input.password ? await ctx.secrets.seal(input.password) : undefined;
    const actor = principalOf(c).login;
    const at = ctx.clock.now().toISOString();
    const row = await ctx.db.write(async (tx) => {
      const before = await requireService(tx, serviceId);
      if (url && !sealed && changesDestination(before.url, url)) throw passwordRequired();
      const credentialsChanged = Boolean(url || sealed || input.username);
      const [after] = await tx
        .update(services)
        .set({
          name: input.name,
          url: url?.href,
          username: input.username,
          passwordSealed: sealed,
          enabled: input.enabled,
          updatedAt: at,
          ...(credentialsChanged ? { status: "ok" as const } : {}),
          ...(url && changesDestination(before.url, url) ? { anchorSha256: null } : {}),
        })
        .where(eq(services.id, serviceId))
        .returning();
      if (input.enabled === true && !before.enabled) await releaseHeld(tx, serviceId, at);
      if (input.enabled === false && before.enabled) await holdPending(tx, serviceId, at);
      await ctx.audit.record(tx, {
        ...audit(c, actor),
        action: "disposition_service.update",
        target: String(serviceId),
        outcome: "success",
        detail: { fields: Object.keys(input) },
      });
      return after;
    });
    return c.json(serviceView(row));
  });

  router.delete("/:id", allow("admin"), DOC.delete, async (c) => {
    const serviceId = id(c.req.param("id"));
    const actor = principalOf(c).login;
    await ctx.db.write(async (tx) => {
      const row = await requireService(tx, serviceId);
      await tx.delete(attempts).where(eq(attempts.serviceId, serviceId));
      await tx.delete(deliveries).where(eq(deliveries.serviceId, serviceId));
      await tx.delete(services).where(eq(services.id, serviceId));
      await ctx.audit.record(tx, {
        ...audit(c, actor),
        action: "disposition_service.delete",
        target: String(serviceId),
        outcome: "success",
        detail: { url: urlForLog(row.url) },
      });
    });
    ctx.log.info({ service: serviceId, by: actor }, "disposition service deleted");
    return c.body(null, 204);
  });

  router.post("/:id/check", allow("admin"), DOC.check, async (c) => {
    const row = await requireService(ctx.db.orm, id(c.req.param("id")));
    const password = await ctx.secrets.open(row.passwordSealed);
    const result = await ctx.outbound.check(row.url, { username: row.username, password });
    if (result.ok && row.status !== "ok") {
      // A passing check is the administrator's sign that the cause is gone.
      await ctx.db.write((tx) =>
        tx.update(services).set({ status: "ok" }).where(eq(services.id, row.id)),
      );
    }
    return c.json(result);
  });

  router.get("/:id/deliveries", allow("admin"), DOC.deliveries, async (c) => {
    const serviceId = id(c.req.param("id"));
    const query = parseInput(DeliveriesQuery, c.req.query(), "query");
    const service = await requireService(ctx.db.orm, serviceId);
    // Blocked: pending, and waiting for the administrator to fix the service, not for a retry.
    const blocked = query.status === "blocked";
    if (blocked && service.status === "ok") return c.json({ items: [], next_cursor: null });
    const status = query.status === "blocked" ? "pending" : query.status;
    const rows = await ctx.db.orm
      .select()
      .from(deliveries)
      .where(
        and(
          eq(deliveries.serviceId, serviceId),
          status ? eq(deliveries.status, status) : undefined,
          query.cursor ? gt(deliveries.id, query.cursor) : undefined,
        ),
      )
      .orderBy(asc(deliveries.id))
      .limit(query.limit + 1)
      .all();
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? String(page[page.length - 1].id) : null;
    return c.json({ items: page.map(deliveryView), next_cursor: nextCursor });
  });

  router.post("/:id/replay", allow("admin"), DOC.replay, async (c) => {
    const serviceId = id(c.req.param("id"));
    const input = parseInput(ReplayInput, await readBody(c, ["json"]));
    const actor = principalOf(c).login;
    const queued = await ctx.db.write(async (tx) => {
      const row = await requireService(tx, serviceId);
      const n = await replay(tx, row, input.since, ctx.clock.now().toISOString());
      await ctx.audit.record(tx, {
        ...audit(c, actor),
        action: "disposition_service.replay",
        target: String(serviceId),
        outcome: n > 0 ? "success" : "unchanged",
        detail: { since: input.since, queued: n },
      });
      return n;
    });
    return c.json({ queued });
  });
}
