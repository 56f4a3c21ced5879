/**
 * Serves an appliance's interfaces with Deno.serve, through the switching
 * listener that changes certificates without a restart.
 *
 * @module
 */
import type { Appliance } from "../appliance.ts";
import type { TlsMaterial } from "../identity.ts";
import type { Logger } from "../log.ts";
import { switchingListener } from "./switching-listener.ts";
import type { ListenOptions, Listener } from "./switching-listener.ts";

/** The part of the `Deno` namespace this module uses; the project type-checks with Bun's types. */
interface DenoServe {
  serve(
    options: {
      port: number;
      hostname: string;
      reusePort: boolean;
      cert: string;
      key: string;
      onListen?: () => void;
    },
    handler: (request: Request, info: { remoteAddr: { hostname: string } }) => Promise<Response>,
  ): { addr: { port: number }; shutdown(): Promise<void>; finished: Promise<void> };
}

const deno = (globalThis as unknown as { Deno: DenoServe }).Deno;

function start(appliance: Appliance, options: ListenOptions, material: TlsMaterial, port: number) {
  const server = deno.serve(
    {
      port,
      hostname: options.hostname ?? "0.0.0.0",
      reusePort: true,
      cert: material.certificatePem,
      key: material.privateKeyPem,
      onListen: () => undefined,
    },
    (request, info) =>
      Promise.resolve(
        appliance.app.fetch(request, {
          remoteAddress: info.remoteAddr.hostname,
          iface: options.iface,
        }),
      ),
  );
  return {
    port: server.addr.port,
    stop: () => server.shutdown(),
    abort: () => server.shutdown(),
  };
}

/** Starts the interface's Deno server and registers it for certificate changes. */
export function listen(
  appliance: Appliance,
  options: ListenOptions,
  log: Logger,
): Promise<Listener> {
  return switchingListener(appliance, options, log, (material, port) =>
    start(appliance, options, material, port),
  );
}
