/**
 * disposition-syndication's figures on `/metrics`: the backlog of
 * deliveries not yet sent, the age of its oldest entry, and the attempts
 * recorded by outcome. Read from the tables, so every process of a
 * scaled-out appliance reports the same.
 *
 * @module
 */
import { count, eq, min } from "drizzle-orm";
import type { MetricsSource } from "../../src/metrics.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { attempts, deliveries } from "./schema.ts";

const STATUSES = ["pending", "held", "delivered", "failed"] as const;
const OUTCOMES = ["delivered", "retry", "failed", "blocked"] as const;

export function deliveryMetrics(ctx: PluginContext<unknown>): MetricsSource {
  return {
    async collect() {
      const db = ctx.db.orm;
      const byStatus = await db
        .select({ status: deliveries.status, n: count() })
        .from(deliveries)
        .groupBy(deliveries.status)
        .all();
      const oldest = await db
        .select({ at: min(deliveries.createdAt) })
        .from(deliveries)
        .where(eq(deliveries.status, "pending"))
        .get();
      const byOutcome = await db
        .select({ outcome: attempts.outcome, n: count() })
        .from(attempts)
        .groupBy(attempts.outcome)
        .all();
      const ageSeconds = oldest?.at
        ? Math.max(0, (ctx.clock.now().getTime() - Date.parse(oldest.at)) / 1000)
        : 0;
      const pending = byStatus.find((row) => row.status === "pending")?.n ?? 0;
      return [
        {
          name: "portico_delivery_backlog",
          help: "Disposition deliveries waiting to be sent (pending).",
          samples: [{ value: pending }],
        },
        {
          name: "portico_delivery_backlog_oldest_age_seconds",
          help: "Age of the oldest pending delivery; 0 when none is pending.",
          samples: [{ value: ageSeconds }],
        },
        {
          name: "portico_deliveries",
          help: "Disposition deliveries recorded, by status.",
          samples: STATUSES.map((status) => ({
            labels: { status },
            value: byStatus.find((row) => row.status === status)?.n ?? 0,
          })),
        },
        {
          name: "portico_delivery_attempts",
          help: "Delivery attempts recorded (within retention), by outcome.",
          samples: OUTCOMES.map((outcome) => ({
            labels: { outcome },
            value: byOutcome.find((row) => row.outcome === outcome)?.n ?? 0,
          })),
        },
      ];
    },
  };
}
