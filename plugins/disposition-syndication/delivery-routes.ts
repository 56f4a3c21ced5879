/**
 * `/api/v1/deliveries`: one delivery with its attempt log, and retrying it by hand.
 *
 * @module
 */
import { desc, eq } from "drizzle-orm";
import { conflict, notFound, parseInput } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import type { RouteDoc } from "../../src/http/router.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { IdParam } from "./input.ts";
import { attempts, deliveries, services } from "./schema.ts";
import { deliveryView } from "./views.ts";

const DOC = {
  get: {
    summary: "A delivery with its latest attempts",
    problems: ["delivery_not_found", "invalid_request"],
  },
  retry: {
    summary: "Retry a delivery now, from its first attempt",
    problems: ["delivery_not_found", "delivery_delivered", "delivery_in_flight", "invalid_request"],
  },
} satisfies Record<string, RouteDoc>;

/** `/api/v1/deliveries`. */
export function deliveryRoutes(ctx: PluginContext): void {
  const router = ctx.route("/api/v1/deliveries");
  const deliveryNotFound = (deliveryId: number) =>
    notFound(
      "delivery_not_found",
      `No delivery ${deliveryId}: list a service's deliveries to find their ids.`,
    );

  router.get("/:id", allow("admin"), DOC.get, async (c) => {
    const deliveryId = parseInput(IdParam, c.req.param("id"), "path");
    const row = await ctx.db.orm
      .select()
      .from(deliveries)
      .where(eq(deliveries.id, deliveryId))
      .get();
    if (!row) throw deliveryNotFound(deliveryId);
    const log = await ctx.db.orm
      .select()
      .from(attempts)
      .where(eq(attempts.deliveryId, deliveryId))
      .orderBy(desc(attempts.id))
      .limit(100)
      .all();
    return c.json({
      ...deliveryView(row),
      attempt_log: log.map((a) => ({
        attempt: a.attempt,
        started_at: a.startedAt,
        finished_at: a.finishedAt,
        http_status: a.httpStatus,
        outcome: a.outcome,
        error: a.error,
      })),
    });
  });

  router.post("/:id/retry", allow("admin"), DOC.retry, async (c) => {
    const deliveryId = parseInput(IdParam, c.req.param("id"), "path");
    const actor = principalOf(c).login;
    const at = ctx.clock.now().toISOString();
    const row = await ctx.db.write(async (tx) => {
      const before = await tx.select().from(deliveries).where(eq(deliveries.id, deliveryId)).get();
      if (!before) throw deliveryNotFound(deliveryId);
      if (before.status === "delivered") {
        throw conflict(
          "delivery_delivered",
          "Delivery already delivered",
          "This update reached the service; to send it again, replay the service since its time.",
        );
      }
      if (before.leaseUntil !== null && before.leaseUntil > at) {
        throw conflict(
          "delivery_in_flight",
          "Delivery in flight",
          "An attempt is being sent right now: wait for it, then look at the delivery again.",
        );
      }
      const service = await tx
        .select()
        .from(services)
        .where(eq(services.id, before.serviceId))
        .get();
      const [after] = await tx
        .update(deliveries)
        .set({
          status: service?.enabled ? "pending" : "held",
          attempts: 0,
          blockedAttempts: 0,
          nextAt: at,
          finishedAt: null,
          leaseUntil: null,
          leaseHolder: null,
        })
        .where(eq(deliveries.id, deliveryId))
        .returning();
      // Retrying by hand is the administrator's sign that the cause is gone.
      if (service && service.status !== "ok") {
        await tx.update(services).set({ status: "ok" }).where(eq(services.id, service.id));
      }
      await ctx.audit.record(tx, {
        actor,
        source: c.get("sourceAddress"),
        action: "delivery.retry",
        target: String(deliveryId),
        outcome: "success",
      });
      return after;
    });
    return c.json(deliveryView(row));
  });
}
