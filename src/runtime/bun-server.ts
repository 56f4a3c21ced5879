/**
 * Serves an appliance's interfaces with Bun.serve. A certificate change
 * restarts the interface's listener, because `Bun.serve().reload()` ignores
 * new TLS options: the new listener binds the port beside the old one
 * (SO_REUSEPORT) before the old one stops, so no connection is refused.
 *
 * @module
 */
import type { Server } from "bun";
import type { Appliance } from "../appliance.ts";
import type { InterfaceName } from "../identity.ts";
import type { Logger } from "../log.ts";

export interface ListenOptions {
  iface: InterfaceName;
  port: number;
  hostname?: string;
}

export interface Listener {
  readonly iface: InterfaceName;
  readonly port: number;
  fingerprint: string;
  stop(): Promise<void>;
}

/** Large enough for the biggest sample; the app enforces the real limit. */
const MAX_BODY_BYTES = 1024 * 1024 * 1024 + 16 * 1024 * 1024;

async function start(appliance: Appliance, options: ListenOptions) {
  const material = await appliance.tls(options.iface);
  const server: Server<undefined> = Bun.serve({
    port: options.port,
    hostname: options.hostname ?? "0.0.0.0",
    reusePort: true,
    maxRequestBodySize: MAX_BODY_BYTES,
    tls: { cert: material.certificatePem, key: material.privateKeyPem },
    fetch(request, srv) {
      return appliance.app.fetch(request, {
        remoteAddress: srv.requestIP(request)?.address,
        iface: options.iface,
      });
    },
  });
  return { server, fingerprint: material.fingerprintSha256 };
}

export async function listen(
  appliance: Appliance,
  options: ListenOptions,
  log: Logger,
): Promise<Listener> {
  let current = await start(appliance, options);
  let switching: Promise<void> = Promise.resolve();

  const listener: Listener = {
    iface: options.iface,
    port: current.server.port ?? options.port,
    fingerprint: current.fingerprint,
    async stop() {
      await switching;
      await current.server.stop();
    },
  };

  appliance.onTlsChange((iface) => {
    if (iface !== options.iface) return;
    switching = switching.then(async () => {
      try {
        const next = await start(appliance, options);
        if (next.fingerprint === current.fingerprint) {
          await next.server.stop(true);
          return;
        }
        const previous = current;
        current = next;
        listener.fingerprint = next.fingerprint;
        await previous.server.stop();
        log.info(
          { interface: iface, port: listener.port, fingerprint_sha256: next.fingerprint },
          "listener restarted with the new certificate",
        );
      } catch (error) {
        log.error(
          { interface: iface, err: (error as Error).message },
          "could not restart the listener; the previous certificate is still served",
        );
      }
    });
  });

  return listener;
}
