/**
 * The plugin's own tests, with the appliance test kit: an appliance in this
 * process on a temporary database, the plugin under test, a real HTTPS
 * receiver and the real outbound client.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeTestPki, startReceiver } from "../../src/outbound/test-pki.ts";
import type { Receiver, TestPki } from "../../src/outbound/test-pki.ts";
import { createTestAppliance } from "../../src/testing/appliance.ts";
import type { TestAppliance } from "../../src/testing/appliance.ts";
import webhookNotifier from "./index.ts";

let pki: TestPki;
let receiver: Receiver;
let status = 200;

beforeAll(async () => {
  pki = makeTestPki();
  receiver = await startReceiver(pki.server, (_req, res) => {
    res.statusCode = status;
    res.end();
  });
});

afterAll(async () => {
  await receiver.close();
  pki.remove();
});

async function kitWith(config: unknown): Promise<TestAppliance> {
  return createTestAppliance({
    plugins: [webhookNotifier],
    pluginConfig: { "webhook-notifier": config },
    env: { PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" },
  });
}

const register = (kit: TestAppliance, serial: string) =>
  kit.request("POST", "/csa/api/register", {
    key: null,
    json: {
      client_id: `01_VLNESA100200_${serial}_C100V_`.padEnd(65, "0"),
      device_type: "esa",
    },
  });

test("posts the registration to the webhook once the CA is trusted, and retries a failure", async () => {
  const kit = await kitWith({ url: `https://127.0.0.1:${receiver.port}/hook` });
  try {
    await kit.request("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
    status = 503;
    await register(kit, "WEBHOOK0001");
    await kit.runJobs();
    expect(receiver.requests.length).toBe(1);
    const listed = await kit.request("GET", "/api/v1/webhook-notifier");
    expect(listed.json.recent).toEqual([]);

    status = 200;
    await kit.runJobs();
    expect(receiver.requests.length).toBe(1);
  } finally {
    await kit.close();
  }
});

test("refuses a plain-http URL at boot and is disabled, not the appliance", async () => {
  const kit = await kitWith({ url: "http://127.0.0.1/hook" });
  try {
    const plugins = await kit.request("GET", "/api/v1/plugins");
    const entry = plugins.json.items.find((p: { id: string }) => p.id === "webhook-notifier");
    expect(entry).toMatchObject({ status: "disabled" });
    expect(entry.error).toContain("url must be https");
  } finally {
    await kit.close();
  }
});

test("keeps each sent webhook in its own table, listed newest first", async () => {
  const kit = await kitWith({ url: `https://127.0.0.1:${receiver.port}/hook` });
  try {
    await kit.request("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
    status = 200;
    await register(kit, "WEBHOOK0002");
    await register(kit, "WEBHOOK0003");
    await kit.runJobs();
    const listed = await kit.request("GET", "/api/v1/webhook-notifier");
    expect(listed.json.recent.map((r: { status: number }) => r.status)).toEqual([200, 200]);
    const [newest] = listed.json.recent;
    const one = await kit.request("GET", `/api/v1/webhook-notifier/sent/${newest.event_id}`);
    expect(one.json).toEqual(newest);
  } finally {
    await kit.close();
  }
});
