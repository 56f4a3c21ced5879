/**
 * An interface's listener that can change its certificate without dropping
 * a connection, whatever the runtime. Neither `Bun.serve().reload()` nor
 * Deno can swap TLS options, so a second server binds the port beside the
 * first (SO_REUSEPORT), a real handshake must present the new chain, and
 * only then does the first stop. If no handshake does, the new server stops
 * and the first, never interrupted, keeps serving.
 *
 * @module
 */
import type { Appliance } from "../appliance.ts";
import { readinessPoint, tlsListenerPoint } from "../identity.ts";
import type { InterfaceName, TlsMaterial } from "../identity.ts";
import type { Logger } from "../log.ts";
import { listenerReadiness } from "./listener-health.ts";
import { assertPortFree } from "./port-check.ts";
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

/** One running TLS server of a runtime. */
export interface TlsServer {
  readonly port: number;
  /** Stops accepting and lets the requests in flight finish. */
  stop(): Promise<void>;
  /** Stops at once (a server that never served). */
  abort(): Promise<void>;
}

/** Starts a runtime's TLS server for the interface with `material` on `port`. */
export type StartServer = (material: TlsMaterial, port: number) => TlsServer;

/**
 * With both servers bound, the kernel spreads new connections between them,
 * so a few handshakes are needed before one reaches the new server.
 */
const PROBE_ATTEMPTS = 40;

const chainOf = (material: TlsMaterial) => chainFingerprints(material.certificatePem).join(" ");

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
export async function switchingListener(
  appliance: Appliance,
  options: ListenOptions,
  log: Logger,
  start: StartServer,
): Promise<Listener> {
  const probe = options.probe ?? presentedChain;
  await assertPortFree(options.hostname ?? "0.0.0.0", options.port);
  let material = await appliance.tls(options.iface);
  let server = start(material, options.port);
  const port = server.port;
  const host = probeAddress(options.hostname);
  let queue: Promise<unknown> = Promise.resolve();
  const serially = <T>(fn: () => Promise<T>): Promise<T> => {
    const run = queue.then(fn);
    queue = run.catch(() => undefined);
    return run;
  };

  const switchTo = async (next: TlsMaterial) => {
    if (chainOf(next) === chainOf(material)) return;
    const candidate = start(next, port);
    try {
      await confirm(probe, host, port, chainOf(next));
    } catch (error) {
      await candidate.abort();
      throw error;
    }
    const previous = server;
    server = candidate;
    material = next;
    listener.fingerprint = next.fingerprintSha256;
    // Not awaited: the request that asked for the change is in flight on it.
    void previous.stop();
    log.info(
      { interface: options.iface, port, fingerprint_sha256: next.fingerprintSha256 },
      "listener restarted with the new certificate",
    );
  };

  const listener: Listener = {
    iface: options.iface,
    port,
    fingerprint: material.fingerprintSha256,
    replace: (next) => serially(() => switchTo(next)),
    async stop() {
      await queue;
      await server.stop();
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
