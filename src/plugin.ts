/**
 * The plugin contract. A plugin is a plain object made by
 * {@link definePlugin}: its manifest and a `setup(ctx)` that registers
 * routes, event handlers, extension-point implementations and jobs.
 *
 * @module
 */
import type * as v from "valibot";
import type { Database, Executor } from "../db/client.ts";
import type { Config } from "./config.ts";
import type { ConnectionInfo } from "./http/app.ts";
import type { ExtensionPoint } from "./extensions.ts";
import type { InterfaceName } from "./identity.ts";
import type { Router } from "./http/router.ts";
import type { Logger } from "./log.ts";
import type { Migration } from "./migrate.ts";
import type { Sealer } from "./secrets.ts";
import type { AuditLog } from "./services/audit.ts";
import type { Clock } from "./services/clock.ts";
import type {
  EventHandler,
  EventPayload,
  EventType,
  TransactionalHandler,
} from "./services/events.ts";
import type { OutboundClient } from "./outbound/client.ts";
import type { Settings } from "./services/settings.ts";

export const PLUGIN_BRAND = "portico.plugin/1";

export interface PluginManifest<C = unknown> {
  /** Lower-case letters, digits and dashes; unique in the appliance. */
  id: string;
  version: string;
  /** The kernel versions it supports, as a semver range (e.g. `^0.1.0`). */
  kernel: string;
  /** Ids of plugins that must be loaded, and set up, before this one. */
  requires?: string[];
  /** The path prefixes it serves; overlaps with any other are refused at boot. */
  prefixes?: string[];
  migrations?: Migration[];
  /** Validates the plugin's configuration; the output is `ctx.config`. */
  config?: v.GenericSchema<unknown, C>;
  /** What a failure at boot does: stop the appliance (default) or disable this plugin. */
  onBootFailure?: "abort" | "disable";
  setup(ctx: PluginContext<C>): void | Promise<void>;
}

export interface Plugin<C = unknown> extends PluginManifest<C> {
  readonly brand: typeof PLUGIN_BRAND;
}

/** Makes a plugin; the brand lets the kernel recognise copies of this type. */
export function definePlugin<C = unknown>(manifest: PluginManifest<C>): Plugin<C> {
  return { ...manifest, brand: PLUGIN_BRAND };
}

export function isPlugin(value: unknown): value is Plugin {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as Plugin).brand === PLUGIN_BRAND &&
    typeof (value as Plugin).setup === "function"
  );
}

/** Events as a plugin sees them. */
export interface PluginEvents {
  /** Writes an event in the caller's transaction (the outbox). */
  emit<K extends EventType>(tx: Executor, type: K, payload: EventPayload<K>): Promise<string>;
  /**
   * Handles every event of a type emitted after boot, at least once, with a
   * time limit; a handler that throws or times out is retried later.
   */
  on<K extends EventType>(
    type: K,
    handler: EventHandler<EventPayload<K>>,
    options?: {
      /** Tells two handlers of one type apart (each is retried on its own). */
      name?: string;
      timeoutMs?: number;
    },
  ): void;
  /**
   * Runs `handler` inside the transaction of every emit of `type`; if it
   * throws, the change that emitted the event is rolled back too.
   */
  inTransaction(type: EventType, handler: TransactionalHandler): void;
}

/** What the kernel gives a plugin. */
export interface PluginContext<C = unknown> {
  readonly id: string;
  readonly config: C;
  /** The appliance's configuration from its environment (read-only). */
  readonly appliance: Readonly<
    Pick<Config, "hostname" | "dataDir" | "outboundAllow"> & { interfaces: InterfaceName[] }
  >;
  readonly db: Database;
  readonly log: Logger;
  readonly clock: Clock;
  readonly events: PluginEvents;
  /** Seals secrets with a key derived for this plugin alone. */
  readonly secrets: Sealer;
  readonly audit: AuditLog;
  readonly settings: Settings;
  /**
   * HTTPS to the outside that trusts exactly the administrator's CA store
   * (provided through {@link trustAnchorsPoint}) and refuses loopback,
   * link-local and metadata addresses.
   */
  readonly outbound: OutboundClient;
  /** The router for one of the prefixes this plugin declared. */
  /**
   * The router for one of the prefixes this plugin declared. Routes are in
   * the API reference unless `documented` is false (pages for people).
   */
  route(prefix: string, options?: { documented?: boolean }): Router;
  /**
   * Answers a request with the appliance's own app, in this process, as if it
   * arrived on `connection`: credentials, access rules, audit and problems
   * apply as to any caller. Usable once the appliance has booted.
   */
  fetch(request: Request, connection?: ConnectionInfo): Promise<Response>;
  provide<T>(point: ExtensionPoint<T>, impl: T): void;
  extensions<T>(point: ExtensionPoint<T>): T[];
  /** Runs after every plugin is set up and migrated, before serving. */
  onStart(fn: () => Promise<void> | void): void;
  onStop(fn: () => Promise<void> | void): void;
  /** A background job run every `intervalMs` while the appliance runs. */
  every(name: string, intervalMs: number, fn: () => Promise<void>): void;
}
