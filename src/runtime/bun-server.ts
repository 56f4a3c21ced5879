/**
 * Serves an appliance's interfaces with Bun.serve. A certificate change
 * restarts the interface's listener, because `Bun.serve().reload()` ignores
 * new TLS options: the new listener binds the port beside the old one
 * (SO_REUSEPORT), a handshake must present the new certificate, and only
 * then does the old one stop. If no handshake does, the new listener stops
 * and the old one, never interrupted, keeps serving.
 *
 * @module
 */
import type { Server } from "bun";
import type { Appliance } from "../appliance.ts";
import { readinessPoint, tlsListenerPoint } from "../identity.ts";
import type { InterfaceName, TlsMaterial } from "../identity.ts";
import type { Logger } from "../log.ts";
import { listenerReadiness } from "./listener-health.ts";
import { chainFingerprints, presentedChain, probeAddress } from "./tls-probe.ts";
import type { TlsProbe } from "./tls-probe.ts";

export interface ListenOptions {
  iface: InterfaceName;
  port: number;
  hostname?: string;
  /** Reads the chain a handshake presents. Default is a real TLS handshake. */
  probe?: TlsProbe;
}

export interface Listener {
  readonly iface: InterfaceName;
  readonly port: number;
  /** The fingerprint of the certificate served now. */
  fingerprint: string;
  /** Serves `material` once a handshake proves it; rejects and keeps the current one if not. */
  replace(material: TlsMaterial): Promise<void>;
  stop(): Promise<void>;
}

/** Large enough for the biggest sample; the app enforces the real limit. */
const MAX_BODY_BYTES = 1024 * 1024 * 1024 + 16 * 1024 * 1024;

/**
 * With both listeners bound, the kernel spreads new connections between
 * them, so a few handshakes are needed before one reaches the new listener.
 */
const PROBE_ATTEMPTS = 40;

interface Serving {
  server: Server<undefined>;
  material: TlsMaterial;
  /** What a handshake presents: the fingerprints of the leaf and intermediates. */
  chain: string;
}

function serve(appliance: Appliance, options: ListenOptions, material: TlsMaterial): Serving {
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
  return { server, material, chain: chainFingerprints(material.certificatePem).join(" ") };
}

/** Resolves once a handshake on the port presents `chain`; rejects saying what it saw. */
async function confirm(probe: TlsProbe, host: string, port: number, chain: string) {
  let seen = "nothing";
  for (let attempt = 0; attempt < PROBE_ATTEMPTS; attempt++) {
    try {
      const presented = (await probe(host, port)).join(" ");
      if (presented === chain) return;
      seen = `the chain with SHA-256 fingerprints ${presented}`;
    } catch (error) {
      seen = `an error (${(error as Error).message})`;
    }
  }
  throw new Error(
    `no TLS handshake on ${host}:${port} presented the new certificate in ` +
      `${PROBE_ATTEMPTS} attempts; the last one gave ${seen}`,
  );
}

/** Starts the interface's listener and registers it for certificate changes. */
export async function listen(
  appliance: Appliance,
  options: ListenOptions,
  log: Logger,
): Promise<Listener> {
  const probe = options.probe ?? presentedChain;
  let current = serve(appliance, options, await appliance.tls(options.iface));
  const port = current.server.port ?? options.port;
  const host = probeAddress(options.hostname);
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const switchTo = async (material: TlsMaterial) => {
    if (chainFingerprints(material.certificatePem).join(" ") === current.chain) return;
    const next = serve(appliance, { ...options, port }, material);
    try {
      await confirm(probe, host, port, next.chain);
    } catch (error) {
      next.server.stop(true);
      throw error;
    }
    const previous = current;
    current = next;
    listener.fingerprint = material.fingerprintSha256;
    // Not awaited: the request that asked for the change is in flight on it.
    void previous.server.stop();
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
      await current.server.stop();
    },
  };

  appliance.kernel.extensions.provide(tlsListenerPoint, "runtime", {
    iface: options.iface,
    replace: listener.replace,
  });
  appliance.kernel.extensions.provide(
    readinessPoint,
    "runtime",
    listenerReadiness(options.iface, host, port),
  );

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
