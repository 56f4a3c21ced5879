/**
 * An HTTPS client for tests that verifies the server the way a gateway
 * would: against a given CA list and a DNS hostname, while connecting to
 * the loopback address the test server listens on.
 *
 * @module
 */
import https from "node:https";
import type { LookupFunction } from "node:net";

export interface HttpsResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
  /** The body as received. */
  bytes: Uint8Array;
  /** The body parsed as JSON, or undefined when it is not JSON. */
  json: any;
}

export interface HttpsRequest {
  method?: string;
  headers?: Record<string, string>;
  body?: string | Uint8Array;
}

export function verifiedRequest(
  target: { hostname: string; address: string; port: number; ca: string[] },
  path: string,
  init: HttpsRequest = {},
): Promise<HttpsResponse> {
  const lookup: LookupFunction = (_host, options, callback) => {
    if ((options as { all?: boolean }).all) {
      (callback as unknown as (e: null, a: { address: string; family: number }[]) => void)(null, [
        { address: target.address, family: 4 },
      ]);
    } else {
      callback(null, target.address, 4);
    }
  };
  return new Promise((resolve, reject) => {
    const req = https.request(
      {
        host: target.hostname,
        servername: target.hostname,
        port: target.port,
        path,
        method: init.method ?? "GET",
        headers: init.headers,
        ca: target.ca,
        lookup,
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () => {
          const bytes = Buffer.concat(chunks);
          const text = bytes.toString("utf8");
          let json: unknown;
          try {
            json = JSON.parse(text);
          } catch {
            json = undefined;
          }
          resolve({
            status: res.statusCode ?? 0,
            headers: res.headers,
            text,
            bytes: new Uint8Array(bytes),
            json,
          });
        });
        res.on("error", reject);
      },
    );
    req.on("error", reject);
    if (init.body !== undefined) req.write(init.body);
    req.end();
  });
}
