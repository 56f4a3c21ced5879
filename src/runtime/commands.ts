/**
 * The one-shot commands of the CLI (everything but `serve`), for runtimes
 * with a file system. Each boots what it needs without listening, writes
 * its answer on stdout and its log lines on stderr.
 *
 * @module
 */
import { existsSync, statSync } from "node:fs";
import { mkdir } from "node:fs/promises";
import { and, eq } from "drizzle-orm";
import { kernelMigrations } from "../../db/migrations/kernel.ts";
import { databaseKind, openDatabase } from "../../db/client.ts";
import { users } from "../../db/schema.ts";
import { KERNEL_PREFIXES } from "../appliance.ts";
import type { Appliance } from "../appliance.ts";
import type { CertRegenerateOptions, CliActions, CliInterface } from "../cli.ts";
import { resolvePlugins } from "../loader.ts";
import { runMigrations } from "../migrate.ts";
import { issueApiKey } from "../services/keys.ts";
import { tlsOperationsPoint } from "../tls-operations.ts";
import type { TlsOperations } from "../tls-operations.ts";
import { KERNEL_VERSION } from "../version.ts";
import {
  boot,
  configFromEnv,
  databaseFilePath,
  pluginConfigFor,
  pluginsFor,
  processLogger,
} from "./boot.ts";

type Env = Record<string, string | undefined>;

/** What the audit log records as the actor and source of a CLI change. */
const CLI = "cli";

/** Applies the kernel's and every plugin's pending migrations, in dependency order. */
export async function migrate(env: Env): Promise<void> {
  const config = configFromEnv(env);
  const log = processLogger(config, "stderr");
  const { plugins, sources } = await pluginsFor(config);
  // Refused here as by `serve`, so that a migration never passes with a setup that cannot start.
  await pluginConfigFor(config);
  const ordered = resolvePlugins(plugins, {
    kernelVersion: KERNEL_VERSION,
    kernelPrefixes: KERNEL_PREFIXES,
    sources,
  });
  if (databaseKind(config.databaseUrl) === "file") {
    await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  }
  const db = await openDatabase(config.databaseUrl, { authToken: config.databaseAuthToken });
  try {
    const owners = [{ id: "kernel", migrations: kernelMigrations }, ...ordered];
    for (const owner of owners) {
      const applied = await runMigrations(db.client, owner.id, owner.migrations ?? []);
      for (const id of applied) console.log(`${owner.id} ${id}`);
      if (applied.length) log.info({ owner: owner.id, applied }, "migrations applied");
    }
  } finally {
    db.close();
  }
}

/** A one-shot command asked of a data folder where the appliance never ran. */
export class NotSetUpError extends Error {
  override name = "NotSetUpError";
}

/**
 * Refuses to do a first boot for a command: the first boot fixes the
 * hostname, the administrator and the certificate, which `serve` must do
 * with the operator's PORTICO_HOSTNAME, not `cert show` with the machine's.
 */
function assertSetUp(env: Env): void {
  const config = configFromEnv(env);
  if (databaseKind(config.databaseUrl) !== "file") return;
  const path = databaseFilePath(config.databaseUrl);
  if (!existsSync(path) || statSync(path).size === 0) {
    throw new NotSetUpError(
      `no appliance is set up in ${config.dataDir} yet (no database at ${path}): start it once ` +
        "with `portico serve` (or npm start), or set PORTICO_DATA_DIR to its data folder",
    );
  }
}

async function withAppliance<T>(env: Env, fn: (appliance: Appliance) => Promise<T>): Promise<T> {
  assertSetUp(env);
  const { appliance } = await boot(env, { workers: false, logTo: "stderr" });
  try {
    return await fn(appliance);
  } finally {
    await appliance.stop();
  }
}

/** Issues a new key for an active administrator; the key goes to stdout only. */
export async function createAdminKey(env: Env, login: string): Promise<void> {
  const key = await withAppliance(env, async ({ db, kernel }) => {
    const at = kernel.clock.now().toISOString();
    return db.write(async (tx) => {
      const admin = await tx
        .select()
        .from(users)
        .where(and(eq(users.login, login), eq(users.role, "admin")))
        .get();
      if (!admin) throw new Error(`no administrator has the login "${login}"`);
      if (!admin.active) throw new Error(`the administrator "${login}" is inactive`);
      const issued = await issueApiKey(tx, admin.id, at);
      await kernel.audit.record(tx, {
        actor: CLI,
        action: "user.api_key_create",
        target: login,
        source: CLI,
        outcome: "success",
      });
      return issued;
    });
  });
  process.stdout.write(key + "\n");
}

function operationsOf(appliance: Appliance): TlsOperations {
  const found = appliance.kernel.extensions.get(tlsOperationsPoint)[0];
  if (!found) throw new Error("no loaded plugin offers certificate operations (tls-identity)");
  return found.impl;
}

function checkInterface(appliance: Appliance, iface: CliInterface) {
  if (iface === "admin" && !appliance.kernel.config.adminPort) {
    throw new Error("the admin interface is off: set PORTICO_ADMIN_PORT to use it");
  }
}

/** Prints the interface's certificate details as JSON, or its PEM. */
export async function certShow(env: Env, iface: CliInterface, pem: boolean): Promise<void> {
  const view = await withAppliance(env, async (appliance) => {
    checkInterface(appliance, iface);
    return operationsOf(appliance).describe(iface);
  });
  if (!view) throw new Error(`the ${iface} interface has no certificate yet`);
  process.stdout.write(pem ? view.certificatePem : JSON.stringify(view.details, null, 2) + "\n");
}

/** Replaces the certificate; a running appliance notices and serves it. */
export async function certRegenerate(
  env: Env,
  iface: CliInterface,
  options: CertRegenerateOptions,
): Promise<void> {
  const view = await withAppliance(env, async (appliance) => {
    checkInterface(appliance, iface);
    return operationsOf(appliance).regenerate(iface, {
      actor: CLI,
      source: CLI,
      keyAlgorithm: options.keyAlgorithm,
      validityDays: options.validityDays,
    });
  });
  process.stdout.write(JSON.stringify(view.details, null, 2) + "\n");
}

/** The CLI's actions for a runtime with a file system, given its `serve`. */
export function fileSystemActions(env: Env, serve: () => Promise<void>): CliActions {
  return {
    serve,
    migrate: () => migrate(env),
    createAdminKey: (login) => createAdminKey(env, login),
    certShow: (iface, pem) => certShow(env, iface, pem),
    certRegenerate: (iface, options) => certRegenerate(env, iface, options),
  };
}
