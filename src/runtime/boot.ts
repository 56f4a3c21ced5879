/**
 * What every runtime entry with a file system does first: read the
 * configuration, prepare the data folder, load plugins, boot the appliance.
 *
 * @module
 */
import { hostname as machineHostname } from "node:os";
import { mkdir } from "node:fs/promises";
import { createAppliance } from "../appliance.ts";
import type { Appliance } from "../appliance.ts";
import { loadConfig } from "../config.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../log.ts";
import type { Logger } from "../log.ts";
import { firstPartyPlugins, importPlugins } from "./plugins.ts";

export interface Booted {
  config: Config;
  log: Logger;
  appliance: Appliance;
}

export function configFromEnv(env: Record<string, string | undefined>): Config {
  return loadConfig(env, { hostname: machineHostname() });
}

export async function boot(env: Record<string, string | undefined>): Promise<Booted> {
  const config = configFromEnv(env);
  const log = createLogger(config.logLevel);
  await mkdir(config.dataDir, { recursive: true, mode: 0o700 });
  const extra = await importPlugins(config.plugins);
  const appliance = await createAppliance({
    config,
    log,
    plugins: [...firstPartyPlugins, ...extra.plugins],
    pluginSources: [...firstPartyPlugins.map((p) => p.id), ...extra.sources],
  });
  return { config, log, appliance };
}
