/**
 * The listeners bind with SO_REUSEPORT so that a certificate change can
 * start a second server beside the first. The same option would let a
 * second appliance share a port that is already in use and take half of its
 * connections, so the port is first bound once without it.
 *
 * @module
 */
import { createServer } from "node:net";

export class PortInUseError extends Error {
  constructor(
    readonly address: string,
    readonly port: number,
  ) {
    super(
      `port ${port} on ${address} is already in use (another appliance or program listens ` +
        "there): stop it, or choose another port",
    );
    this.name = "PortInUseError";
  }
}

/** Resolves when `address:port` can be bound by this process alone; port 0 always can. */
export function assertPortFree(address: string, port: number): Promise<void> {
  if (port === 0) return Promise.resolve();
  return new Promise((resolve, reject) => {
    const probe = createServer();
    probe.once("error", (error: NodeJS.ErrnoException) => {
      reject(error.code === "EADDRINUSE" ? new PortInUseError(address, port) : error);
    });
    probe.listen({ host: address, port, exclusive: true }, () => probe.close(() => resolve()));
  });
}
