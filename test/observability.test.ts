/**
 * Observability: `/metrics` in the Prometheus text format with requests
 * per route pattern, devices, samples, the delivery backlog and its age,
 * attempts by outcome and certificate expiry; who may read it; and
 * `/readyz` answering 503 while a listener is down.
 */
import { afterEach, expect, test } from "bun:test";
import { createServer } from "node:net";
import type { Server } from "node:net";
import { readinessPoint } from "../src/identity.ts";
import { listenerReadiness } from "../src/runtime/listener-health.ts";
import { ManualClock, createTestAppliance } from "../src/testing/appliance.ts";
import type { TestAppliance } from "../src/testing/appliance.ts";
import { freePort } from "./helpers/appliance.ts";

const CLIENT_ID = "01_42294D401307BCB4DBEC-E1431E45EFA5_C600V_".padEnd(65, "0");

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function kit(options: Parameters<typeof createTestAppliance>[0] = {}) {
  const made = await createTestAppliance(options);
  cleanups.push(() => made.close());
  return made;
}

/** The value of one series, by its exact name and labels as printed. */
function series(text: string, name: string): number | undefined {
  const line = text.split("\n").find((l) => l.startsWith(name + " "));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

test("metrics count requests by route pattern, never by raw path", async () => {
  const k = await kit();
  await k.request("GET", "/api/v2/samples/0123456789abcdef0123456789abcdef");
  await k.request("GET", "/no/such/path/4711");
  const res = await k.request("GET", "/metrics");
  expect(res.status).toBe(200);
  expect(res.headers.get("content-type")).toBe("text/plain; version=0.0.4; charset=utf-8");
  expect(
    series(
      res.text,
      'portico_http_requests_total{method="GET",route="/api/v2/samples/:id",status="404"}',
    ),
  ).toBe(1);
  expect(
    series(res.text, 'portico_http_requests_total{method="GET",route="unmatched",status="404"}'),
  ).toBe(1);
  expect(res.text).toContain(
    'portico_http_request_duration_seconds_count{method="GET",route="/api/v2/samples/:id"} 1',
  );
  expect(res.text).not.toContain("0123456789abcdef");
  expect(res.text).not.toContain("4711");
});

test("metrics report devices, samples, backlog and its age, attempts, cert expiry", async () => {
  const clock = new ManualClock();
  const k = await kit({ clock, env: { PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" } });
  const reg = await k.request("POST", "/csa/api/register", {
    key: null,
    json: { client_id: CLIENT_ID, device_type: "esa" },
  });
  expect(reg.status).toBe(201);
  const form = new FormData();
  form.set("sample", new File(["metrics sample"], "m.bin"));
  const sub = await k.request("POST", "/api/v2/samples", { multipart: form });
  expect(sub.status).toBe(200);
  const service = await k.request("POST", "/api/v1/disposition-services", {
    json: { url: "https://127.0.0.1:9/updates", username: "u", password: "p" },
  });
  expect(service.status).toBe(201);
  const verdict = await k.request("PUT", `/api/v1/samples/${sub.json.data.id}/disposition`, {
    json: { disposition: "malicious" },
  });
  expect(verdict.status).toBe(200);
  clock.advance(90_000);

  const text = (await k.request("GET", "/metrics")).text;
  expect(series(text, 'portico_devices{active="false"}')).toBe(1);
  expect(series(text, 'portico_devices{active="true"}')).toBe(0);
  expect(series(text, "portico_samples")).toBe(1);
  expect(series(text, "portico_delivery_backlog")).toBe(1);
  expect(series(text, "portico_delivery_backlog_oldest_age_seconds")).toBe(90);
  expect(series(text, 'portico_deliveries{status="pending"}')).toBe(1);
  expect(series(text, 'portico_delivery_attempts{outcome="delivered"}')).toBe(0);
  const days = series(text, 'portico_certificate_expiry_days{interface="clean"}')!;
  expect(days).toBeGreaterThan(824);
  expect(days).toBeLessThanOrEqual(825);
});

test("metrics need an admin key unless the source is in PORTICO_METRICS_ALLOW", async () => {
  const closed = await kit();
  const none = await closed.request("GET", "/metrics", { key: null });
  expect(none.status).toBe(401);
  expect(none.json.code).toBe("unauthorized");
  const reg = await closed.request("POST", "/csa/api/register", {
    key: null,
    json: { client_id: CLIENT_ID, device_type: "esa" },
  });
  const device = await closed.request("GET", "/metrics", { key: reg.json.api_key });
  expect(device.status).toBe(403);

  const allowed = await kit({ env: { PORTICO_METRICS_ALLOW: "127.0.0.0/8" } });
  expect((await allowed.request("GET", "/metrics", { key: null })).status).toBe(200);
  const elsewhere = await kit({ env: { PORTICO_METRICS_ALLOW: "10.0.0.0/8" } });
  expect((await elsewhere.request("GET", "/metrics", { key: null })).status).toBe(401);
});

test("readyz answers 503 not_ready while a listener does not accept connections", async () => {
  const k = await kit();
  const server: Server = createServer((socket) => socket.destroy());
  const port = await freePort();
  await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
  k.appliance.kernel.extensions.provide(
    readinessPoint,
    "runtime",
    listenerReadiness("clean", "127.0.0.1", port),
  );
  const up = await k.request("GET", "/readyz", { key: null });
  expect(up.status).toBe(200);
  expect((await k.request("GET", "/readyz")).json.checks.listener_clean).toEqual({
    ok: true,
    port,
  });

  await new Promise<void>((resolve) => server.close(() => resolve()));
  const down = await k.request("GET", "/readyz", { key: null });
  expect(down.status).toBe(503);
  expect(down.json.code).toBe("not_ready");
  expect(down.headers.get("retry-after")).toBe("5");
  expect(down.json.detail).toContain("listener_clean");
});
