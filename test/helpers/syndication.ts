/**
 * Helpers for disposition-syndication tests: an AMP-like HTTPS receiver
 * that requires HTTP Basic, the EICAR test file, a device that registers
 * and is activated, and polling with a deadline.
 *
 * @module
 */
import type { ServerResponse } from "node:http";
import {
  type ReceivedRequest,
  type Receiver,
  type TestPki,
  startReceiver,
} from "../../src/outbound/test-pki.ts";
import type { RunningAppliance } from "./appliance.ts";

export const AMP_USER = "amp-user";
export const AMP_PASSWORD = "s3cret-Pass!word";

/** What the receiver answers, by default 200 to the right credentials and 401 otherwise. */
export type Answer = (req: ReceivedRequest, res: ServerResponse) => void;

/** An HTTPS receiver with the test PKI's server certificate that requires Basic auth. */
export function startAmpReceiver(pki: TestPki, answer?: Answer): Promise<Receiver> {
  const expected = `Basic ${Buffer.from(`${AMP_USER}:${AMP_PASSWORD}`).toString("base64")}`;
  return startReceiver(pki.server, (req, res) => {
    if (req.headers.authorization !== expected) {
      res.writeHead(401, { "www-authenticate": 'Basic realm="amp"' }).end();
      return;
    }
    if (answer) answer(req, res);
    else res.writeHead(200, { "content-type": "application/json" }).end("{}");
  });
}

/** The 68-byte EICAR anti-virus test file, assembled here so no file in the tree holds it. */
export function eicar(): Uint8Array {
  const parts = ["X5O!P%@AP[4\\PZX54(P^)7CC)7}$", "EICAR-STANDARD-ANTIVIRUS-TEST-FILE!", "$H+H*"];
  return new TextEncoder().encode(parts.join(""));
}

/** Polls `probe` until it returns a value other than undefined/false, or fails after `ms`. */
export async function waitFor<T>(
  what: string,
  probe: () => Promise<T | undefined | false> | T | undefined | false,
  ms = 15_000,
): Promise<T> {
  const deadline = Date.now() + ms;
  for (;;) {
    const value = await probe();
    if (value !== undefined && value !== false) return value as T;
    if (Date.now() > deadline) throw new Error(`timed out after ${ms} ms waiting for ${what}`);
    await Bun.sleep(50);
  }
}

/** Short delivery timings, set the way an operator would: through the settings API. */
export async function quickDeliveries(
  app: RunningAppliance,
  overrides: Record<string, number> = {},
): Promise<void> {
  const res = await app.call("PATCH", "/api/v1/settings", {
    json: {
      "deliveries.backoff_initial_ms": 100,
      "deliveries.backoff_max_ms": 400,
      "deliveries.max_attempts": 3,
      ...overrides,
    },
  });
  if (res.status !== 200) throw new Error(`settings refused: ${res.text}`);
}

/** Adds a disposition service for the receiver; returns its id. */
export async function addService(
  app: RunningAppliance,
  receiver: Receiver,
  extra: Record<string, unknown> = {},
): Promise<number> {
  const res = await app.call("POST", "/api/v1/disposition-services", {
    json: {
      url: `https://127.0.0.1:${receiver.port}/disposition-updates`,
      username: AMP_USER,
      password: AMP_PASSWORD,
      ...extra,
    },
  });
  if (res.status !== 201) throw new Error(`service refused: ${res.text}`);
  return res.json.id;
}

/** Submits bytes as a sample with the given key (admin by default); returns the sample. */
export async function submit(
  app: RunningAppliance,
  content: Uint8Array,
  filename: string,
  key?: string,
): Promise<{ id: string; sha256: string; md5: string; sha1: string }> {
  const form = new FormData();
  form.append("sample", new File([content as Uint8Array<ArrayBuffer>], filename));
  const res = await app.call("POST", "/api/v2/samples", { multipart: form, key });
  if (res.status !== 200) throw new Error(`submission refused: ${res.text}`);
  return res.json.data;
}

/** Sets the administrator's verdict on a sample. */
export async function setVerdict(
  app: RunningAppliance,
  sampleId: string,
  disposition: "malicious" | "clean" | "unknown",
): Promise<void> {
  const res = await app.call("PUT", `/api/v1/samples/${sampleId}/disposition`, {
    json: { disposition },
  });
  if (res.status !== 200) throw new Error(`verdict refused: ${res.text}`);
}

/** A service's deliveries, optionally with one status. */
export async function deliveriesOf(app: RunningAppliance, serviceId: number, status?: string) {
  const query = status ? `?status=${status}&limit=500` : "?limit=500";
  const res = await app.call("GET", `/api/v1/disposition-services/${serviceId}/deliveries${query}`);
  if (res.status !== 200) throw new Error(`deliveries: ${res.text}`);
  return res.json.items as Array<Record<string, any>>;
}

/** The parsed bodies the receiver accepted. */
export function updatesReceived(receiver: Receiver): Array<Record<string, any>> {
  return receiver.requests.map((r) => JSON.parse(r.body));
}

/** Rows of a query against the appliance's database file, read beside the running process. */
export async function queryDatabase(
  app: RunningAppliance,
  statement: string,
  args: (string | number)[] = [],
): Promise<Array<Record<string, unknown>>> {
  const { createClient } = await import("@libsql/client");
  const client = createClient({ url: `file:${app.dataDir}/portico.db`, intMode: "number" });
  try {
    const result = await client.execute({ sql: statement, args });
    return result.rows.map((row) => ({ ...row }));
  } finally {
    client.close();
  }
}
