/**
 * Serves an appliance's interfaces with Deno.serve, the way bun-server.ts
 * does with Bun.serve: a certificate change starts a second server on the
 * same port (SO_REUSEPORT) with the new certificate, a handshake must
 * present it, and only then does the old server stop.
 *
 * @module
 */
import type { Appliance } from "../appliance.ts";
import { tlsListenerPoint } from "../identity.ts";
import type { TlsMaterial } from "../identity.ts";
import type { Logger } from "../log.ts";
import type { ListenOptions, Listener } from "./bun-server.ts";
import { presentedFingerprint, probeAddress } from "./tls-probe.ts";

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

/** With two servers on the port the kernel spreads connections; a few tries reach the new one. */
const PROBE_ATTEMPTS = 40;

function start(appliance: Appliance, options: ListenOptions, material: TlsMaterial) {
  const server = deno.serve(
    {
      port: options.port,
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
  return { server, material };
}

async function confirm(host: string, port: number, fingerprint: string): Promise<void> {
  let seen = "nothing";
  for (let attempt = 0; attempt < PROBE_ATTEMPTS; attempt++) {
    try {
      const presented = await presentedFingerprint(host, port);
      if (presented === fingerprint) return;
      seen = `the certificate with SHA-256 ${presented}`;
    } catch (error) {
      seen = `an error (${(error as Error).message})`;
    }
  }
  throw new Error(
    `no TLS handshake on ${host}:${port} presented the new certificate; the last one gave ${seen}`,
  );
}

/** Starts the interface's Deno server and registers it for certificate changes. */
export async function listen(
  appliance: Appliance,
  options: ListenOptions,
  log: Logger,
): Promise<Listener> {
  let current = start(appliance, options, await appliance.tls(options.iface));
  const port = current.server.addr.port;
  const host = probeAddress(options.hostname);
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const switchTo = async (material: TlsMaterial) => {
    if (material.fingerprintSha256 === current.material.fingerprintSha256) return;
    const next = start(appliance, { ...options, port }, material);
    try {
      await confirm(host, port, material.fingerprintSha256);
    } catch (error) {
      await next.server.shutdown();
      throw error;
    }
    const previous = current;
    current = next;
    listener.fingerprint = material.fingerprintSha256;
    // Not awaited: the request that asked for the change may be in flight on it.
    void previous.server.shutdown();
    log.info(
      { interface: options.iface, port, fingerprint_sha256: material.fingerprintSha256 },
      "listener restarted with the new certificate",
    );
  };

  const listener: Listener = {
    iface: options.iface,
    port,
    fingerprint: current.material.fingerprintSha256,
    replace: (material) => serially(() => switchTo(material)),
    async stop() {
      await queue;
      await current.server.shutdown();
    },
  };

  appliance.kernel.extensions.provide(tlsListenerPoint, "runtime", {
    iface: options.iface,
    replace: listener.replace,
  });

  appliance.onTlsChange((iface) => {
    if (iface !== options.iface) return;
    void serially(async () => {
      try {
        await switchTo(await appliance.tls(iface));
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
