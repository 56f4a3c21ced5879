/**
 * Liveness and readiness, open so that load balancers can ask.
 *
 * @module
 */
import { Problem } from "../errors.ts";
import { readinessPoint } from "../identity.ts";
import type { KernelContext } from "../kernel-context.ts";
import { open } from "./access.ts";
import type { Router } from "./router.ts";

export function healthRoutes(kernel: KernelContext, healthz: Router, readyz: Router): void {
  healthz.get("/", open(), (c) => c.json({ status: "ok" }));

  readyz.get("/", open(), async (c) => {
    const started = performance.now();
    try {
      await kernel.db.client.execute("SELECT 1");
    } catch (cause) {
      throw new Problem(
        503,
        "database_unavailable",
        "Database unavailable",
        "The appliance cannot reach its database; it will recover by itself when it returns.",
        { headers: { "Retry-After": "5" }, cause },
      );
    }
    const principal = c.get("principal");
    if (principal?.role !== "admin" || !principal.active) return c.json({ status: "ready" });
    const checks: Record<string, unknown> = {
      database: { ok: true, ms: Math.round(performance.now() - started) },
    };
    for (const { impl } of kernel.extensions.get(readinessPoint)) {
      checks[impl.name] = await impl.check().catch((error: Error) => ({
        ok: false,
        error: error.message,
      }));
    }
    return c.json({ status: "ready", checks, database: kernel.db.kind });
  });
}
