/**
 * Boots an appliance: database, migrations, master key, plugins, the core
 * app and the background workers. The runtime entries wrap this in a
 * listener; tests call it directly.
 *
 * @module
 */
import type { Hono } from "hono";
import { openDatabase } from "../db/client.ts";
import { ANALYSIS_PREFIXES, installAnalysis } from "./analysis/index.ts";
import type { ClientFactory, Database } from "../db/client.ts";
import { kernelMigrations } from "../db/migrations/kernel.ts";
import type { Config } from "./config.ts";
import { ExtensionRegistry } from "./extensions.ts";
import { checkMasterKey, ensureAdministrator, resolveMasterKey } from "./first-boot.ts";
import { auditRoutes, pluginRoutes } from "./admin/routes.ts";
import { healthRoutes } from "./http/health.ts";
import { ApplianceMetrics, metricsRoutes } from "./http/metrics.ts";
import { referenceRoutes } from "./http/reference.ts";
import { createCoreApp } from "./http/app.ts";
import { guard } from "./http/auth.ts";
import { defineInterfaceSettings, interfaceScope } from "./http/interfaces.ts";
import type { AppEnv } from "./http/env.ts";
import { Router } from "./http/router.ts";
import type { RouteRecord } from "./http/router.ts";
import { tlsIdentityPoint, trustAnchorsPoint } from "./identity.ts";
import { createOutboundClient } from "./outbound/client.ts";
import type { InterfaceName, TlsMaterial } from "./identity.ts";
import type { KernelContext } from "./kernel-context.ts";
import { MIB, defineKernelSettings } from "./kernel-settings.ts";
import { PluginLoadError, resolvePlugins } from "./loader.ts";
import type { Logger } from "./log.ts";
import { startJobs } from "./jobs.ts";
import type { Job } from "./jobs.ts";
import { runMigrations } from "./migrate.ts";
import { setUpPlugin } from "./plugin-context.ts";
import { normalizeHostname } from "./pki/names.ts";
import { sampleRoutes, searchRoutes } from "./samples/routes.ts";
import { settingsRoutes } from "./settings/routes.ts";
import { AuditLog } from "./services/audit.ts";
import { systemClock } from "./services/clock.ts";
import type { Clock } from "./services/clock.ts";
import { EventBus } from "./services/events.ts";
import { Settings } from "./services/settings.ts";
import { KERNEL_VERSION } from "./version.ts";

export interface ApplianceOptions {
  config: Config;
  plugins: unknown[];
  /** Where each plugin came from, for error messages. */
  pluginSources?: string[];
  /** Each plugin's configuration, by id, before validation. */
  pluginConfig?: Record<string, unknown>;
  log: Logger;
  clock?: Clock;
  createClient?: ClientFactory;
  /** Starts the background workers (default true). */
  workers?: boolean;
}

export interface LoadedPlugin {
  id: string;
  version: string;
  status: "running" | "disabled";
  error: string | null;
}

export interface Appliance {
  readonly app: Hono<AppEnv>;
  readonly db: Database;
  readonly kernel: KernelContext;
  readonly plugins: LoadedPlugin[];
  /** Every route with its access rule, for the reference and the access matrix. */
  readonly routes: RouteRecord[];
  /** The interface's TLS material, created on first boot. */
  tls(iface: InterfaceName): Promise<TlsMaterial>;
  onTlsChange(listener: (iface: InterfaceName) => void): void;
  /** Runs every background job once, in order (tests and one-shot commands). */
  runJobs(): Promise<void>;
  stop(): Promise<void>;
}

/** The prefixes the kernel serves itself. */
export const KERNEL_PREFIXES = [
  "/healthz",
  "/readyz",
  "/metrics",
  "/api/v2/samples",
  "/api/v2/search",
  "/api/v1/settings",
  "/api/v1/openapi.json",
  "/api/docs",
  "/api/v1/audit-events",
  "/api/v1/plugins",
  ...ANALYSIS_PREFIXES,
];

