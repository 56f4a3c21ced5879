/**
 * Raw HTTP/1.1 over verified TLS: bytes go to the server exactly as
 * written (no client normalises the path or the headers), for tests of
 * hostile clients and request smuggling tricks.
 *
 * @module
 */
import { connect } from "node:tls";
import type { TLSSocket } from "node:tls";
import type { RunningAppliance } from "./appliance.ts";

/** Opens a TLS connection verified against the appliance's certificate. */
export function openTls(app: RunningAppliance): Promise<TLSSocket> {
  return new Promise((resolve, reject) => {
    const socket = connect({
      host: "127.0.0.1",
      port: app.port,
      servername: app.hostname,
      ca: app.trusted,
    });
    socket.once("secureConnect", () => resolve(socket));
    socket.once("error", reject);
  });
}

/** The status line and headers of an answer, and its body as text. */
export interface RawAnswer {
  status: number;
  head: string;
  body: string;
}

/**
 * Writes `request` and reads until the server closes the connection or one
 * full answer (by Content-Length) has arrived; fails after `ms`. Status 0:
 * the server closed the connection without answering.
 */
export async function rawRequest(
  app: RunningAppliance,
  request: Uint8Array | string,
  ms = 15_000,
): Promise<RawAnswer> {
  const socket = await openTls(app);
  return new Promise((resolve, reject) => {
    let received = Buffer.alloc(0);
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no complete answer within ${ms} ms: ${received.toString().slice(0, 200)}`));
    }, ms);
    const finish = () => {
      const text = received.toString("latin1");
      const split = text.indexOf("\r\n\r\n");
      if (split < 0) return false;
      const head = text.slice(0, split);
      const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? NaN);
      const body = text.slice(split + 4);
      if (!Number.isNaN(length) && Buffer.byteLength(body, "latin1") < length) return false;
      clearTimeout(timer);
      socket.destroy();
      resolve({ status: Number(head.split(" ")[1]), head, body });
      return true;
    };
    socket.on("data", (chunk: Buffer) => {
      received = Buffer.concat([received, chunk]);
      finish();
    });
    socket.on("close", () => {
      if (!finish()) {
        clearTimeout(timer);
        resolve({ status: 0, head: "", body: received.toString("latin1") });
      }
    });
    socket.on("error", () => undefined);
    socket.write(request);
  });
}
