/**
 * Serves an appliance's interfaces with Bun.serve, through the switching
 * listener that changes certificates without a restart.
 *
 * @module
 */
import type { Appliance } from "../appliance.ts";
import type { TlsMaterial } from "../identity.ts";
import type { Logger } from "../log.ts";
import { switchingListener } from "./switching-listener.ts";
import type { ListenOptions, Listener, TlsServer } from "./switching-listener.ts";

export type { ListenOptions, Listener } from "./switching-listener.ts";

/** Large enough for the biggest sample; the app enforces the real limit. */
const MAX_BODY_BYTES = 1024 * 1024 * 1024 + 16 * 1024 * 1024;

function serve(
  appliance: Appliance,
  options: ListenOptions,
  material: TlsMaterial,
  port: number,
): TlsServer {
  const server = Bun.serve({
    port,
    hostname: options.hostname ?? "0.0.0.0",
    reusePort: true,
    maxRequestBodySize: MAX_BODY_BYTES,
    // Bun's default of 10 s of silence would cut off a request the app is still
    // answering, such as a connection check (which ends within 8 s) or a slow upload.
    idleTimeout: 30,
    tls: { cert: material.certificatePem, key: material.privateKeyPem },
    fetch(request, srv) {
      return appliance.app.fetch(request, {
        remoteAddress: srv.requestIP(request)?.address,
        iface: options.iface,
      });
    },
  });
  return {
    port: server.port ?? port,
    stop: () => server.stop(),
    abort: () => server.stop(true),
  };
}

/** Starts the interface's Bun listener and registers it for certificate changes. */
export function listen(
  appliance: Appliance,
  options: ListenOptions,
  log: Logger,
): Promise<Listener> {
  return switchingListener(appliance, options, log, (material, port) =>
    serve(appliance, options, material, port),
  );
}
