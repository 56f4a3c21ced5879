/**
 * `/metrics` in the Prometheus text format, through prom-client: requests
 * and their latency per route pattern (never the raw path, so a scan of
 * random paths adds no series), the devices and samples in the database,
 * and whatever plugins contribute through {@link metricsPoint}.
 *
 * Access: an administrator's key, or a source address inside
 * `PORTICO_METRICS_ALLOW`.
 *
 * @module
 */
import { count, eq } from "drizzle-orm";
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from "prom-client";
import { samples, users } from "../../db/schema.ts";
import { forbidden, unauthorized } from "../errors.ts";
import type { KernelContext } from "../kernel-context.ts";
import { metricsPoint } from "../metrics.ts";
import type { MetricFamily } from "../metrics.ts";
import { cidrContains, parseIp } from "../outbound/ip.ts";
import type { Cidr } from "../outbound/ip.ts";
import { open } from "./access.ts";
import type { Router } from "./router.ts";

/** What the core app reports of each answered request. */
export interface RequestObservation {
  method: string;
  /** The matched route pattern, or `unmatched`. */
  route: string;
  status: number;
  seconds: number;
}

/** The registry of one appliance and the request metrics fed by the core app. */
export class ApplianceMetrics {
  readonly registry = new Registry();
  private readonly requests = new Counter({
    name: "portico_http_requests_total",
    help: "HTTP requests answered, by method, route pattern and status.",
    labelNames: ["method", "route", "status"],
    registers: [this.registry],
  });
  private readonly latency = new Histogram({
    name: "portico_http_request_duration_seconds",
    help: "Time to answer an HTTP request, by method and route pattern.",
    labelNames: ["method", "route"],
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [this.registry],
  });
  private readonly contributed = new Map<string, Gauge>();

  constructor() {
    try {
      collectDefaultMetrics({ register: this.registry });
    } catch {
      // Runtimes without process statistics still serve the appliance's own metrics.
    }
  }

  observe(o: RequestObservation): void {
    this.requests.inc({ method: o.method, route: o.route, status: String(o.status) });
    this.latency.observe({ method: o.method, route: o.route }, o.seconds);
  }

  /** Sets the gauges of `families`, creating each on its first appearance. */
  set(families: MetricFamily[]): void {
    for (const gauge of this.contributed.values()) gauge.reset();
    for (const family of families) {
      const labelNames = [...new Set(family.samples.flatMap((s) => Object.keys(s.labels ?? {})))];
      let gauge = this.contributed.get(family.name);
      if (!gauge) {
        gauge = new Gauge({
          name: family.name,
          help: family.help,
          labelNames,
          registers: [this.registry],
        });
        this.contributed.set(family.name, gauge);
      }
      for (const sample of family.samples) gauge.set(sample.labels ?? {}, sample.value);
    }
  }
}

/** True when `address` is inside one of `allow`. */
export function addressAllowed(address: string | undefined, allow: readonly Cidr[]): boolean {
  const ip = address ? parseIp(address) : undefined;
  return ip !== undefined && allow.some((range) => cidrContains(range, ip));
}

async function kernelFamilies(kernel: KernelContext): Promise<MetricFamily[]> {
  const devices = await kernel.db.orm
    .select({ active: users.active, n: count() })
    .from(users)
    .where(eq(users.device, true))
    .groupBy(users.active)
    .all();
  const submitted = await kernel.db.orm.select({ n: count() }).from(samples).get();
  const byState = (active: boolean) => devices.find((d) => d.active === active)?.n ?? 0;
  return [
    {
      name: "portico_devices",
      help: "Registered devices (gateways), by whether an administrator activated them.",
      samples: [
        { labels: { active: "true" }, value: byState(true) },
        { labels: { active: "false" }, value: byState(false) },
      ],
    },
    {
      name: "portico_samples",
      help: "Samples submitted and still retained.",
      samples: [{ value: submitted?.n ?? 0 }],
    },
  ];
}

/** Serves `/metrics` from `metrics`, filled by the kernel and the plugins at each scrape. */
export function metricsRoutes(
  kernel: KernelContext,
  router: Router,
  metrics: ApplianceMetrics,
  allow: readonly Cidr[],
): void {
  router.get(
    "/",
    open(),
    {
      summary: "Metrics in the Prometheus text format",
      description:
        "Needs an administrator's API key, unless the source address is in PORTICO_METRICS_ALLOW.",
      problems: ["unauthorized", "role_forbidden"],
    },
    async (c) => {
      const principal = c.get("principal");
      const admin = principal?.role === "admin" && principal.active;
      if (!admin && !addressAllowed(c.get("sourceAddress"), allow)) {
        if (!principal) {
          throw unauthorized(
            "Metrics need an administrator's API key, or a source address in " +
              "PORTICO_METRICS_ALLOW.",
          );
        }
        throw forbidden("role_forbidden", "Only an administrator may read the metrics.");
      }
      const families = [await kernelFamilies(kernel)];
      for (const { pluginId, impl } of kernel.extensions.get(metricsPoint)) {
        try {
          families.push(await impl.collect());
        } catch (error) {
          kernel.log.warn(
            { plugin: pluginId, err: (error as Error).message },
            "a metrics source failed; its figures are left out of this scrape",
          );
        }
      }
      metrics.set(families.flat());
      return c.body(await metrics.registry.metrics(), 200, {
        "Content-Type": metrics.registry.contentType,
      });
    },
  );
}
