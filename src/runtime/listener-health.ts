/**
 * A listener's line on `/readyz`: a TCP connection to its port must be
 * accepted, or the appliance is not ready (a load balancer then stops
 * sending it traffic).
 *
 * @module
 */
import { connect } from "node:net";
import type { ReadinessCheck } from "../identity.ts";

/** How long a connection may take before the listener counts as down. */
const CONNECT_TIMEOUT_MS = 2_000;

/** Resolves true when `host:port` accepts a TCP connection. */
export function acceptsConnections(host: string, port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean) => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(CONNECT_TIMEOUT_MS, () => done(false));
    socket.once("connect", () => done(true));
    socket.once("error", () => done(false));
  });
}

/** The critical readiness check of the listener of `iface` on `host:port`. */
export function listenerReadiness(iface: string, host: string, port: number): ReadinessCheck {
  return {
    name: `listener_${iface}`,
    critical: true,
    async check() {
      return { ok: await acceptsConnections(host, port), port };
    },
  };
}
