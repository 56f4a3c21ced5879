/**
 * What every runtime entry with a file system does first: read the
 * configuration, prepare the data folder, load plugins, boot the appliance.
 *
 * @module
 */
import { hostname as machineHostname } from "node:os";
import { mkdir } from "node:fs/promises";
import { databaseKind } from "../../db/client.ts";
import { createAppliance } from "../appliance.ts";
import type { Appliance } from "../appliance.ts";
import { ConfigError, loadConfig } from "../config.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../log.ts";
import type { Logger } from "../log.ts";
import { firstPartyPlugins, importPlugins } from "./plugins.ts";

export interface Booted {
  config: Config;
  log: Logger;
  appliance: Appliance;
}

export interface BootOptions {
  /** Starts the background workers (default true); one-shot commands say false. */
  workers?: boolean;
  /** Where log lines go: stdout for `serve`, stderr when stdout is the command's answer. */
  logTo?: "stdout" | "stderr";
}

/** The configuration, refusing what cannot work before anything is opened. */
export function configFromEnv(env: Record<string, string | undefined>): Config {
  const config = loadConfig(env, { hostname: machineHostname() });
  if (databaseKind(config.databaseUrl) === "remote" && !config.secretKey) {
    throw new ConfigError([
      "PORTICO_SECRET_KEY: required with a remote PORTICO_DATABASE_URL, the same in every " +
        "process (make one with: openssl rand -base64 32)",
    ]);
  }
  return config;
}

/** The logger of a process: JSON lines on stdout, or stderr for one-shot commands. */
export function processLogger(config: Config, to: "stdout" | "stderr" = "stdout"): Logger {
  if (to === "stdout") return createLogger(config.logLevel);
  return createLogger(config.logLevel, {
    write: (line: string) => void process.stderr.write(line),
  });
}

/** Each plugin's configuration from the PORTICO_PLUGIN_CONFIG file, by plugin id. */
export async function pluginConfigFor(config: Config): Promise<Record<string, unknown>> {
  if (!config.pluginConfigFile) return {};
  const { readFile } = await import("node:fs/promises");
  let parsed: unknown;
  try {
    parsed = JSON.parse(await readFile(config.pluginConfigFile, "utf8"));
  } catch (error) {
    throw new ConfigError([
      `PORTICO_PLUGIN_CONFIG: cannot read ${config.pluginConfigFile} as JSON: ` +
        (error as Error).message,
    ]);
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
    throw new ConfigError([
      `PORTICO_PLUGIN_CONFIG: ${config.pluginConfigFile} must hold one object, keyed by plugin id`,
    ]);
  }
  return parsed as Record<string, unknown>;
}

/** The first-party plugins followed by the files named in PORTICO_PLUGINS. */
export async function pluginsFor(config: Config) {
  const extra = await importPlugins(config.plugins).catch((error: Error) => {
    throw new ConfigError([error.message]);
  });
  return {
    plugins: [...firstPartyPlugins, ...extra.plugins],
    sources: [...firstPartyPlugins.map((p) => p.id), ...extra.sources],
  };
}

export async function boot(
  env: Record<string, string | undefined>,
  options: BootOptions = {},
): Promise<Booted> {
  const config = configFromEnv(env);
  const log = processLogger(config, options.logTo);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  await createPrivately(config.databaseUrl);
  const { plugins, sources } = await pluginsFor(config);
  const appliance = await createAppliance({
    config,
    log,
    plugins,
    pluginSources: sources,
    pluginConfig: await pluginConfigFor(config),
    workers: options.workers,
  });
  return { config, log, appliance };
}

/** The file of an embedded database's `file:` URL. */
export function databaseFilePath(databaseUrl: string): string {
  return databaseUrl.slice("file:".length).split("?")[0];
}

/**
 * Creates an embedded database file with mode 0600 before libSQL opens it:
 * SQLite gives its -wal and -shm files the mode of the database file, and
 * they hold the same data (sealed secrets, but also every record).
 */
async function createPrivately(databaseUrl: string): Promise<void> {
  if (databaseKind(databaseUrl) !== "file") return;
  const path = databaseFilePath(databaseUrl);
  const { open } = await import("node:fs/promises");
  try {
    const handle = await open(path, "wx", 0o600);
    await handle.close();
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
  }
}