export async function createAppliance(options: ApplianceOptions): Promise<Appliance> {
  const { config, log } = options;
  const clock = options.clock ?? systemClock;

  const ordered = resolvePlugins(options.plugins, {
    kernelVersion: KERNEL_VERSION,
    kernelPrefixes: KERNEL_PREFIXES,
    sources: options.pluginSources,
  });

  // Checked before the database or a key file exists, so that a refused first
  // boot leaves nothing behind that the next attempt would trip over.
  const hostname = firstBootHostname(config);

  const db = await openDatabase(config.databaseUrl, {
    authToken: config.databaseAuthToken,
    createClient: options.createClient,
    busyTimeoutMs: config.databaseBusyTimeoutMs,
  });
  try {
    await runMigrations(db.client, "kernel", kernelMigrations);
    const masterKey = await resolveMasterKey(config, db.kind === "remote");
    await checkMasterKey(db, masterKey);

    const settings = new Settings();
    settings.cacheReadsOf(db);
    defineKernelSettings(settings);
    defineInterfaceSettings(settings, config.adminPort !== undefined);
    await seedHostname(db, settings, hostname, config.hostnameGiven, log);
    const kernel: KernelContext = {
      config,
      db,
      log,
      clock,
      events: new EventBus(clock),
      settings,
      audit: new AuditLog(clock),
      extensions: new ExtensionRegistry(),
    };

    const outbound = createOutboundClient({
      trustAnchors: async () => {
        const providers = kernel.extensions.get(trustAnchorsPoint);
        const lists = await Promise.all(providers.map((p) => p.impl.anchors()));
        return lists.flat();
      },
      allow: config.outboundAllow,
      userAgent: `portico/${KERNEL_VERSION}`,
    });

    const routers: Router[] = [];
    const kernelRouter = (prefix: string) => {
      const router = new Router(prefix, guard);
      routers.push(router);
      return router;
    };
    healthRoutes(kernel, kernelRouter("/healthz"), kernelRouter("/readyz"));
    const metrics = new ApplianceMetrics();
    metricsRoutes(kernel, kernelRouter("/metrics"), metrics, config.metricsAllow);
    sampleRoutes(kernel, kernelRouter("/api/v2/samples"));
    searchRoutes(kernel, kernelRouter("/api/v2/search"));
    let app: Hono<AppEnv> | undefined;
    referenceRoutes(() => app!, kernelRouter("/api/v1/openapi.json"), kernelRouter("/api/docs"));
    settingsRoutes(kernel, kernelRouter("/api/v1/settings"));
    auditRoutes(kernel, kernelRouter("/api/v1/audit-events"));
    const loaded: LoadedPlugin[] = [];
    pluginRoutes(
      () =>
        loaded.map((plugin) => {
          if (plugin.error) return plugin;
          const failures = [...kernel.events.lastErrors]
            .filter(([subscriber]) => subscriber.startsWith(`${plugin.id}:`))
            .map(([, failure]) => failure)
            .sort((a, b) => b.at.localeCompare(a.at));
          return failures[0]
            ? { ...plugin, error: `${failures[0].at} ${failures[0].message}` }
            : plugin;
        }),
      kernelRouter("/api/v1/plugins"),
    );
    const analysisJob = await installAnalysis(kernel, kernelRouter);

    const starts: { owner: string; fn: () => Promise<void> | void }[] = [];
    const stops: (() => Promise<void> | void)[] = [];
    const jobs: Job[] = [
      {
        name: "event-dispatch",
        owner: "kernel",
        intervalMs: 500,
        fn: async () => {
          while ((await kernel.events.dispatchDue(db)) > 0);
        },
      },
    ];
    jobs.push(analysisJob);

    for (const plugin of ordered) {
      try {
        await setUpPlugin(plugin, {
          kernel,
          outbound,
          masterKey,
          options,
          routers,
          starts,
          stops,
          jobs,
          app: () => app,
        });
        loaded.push({ id: plugin.id, version: plugin.version, status: "running", error: null });
      } catch (error) {
        const reason = error instanceof Error ? error.message : String(error);
        if (plugin.onBootFailure === "disable") {
          log.error({ plugin: plugin.id, err: reason }, "plugin failed at boot and is disabled");
          loaded.push({
            id: plugin.id,
            version: plugin.version,
            status: "disabled",
            error: reason,
          });
          continue;
        }
        throw error instanceof PluginLoadError
          ? error
          : new PluginLoadError(plugin.id, `setup failed: ${reason}`, { cause: error });
      }
    }

    app = createCoreApp({
      db,
      log,
      routers,
      interfaceScope: interfaceScope(kernel),
      trustedProxies: config.trustedProxies,
      observe: (observation) => metrics.observe(observation),
      auditRefusal: (entry) => db.write((tx) => kernel.audit.record(tx, entry)),
      bodyLimitFor: async (method, path) => {
        if (method === "POST" && path.replace(/\/+$/, "") === "/api/v2/samples") {
          return (await settings.get<number>(db.orm, "samples.max_bytes")) + MIB;
        }
        return 4 * MIB;
      },
    });

    await ensureAdministrator(db, config, clock, log);
    for (const start of starts) {
      try {
        await start.fn();
      } catch (error) {
        throw new PluginLoadError(start.owner, `start failed: ${(error as Error).message}`, {
          cause: error,
        });
      }
    }

    const timers = (options.workers ?? true) ? startJobs(jobs, log) : [];
    const provider = () => {
      const found = kernel.extensions.get(tlsIdentityPoint)[0];
      if (!found) throw new Error("no plugin provides the TLS identity (load tls-identity)");
      return found.impl;
    };

    return {
      app,
      db,
      kernel,
      plugins: loaded,
      routes: routers.flatMap((r) => r.routes),
      tls: (iface) => provider().ensure(iface),
      onTlsChange: (listener) => provider().onChange(listener),
      async runJobs() {
        for (const job of jobs) await job.fn();
      },
      async stop() {
        for (const timer of timers) timer.stop();
        await Promise.all(timers.map((t) => t.idle()));
        for (const stop of stops.reverse()) await stop();
        db.close();
      },
    };
  } catch (error) {
    db.close();
    throw error;
  }
}

/** PORTICO_HOSTNAME (or the machine's name), normalised, for the first boot. */
function firstBootHostname(config: Config): string {
  const normalized = normalizeHostname(config.hostname, "hostname");
  if (normalized.ok) return normalized.value;
  const source = config.hostnameGiven ? "PORTICO_HOSTNAME" : "the machine's hostname";
  throw new Error(
    `${source} "${config.hostname}" cannot be the appliance hostname: ` +
      normalized.issues[0].message +
      (config.hostnameGiven ? "" : " Set PORTICO_HOSTNAME to the name devices use."),
  );
}

/** The hostname setting starts as PORTICO_HOSTNAME (or the machine's name). */
async function seedHostname(
  db: Database,
  settings: Settings,
  hostname: string,
  given: boolean,
  log: Logger,
) {
  await db.write((tx) => settings.seed(tx, "appliance.hostname", hostname));
  const stored = await settings.get<string>(db.orm, "appliance.hostname");
  if (given && stored !== hostname) {
    log.warn(
      { hostname: stored, ignored: hostname },
      `PORTICO_HOSTNAME=${hostname} is ignored: it sets the hostname on first boot only, ` +
        `and this database's hostname is ${stored}. Change it with PUT /api/v1/appliance/hostname, ` +
        "or start with an empty PORTICO_DATA_DIR",
    );
  }
}
