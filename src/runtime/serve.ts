/**
 * `portico serve`: boots the appliance and serves its interfaces until
 * SIGTERM or SIGINT, then shuts down in order.
 *
 * @module
 */
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";
import type { Appliance } from "../appliance.ts";
import { ADMIN_KEY_FILE } from "../first-boot.ts";
import type { Logger } from "../log.ts";
import { certificateNames, matchesHostname } from "../pki/names.ts";
import { boot } from "./boot.ts";
import type { ListenOptions, Listener } from "./bun-server.ts";

/** The runtime's listener: Bun.serve or Deno.serve. */
export type Listen = (
  appliance: Appliance,
  options: ListenOptions,
  log: Logger,
) => Promise<Listener>;

/** Past this, shutdown gives up waiting so the process still exits in time. */
const SHUTDOWN_DEADLINE_MS = 9_000;

/** Boots the appliance and serves its interfaces with the runtime's `listen`. */
export async function serve(
  env: Record<string, string | undefined>,
  listen: Listen,
): Promise<void> {
  const { config, log, appliance } = await boot(env);
  const listeners: Listener[] = [
    await listen(appliance, { iface: "clean", port: config.cleanPort }, log),
  ];
  if (config.adminPort) {
    listeners.push(await listen(appliance, { iface: "admin", port: config.adminPort }, log));
  }
  const hostname = await appliance.kernel.settings.get<string>(
    appliance.db.orm,
    "appliance.hostname",
  );
  const [clean, admin] = listeners;
  const served = new X509Certificate((await appliance.tls("clean")).certificatePem);
  const names = certificateNames(served).dns;
  const certificateLine = matchesHostname(served, hostname)
    ? `  certificate for ${names.join(", ")}\n`
    : `  certificate for ${names.join(", ") || "no DNS name"}: it does not name ${hostname}; ` +
      "regenerate or upload one before gateways connect (see GET /api/v1/appliance)\n";
  const keyHint = config.adminApiKey
    ? "the administrator's API key is PORTICO_ADMIN_API_KEY"
    : `the administrator's first API key is in ${config.dataDir}/${ADMIN_KEY_FILE} ` +
      "(a key reset makes it stale)";
  log.info(
    {
      url: `https://${hostname}:${clean.port}/`,
      hostname,
      fingerprint_sha256: clean.fingerprint,
      ...(admin && { admin_port: admin.port, admin_fingerprint_sha256: admin.fingerprint }),
      data_dir: config.dataDir,
      database: appliance.db.kind,
      admin_key_file: config.adminApiKey ? null : `${config.dataDir}/${ADMIN_KEY_FILE}`,
    },
    "portico is serving",
  );
  // The fingerprint line reads as `openssl x509 -noout -fingerprint -sha256` prints it.
  process.stderr.write(
    `\nPortico is serving https://${hostname}:${clean.port}/\n` +
      certificateLine +
      `  sha256 Fingerprint=${colonHex(clean.fingerprint)}\n` +
      `  download it: GET /api/v1/tls/clean/certificate.pem\n` +
      (admin
        ? `  admin interface https://${hostname}:${admin.port}/ (API and console only)\n` +
          `  its certificate: sha256 Fingerprint=${colonHex(admin.fingerprint)}\n`
        : "") +
      `  ${keyHint}\n\n`,
  );

  let stopping = false;
  const shutdown = async (signal: string) => {
    if (stopping) return;
    stopping = true;
    log.info({ signal }, "shutting down");
    const deadline = setTimeout(() => {
      log.error(
        { ms: SHUTDOWN_DEADLINE_MS },
        "shutdown took too long; exiting with work unfinished",
      );
      process.exit(1);
    }, SHUTDOWN_DEADLINE_MS);
    await Promise.all(listeners.map((l) => l.stop()));
    await appliance.stop();
    clearTimeout(deadline);
    log.info("stopped");
    process.exit(0);
  };
  process.on("SIGTERM", () => void shutdown("SIGTERM"));
  process.on("SIGINT", () => void shutdown("SIGINT"));
}

/** The fingerprint as `openssl x509 -fingerprint` prints it, to compare by eye. */
function colonHex(hex: string): string {
  return hex.toUpperCase().match(/../g)?.join(":") ?? hex;
}
