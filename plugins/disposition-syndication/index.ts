/**
 * disposition-syndication: pushes every disposition change to the AMP
 * Private Cloud Disposition Update Services an administrator added, over
 * HTTPS that trusts only the CA store, durably and in order per sha256.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import { registerProblems } from "../../src/http/problem-catalog.ts";
import { definePlugin } from "../../src/plugin.ts";
import { TRUST_STORE_CHANGED, anchorDependentsPoint } from "../ca-trust-store/dependents.ts";
import { metricsPoint } from "../../src/metrics.ts";
import { urlForLog } from "../../src/outbound/redact.ts";
import { enqueueForServices } from "./enqueue.ts";
import { deliveryMetrics } from "./metrics.ts";
import { deliveryRoutes } from "./delivery-routes.ts";
import { serviceRoutes } from "./routes.ts";
import { migrations, services } from "./schema.ts";
import { defineDeliverySettings } from "./settings.ts";
import { createDeliveryWorker } from "./worker.ts";

/** How often the worker looks for due deliveries. */
const POLL_MS = 200;

export default definePlugin({
  id: "disposition-syndication",
  version: "0.1.0",
  kernel: "^0.1.0",
  requires: ["ca-trust-store"],
  prefixes: ["/api/v1/disposition-services", "/api/v1/deliveries"],
  migrations,
  setup(ctx) {
    registerProblems({
      service_not_found: {
        status: 404,
        title: "Service not found",
        remedy: "Check the id; list services with GET /api/v1/disposition-services.",
      },
      password_required: {
        status: 422,
        title: "Password required",
        remedy: "A new host or port gets the password again: send password with the URL.",
      },
      delivery_not_found: {
        status: 404,
        title: "Delivery not found",
        remedy: "Check the id; list a service's deliveries.",
      },
      delivery_delivered: {
        status: 409,
        title: "Delivery already delivered",
        remedy: "It reached the service; replay the service to send updates again.",
      },
      delivery_in_flight: {
        status: 409,
        title: "Delivery in flight",
        remedy: "It is being sent right now: wait for the attempt to end.",
      },
    });
    defineDeliverySettings(ctx.settings);
    ctx.events.inTransaction("disposition.changed", enqueueForServices);
    ctx.events.inTransaction(TRUST_STORE_CHANGED, async (tx, event) => {
      const added = event.payload.added as string[];
      // A new anchor may be what an untrusted service was missing: let it try again.
      if (added.length > 0) {
        await tx.update(services).set({ status: "ok" }).where(eq(services.status, "untrusted"));
      }
    });
    ctx.provide(anchorDependentsPoint, {
      async dependentsOf(db, sha256) {
        const rows = await db
          .select()
          .from(services)
          .where(eq(services.anchorSha256, sha256))
          .all();
        return rows.map((s) => `disposition service ${s.id} "${s.name}" (${urlForLog(s.url)})`);
      },
    });
    ctx.provide(metricsPoint, deliveryMetrics(ctx));
    serviceRoutes(ctx);
    deliveryRoutes(ctx);
    const work = createDeliveryWorker(ctx);
    ctx.every("deliveries", POLL_MS, async () => {
      await work();
    });
  },
});
