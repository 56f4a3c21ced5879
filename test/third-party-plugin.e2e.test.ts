/**
 * A third-party plugin that lives outside the core tree, bundled into one
 * ESM file, loaded by the real server through PORTICO_PLUGINS with its
 * configuration from PORTICO_PLUGIN_CONFIG.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { makeTestPki, startReceiver } from "../src/outbound/test-pki.ts";
import type { Receiver, TestPki } from "../src/outbound/test-pki.ts";
import { startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";

const ROOT = join(import.meta.dir, "..");
const work = mkdtempSync(join(tmpdir(), "portico-plugin-"));
const bundle = join(work, "webhook-notifier.js");
let pki: TestPki;
let receiver: Receiver;
let appliance: RunningAppliance;

function writeConfig(name: string, config: unknown): string {
  const path = join(work, name);
  writeFileSync(path, JSON.stringify(config));
  return path;
}

beforeAll(async () => {
  const build = spawnSync(
    process.execPath,
    [
      "build",
      join(ROOT, "examples/webhook-notifier/index.ts"),
      "--target",
      "bun",
      "--format",
      "esm",
      "--outfile",
      bundle,
    ],
    { encoding: "utf8" },
  );
  expect(build.status).toBe(0);
  pki = makeTestPki();
  receiver = await startReceiver(pki.server, (_req, res) => {
    res.statusCode = 204;
    res.end();
  });
  appliance = await startAppliance({
    PORTICO_PLUGINS: bundle,
    PORTICO_PLUGIN_CONFIG: writeConfig("plugins.json", {
      "webhook-notifier": {
        url: `https://127.0.0.1:${receiver.port}/hooks/portico`,
        token: "soc-channel-token",
      },
    }),
    PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8",
  });
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
  await receiver.close();
  pki.remove();
});

describe("a bundled third-party plugin", () => {
  test("the bundle has no bare imports, so a compiled appliance can load it from disk", async () => {
    const text = await Bun.file(bundle).text();
    expect(text).not.toMatch(/^import .* from "(?![./])/m);
    expect(text).toContain("webhook-notifier");
  });

  test("is loaded, listed with its version, and posts a webhook when a gateway registers", async () => {
    const plugins = await appliance.call("GET", "/api/v1/plugins");
    expect(plugins.json.items).toContainEqual({
      id: "webhook-notifier",
      version: "1.0.0",
      status: "running",
      error: null,
    });
    const added = await appliance.call("POST", "/api/v1/ca-certificates", {
      json: { pem: pki.root },
    });
    expect(added.status).toBe(201);

    const id = newClientId();
    await appliance.call("POST", "/csa/api/register", { key: null, json: registration(id) });
    const deadline = Date.now() + 20_000;
    while (!receiver.requests.some((r) => r.body.includes(id)) && Date.now() < deadline) {
      await Bun.sleep(100);
    }
    const hook = receiver.requests.find((r) => r.body.includes(id));
    expect(hook).toBeDefined();
    expect(hook!.path).toBe("/hooks/portico");
    expect(hook!.headers.authorization).toBe("Bearer soc-channel-token");
    const body = JSON.parse(hook!.body);
    expect(body).toMatchObject({
      event: "device.registered",
      data: { login: id, device_type: "esa" },
    });
    expect(hook!.headers["idempotency-key"]).toBe(body.event_id);

    // The handler records the webhook in the plugin's own table once it is sent.
    let own = await appliance.call("GET", "/api/v1/webhook-notifier");
    while (own.json.recent.length === 0 && Date.now() < deadline) {
      await Bun.sleep(100);
      own = await appliance.call("GET", "/api/v1/webhook-notifier");
    }
    expect(own.json.recent[0]).toMatchObject({
      event_id: body.event_id,
      event: "device.registered",
      status: 204,
    });
    const one = await appliance.call("GET", `/api/v1/webhook-notifier/sent/${body.event_id}`);
    expect(one.json).toMatchObject({ event_id: body.event_id, status: 204 });
    expect(appliance.logs).not.toContain("soc-channel-token");
  });

  test("its migration made its table and recorded itself in its own migrations table", async () => {
    const db = createClient({ url: `file:${join(appliance.dataDir, "portico.db")}` });
    try {
      const tables = await db.execute(
        "SELECT name FROM sqlite_master WHERE name LIKE '%webhook_notifier%' AND name NOT LIKE 'sqlite_%' ORDER BY name",
      );
      expect(tables.rows.map((r) => r.name)).toEqual([
        "__migrations_webhook_notifier",
        "webhook_notifier_sent",
        "webhook_notifier_sent_event",
      ]);
      const applied = await db.execute("SELECT id FROM __migrations_webhook_notifier");
      expect(applied.rows.map((r) => r.id)).toEqual(["0001_sent"]);
    } finally {
      db.close();
    }
  });

  test("its own problem code answers and is explained in the problem catalog", async () => {
    const missing = await appliance.call("GET", "/api/v1/webhook-notifier/sent/no-such-event");
    expect(missing.status).toBe(404);
    expect(missing.json).toMatchObject({
      code: "webhook_not_sent",
      type: expect.stringContaining("/api/docs/problems#webhook_not_sent"),
    });
    const catalog = await appliance.call("GET", "/api/docs/problems", { key: null });
    expect(catalog.text).toContain('id="webhook_not_sent"');
    expect(catalog.text).toContain("No webhook sent for this event");
  });
});

describe("loading refusals", () => {
  test("a plugin with bad configuration that asks to be disabled leaves the appliance running", async () => {
    const other = await startAppliance({
      PORTICO_PLUGINS: bundle,
      PORTICO_PLUGIN_CONFIG: writeConfig("bad.json", {
        "webhook-notifier": { url: "http://plain" },
      }),
    });
    try {
      const plugins = await other.call("GET", "/api/v1/plugins");
      const entry = plugins.json.items.find((p: { id: string }) => p.id === "webhook-notifier");
      expect(entry.status).toBe("disabled");
      expect(entry.error).toContain("url must be https");
      expect((await other.call("GET", "/api/v1/webhook-notifier")).status).toBe(404);
    } finally {
      await other.stop();
      other.cleanup();
    }
  });

  test("a plugin file that does not exist stops the start with a message naming it", () => {
    const run = spawnSync(process.execPath, [join(ROOT, "src/runtime/bun.ts"), "serve"], {
      encoding: "utf8",
      timeout: 20_000,
      env: {
        ...process.env,
        PORTICO_DATA_DIR: join(work, "missing-data"),
        PORTICO_PLUGINS: join(work, "no-such-plugin.js"),
      },
    });
    expect(run.status).toBe(2);
    expect(run.stderr).toContain("no-such-plugin.js");
  });
});
