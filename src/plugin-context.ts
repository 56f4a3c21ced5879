/**
 * Sets up one plugin: validates its configuration, runs its migrations and
 * builds the `ctx` it is given — its router, its sealer, its events, its
 * jobs — then calls its `setup`.
 *
 * @module
 */
import type { Hono } from "hono";
import * as v from "valibot";
import type { ApplianceOptions } from "./appliance.ts";
import type { ExtensionPoint } from "./extensions.ts";
import { guard } from "./http/auth.ts";
import type { AppEnv } from "./http/env.ts";
import { Router } from "./http/router.ts";
import type { Job } from "./jobs.ts";
import type { KernelContext } from "./kernel-context.ts";
import { PluginLoadError } from "./loader.ts";
import { runMigrations } from "./migrate.ts";
import type { OutboundClient } from "./outbound/client.ts";
import type { Plugin, PluginContext } from "./plugin.ts";
import { createSealer } from "./secrets.ts";
import type { EventHandler } from "./services/events.ts";

export interface SetupScope {
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

export async function setUpPlugin(plugin: Plugin, scope: SetupScope): Promise<void> {
  const { kernel } = scope;
  const rawConfig = scope.options.pluginConfig?.[plugin.id] ?? {};
  let pluginConfig: unknown = rawConfig;
  if (plugin.config) {
    const parsed = v.safeParse(plugin.config, rawConfig);
    if (!parsed.success) {
      const problems = parsed.issues
        .map((issue) => {
          const field = (issue.path ?? []).map((item) => String(item.key)).join(".");
          return field ? `${field}: ${issue.message}` : issue.message;
        })
        .join("; ");
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
        kernel.events.subscribe(
          `${plugin.id}:${opts?.name ?? type}`,
          type,
          handler as EventHandler,
          {
            timeoutMs: opts?.timeoutMs,
            log,
          },
        ),
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
    extensions: <T>(point: ExtensionPoint<T>) => kernel.extensions.get(point).map((c) => c.impl),
    onStart: (fn) => scope.starts.push({ owner: plugin.id, fn }),
    onStop: (fn) => scope.stops.push(fn),
    every: (name, intervalMs, fn) => scope.jobs.push({ name, owner: plugin.id, intervalMs, fn }),
  };
  await plugin.setup(ctx);
}
