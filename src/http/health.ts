/**
 * Liveness and readiness, open so that load balancers can ask.
 *
 * @module
 */
import { Problem } from "../errors.ts";
import { readinessPoint } from "../identity.ts";
import type { ReadinessCheck } from "../identity.ts";
import type { KernelContext } from "../kernel-context.ts";
import { open } from "./access.ts";
import { databaseUnavailable } from "./database-faults.ts";
import type { RouteDoc, Router } from "./router.ts";

const DOC = {
  healthz: { summary: "Liveness: the process answers" },
  readyz: {
    summary: "Readiness: the database and the critical parts answer",
    description: "With an administrator's API key, every check is listed with its result.",
    problems: ["not_ready", "database_unavailable"],
  },
} satisfies Record<string, RouteDoc>;

export function healthRoutes(kernel: KernelContext, healthz: Router, readyz: Router): void {
  healthz.get("/", open(), DOC.healthz, (c) => c.json({ status: "ok" }));

  readyz.get("/", open(), DOC.readyz, async (c) => {
    const started = performance.now();
    try {
      // A read of the schema, not `SELECT 1`: it needs the file (or the server) itself.
      await kernel.db.client.execute("SELECT count(*) FROM sqlite_master");
    } catch (cause) {
      throw databaseUnavailable(cause);
    }
    const checks: Record<string, Record<string, unknown>> = {
      database: { ok: true, ms: Math.round(performance.now() - started) },
    };
    const principal = c.get("principal");
    const admin = principal?.role === "admin" && principal.active;
    const contributed = kernel.extensions.get(readinessPoint).map(({ impl }) => impl);
    const checked = admin ? contributed : contributed.filter((impl) => impl.critical);
    for (const impl of checked) checks[impl.name] = await runCheck(impl);
    const down = checked.filter((impl) => impl.critical && !checks[impl.name].ok);
    if (down.length > 0) {
      throw new Problem(
        503,
        "not_ready",
        "Not ready",
        `The appliance is not ready: ${down.map((impl) => impl.name).join(", ")} failed its check.`,
        { headers: { "Retry-After": "5" } },
      );
    }
    if (!admin) return c.json({ status: "ready" });
    return c.json({ status: "ready", checks, database: kernel.db.kind });
  });
}

async function runCheck(impl: ReadinessCheck): Promise<Record<string, unknown>> {
  try {
    return await impl.check();
  } catch (error) {
    return { ok: false, error: (error as Error).message };
  }
}
