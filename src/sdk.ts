/**
 * The public plugin API: everything a plugin may use, from one module.
 * First-party plugins import it from here; a third-party plugin bundles it
 * into its one ESM file (`bun build --format esm`), since a compiled
 * appliance can import a file from disk but not that file's bare imports.
 * Values from a bundled copy work with the kernel's: the kernel checks
 * brands, never `instanceof`.
 *
 * @module
 */

export { definePlugin, isPlugin, PLUGIN_BRAND } from "./plugin.ts";
export type { Plugin, PluginContext, PluginEvents, PluginManifest } from "./plugin.ts";
export { KERNEL_VERSION } from "./version.ts";

export { allow, allowInactive, open, ROLES } from "./http/access.ts";
export type { Access, Role } from "./http/access.ts";
export type { Router, RouteDoc, RouteHandler } from "./http/router.ts";
export type { AppEnv, Principal, Credential } from "./http/env.ts";
export { principalOf } from "./http/auth.ts";
export { readBody, single } from "./http/body.ts";
export { envelope } from "./http/respond.ts";
export { registerProblems } from "./http/problem-catalog.ts";
export type { ProblemEntry } from "./http/problem-catalog.ts";

export {
  Problem,
  badRequest,
  conflict,
  forbidden,
  isProblem,
  notFound,
  parseInput,
  unauthorized,
  unprocessable,
} from "./errors.ts";
export type { FieldError } from "./errors.ts";

export type {
  EventHandler,
  EventPayload,
  EventPayloads,
  EventRecord,
  EventType,
  TransactionalHandler,
} from "./services/events.ts";
export type { Clock } from "./services/clock.ts";
export type { AuditEntry, AuditLog } from "./services/audit.ts";
export type { Settings } from "./services/settings.ts";
export type { Sealer } from "./secrets.ts";
export type { Logger } from "./log.ts";
export type { Migration } from "./migrate.ts";
export type { Database, Executor } from "../db/client.ts";
export type { OutboundClient, OutboundResponse } from "./outbound/client.ts";

export { defineExtensionPoint } from "./extensions.ts";
export type { ExtensionPoint } from "./extensions.ts";
export { analyzersPoint, DISPOSITIONS } from "./analysis/point.ts";
export type { AnalysisResult, Analyzer, Disposition } from "./analysis/point.ts";
export { tlsIdentityPoint, trustAnchorsPoint, userDetailsPoint } from "./identity.ts";
export type {
  InterfaceName,
  TlsIdentityProvider,
  TlsMaterial,
  TrustAnchorsProvider,
  UserDetailsSection,
} from "./identity.ts";

/**
 * The validation and query libraries the kernel uses, so that a plugin's
 * schemas and tables have the very types `ctx` expects (a second installed
 * copy has look-alike types that the compiler refuses to mix).
 */
export * as v from "valibot";
export { and, asc, desc, eq, inArray, isNull, or, sql } from "drizzle-orm";
export { index, integer, sqliteTable, text } from "drizzle-orm/sqlite-core";
