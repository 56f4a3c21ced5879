/**
 * Boots an appliance: database, migrations, master key, plugins, the core
 * app and the background workers. The runtime entries wrap this in a
 * listener; tests call it directly.
 *
 * @module
 */
import type { Hono } from "hono";
import * as v from "valibot";
import { openDatabase } from "../db/client.ts";
import { ANALYSIS_PREFIXES, installAnalysis } from "./analysis/index.ts";
import type { ClientFactory, Database } from "../db/client.ts";
import { kernelMigrations } from "../db/migrations/kernel.ts";
import type { Config } from "./config.ts";
import { ExtensionRegistry } from "./extensions.ts";
import type { ExtensionPoint } from "./extensions.ts";
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
import type { OutboundClient } from "./outbound/client.ts";
import type { InterfaceName, TlsMaterial } from "./identity.ts";
import type { KernelContext } from "./kernel-context.ts";
import { MIB, defineKernelSettings } from "./kernel-settings.ts";
import { PluginLoadError, resolvePlugins } from "./loader.ts";
import type { Logger } from "./log.ts";
import { runMigrations } from "./migrate.ts";
import type { Plugin, PluginContext } from "./plugin.ts";
import { normalizeHostname } from "./pki/names.ts";
import { createSealer } from "./secrets.ts";
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

interface Job {
  name: string;
  owner: string;
  intervalMs: number;
  fn: () => Promise<void>;
}

export async function createAppliance(options: ApplianceOptions): Promise<Appliance> {
  const { config, log } = options;
  const clock = options.clock ?? systemClock;

  const ordered = resolvePlugins(options.plugins, {
    kernelVersion: KERNEL_VERSION,
    kernelPrefixes: KERNEL_PREFIXES,
    sources: options.pluginSources,
  });

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
    defineKernelSettings(settings);
    defineInterfaceSettings(settings, config.adminPort !== undefined);
    await seedHostname(db, settings, config.hostname);
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
          loaded.push({ id: plugin.id, version: plugin.version, status: "disabled", error: reason });
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

/** The hostname setting starts as PORTICO_HOSTNAME (or the machine's name). */
async function seedHostname(db: Database, settings: Settings, configured: string) {
  const normalized = normalizeHostname(configured);
  if (!normalized.ok) {
    throw new Error(
      `PORTICO_HOSTNAME "${configured}" cannot be the appliance hostname: ` +
        normalized.issues[0].message,
    );
  }
  await db.write((tx) => settings.seed(tx, "appliance.hostname", normalized.value));
}

interface SetupScope {
  kernel: KernelContext;
  outbound: OutboundClient;
  masterKey: Uint8Array;
  options: ApplianceOptions;
  routers: Router[];
  starts: { owner: string; fn: () => Promise<void> | void }[];
  stops: (() => Promise<void> | void)[];
  jobs: Job[];
  /** The core app, made once every plugin is set up. */
  app: () => Hono<AppEnv> | undefined;
}

async function setUpPlugin(plugin: Plugin, scope: SetupScope): Promise<void> {
  const { kernel } = scope;
  const rawConfig = scope.options.pluginConfig?.[plugin.id] ?? {};
  let pluginConfig: unknown = rawConfig;
  if (plugin.config) {
    const parsed = v.safeParse(plugin.config, rawConfig);
    if (!parsed.success) {
      const problems = parsed.issues.map((i) => i.message).join("; ");
      throw new PluginLoadError(plugin.id, `its configuration is not valid: ${problems}`);
    }
    pluginConfig = parsed.output;
  }
  if (plugin.migrations?.length) {
    await runMigrations(kernel.db.client, plugin.id, plugin.migrations);
  }
  const log = kernel.log.child({ plugin: plugin.id });
  const declared = new Set(plugin.prefixes ?? []);
  const ctx: PluginContext<unknown> = {
    id: plugin.id,
    config: pluginConfig,
    appliance: {
      hostname: kernel.config.hostname,
      dataDir: kernel.config.dataDir,
      outboundAllow: kernel.config.outboundAllow,
      interfaces: kernel.config.adminPort ? ["clean", "admin"] : ["clean"],
    },
    db: kernel.db,
    log,
    clock: kernel.clock,
    events: {
      emit: (tx, type, payload) => kernel.events.emit(tx, type, payload),
      inTransaction: (type, handler) => kernel.events.inTransaction(type, handler),
      on: (type, handler, opts) =>
        kernel.events.subscribe(`${plugin.id}:${opts?.name ?? type}`, type, handler, {
          timeoutMs: opts?.timeoutMs,
          log,
        }),
    },
    secrets: await createSealer(scope.masterKey, plugin.id),
    outbound: scope.outbound,
    audit: kernel.audit,
    settings: kernel.settings,
    route(prefix, routeOptions) {
      if (!declared.has(prefix)) {
        throw new PluginLoadError(plugin.id, `it routes ${prefix} without declaring that prefix`);
      }
      const router = new Router(prefix, guard, plugin.id, routeOptions?.documented ?? true);
      scope.routers.push(router);
      return router;
    },
    async fetch(request, connection) {
      const app = scope.app();
      if (!app) throw new Error(`${plugin.id} called ctx.fetch before the appliance booted`);
      return app.fetch(request, connection ?? {});
    },
    provide: <T>(point: ExtensionPoint<T>, impl: T) =>
      kernel.extensions.provide(point, plugin.id, impl),
    extensions: <T>(point: ExtensionPoint<T>) =>
      kernel.extensions.get(point).map((c) => c.impl),
    onStart: (fn) => scope.starts.push({ owner: plugin.id, fn }),
    onStop: (fn) => scope.stops.push(fn),
    every: (name, intervalMs, fn) =>
      scope.jobs.push({ name, owner: plugin.id, intervalMs, fn }),
  };
  await plugin.setup(ctx);
}

interface RunningJob {
  stop(): void;
  idle(): Promise<void>;
}

/** Runs each job on its interval, never two runs of one job at once. */
function startJobs(jobs: Job[], log: Logger): RunningJob[] {
  return jobs.map((job) => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running: Promise<void> = Promise.resolve();
    const tick = () => {
      running = job
        .fn()
        .catch((error) =>
          log.error({ job: job.name, plugin: job.owner, err: (error as Error).message }, "job failed"),
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, job.intervalMs);
        });
    };
    timer = setTimeout(tick, job.intervalMs);
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
      idle: () => running,
    };
  });
}
