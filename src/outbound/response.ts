/**
 * Reading what came back over an outbound connection: the body up to a
 * limit, the headers, and the trust anchor the chain was verified against.
 *
 * @module
 */

import { Buffer } from "node:buffer";
import { createHash } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { DetailedPeerCertificate, TLSSocket } from "node:tls";
import type { OutboundResponse } from "./transport.ts";

/** Reads the body up to the limit; `complete` says whether it was read to its end. */
export function readResponse(
  res: IncomingMessage,
  maxBodyBytes: number,
): Promise<{ response: OutboundResponse; complete: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let kept = 0;
    const done = (complete: boolean) => {
      const body = new TextDecoder().decode(Buffer.concat(chunks));
      const response = { status: res.statusCode ?? 0, headers: flatHeaders(res), body };
      resolve({ response, complete });
    };

    res.on("data", (chunk: Buffer) => {
      if (kept >= maxBodyBytes) return;
      const part = chunk.subarray(0, maxBodyBytes - kept);
      chunks.push(part);
      kept += part.byteLength;
      if (kept >= maxBodyBytes) {
        res.removeAllListeners("data");
        done(false);
      }
    });
    res.on("end", () => done(true));
    res.on("aborted", () => reject(new Error("the response was cut off")));
    res.on("error", reject);
  });
}

function flatHeaders(res: IncomingMessage): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const [name, value] of Object.entries(res.headers)) {
    if (value === undefined) continue;
    headers[name.toLowerCase()] = Array.isArray(value) ? value.join(", ") : value;
  }
  return headers;
}

const anchorsBySocket = new WeakMap<TLSSocket, string | undefined>();

/** The last certificate of the verified chain: the anchor from the store. */
export function anchorOf(socket: TLSSocket | null): string | undefined {
  if (!socket) return undefined;
  // A kept-alive connection's chain was verified once, when it was made.
  if (anchorsBySocket.has(socket)) return anchorsBySocket.get(socket);
  const anchor = chainEnd(socket);
  anchorsBySocket.set(socket, anchor);
  return anchor;
}

function chainEnd(socket: TLSSocket): string | undefined {
  let cert = socket.getPeerCertificate?.(true) as DetailedPeerCertificate | undefined;
  for (let depth = 0; cert?.raw && depth < 16; depth++) {
    const issuer = cert.issuerCertificate;
    if (!issuer?.raw || issuer === cert || issuer.fingerprint256 === cert.fingerprint256) {
      return createHash("sha256").update(cert.raw).digest("hex");
    }
    cert = issuer;
  }
  return undefined;
}
