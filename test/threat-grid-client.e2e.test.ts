/**
 * An existing Threat Grid user's Python script (requests, api_key as a form
 * and query parameter) works against Portico over verified HTTPS.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import { pythonWithRequests } from "./helpers/tools.ts";

let appliance: RunningAppliance;

beforeAll(async () => {
  appliance = await startAppliance({ PORTICO_HOSTNAME: "localhost" });
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

test("a requests-based script submits with a form api_key, reads whoami and its rate limit, and finds the sample", async () => {
  const python = pythonWithRequests();
  const id = newClientId();
  const registered = await appliance.call("POST", "/csa/api/register", {
    key: null,
    json: registration(id),
  });
  await appliance.call("POST", `/api/v1/users/${id}/activate`);
  await appliance.call("PATCH", "/api/v1/settings", {
    json: { "rate_limits.organization": [{ samples: 1000, minutes: 1440 }] },
  });

  const ca = join(appliance.dataDir, "appliance.pem");
  writeFileSync(ca, appliance.trusted[0]);
  const sample = join(appliance.dataDir, "report.pdf");
  writeFileSync(sample, `%PDF-1.4 fake report ${crypto.randomUUID()}\n`);

  const run = spawnSync(python, [join(import.meta.dir, "clients", "threat_grid_client.py")], {
    encoding: "utf8",
    timeout: 60_000,
    env: {
      PATH: process.env.PATH,
      TG_BASE_URL: `https://localhost:${appliance.port}`,
      TG_API_KEY: registered.json.api_key,
      TG_CA_FILE: ca,
      TG_SAMPLE_FILE: sample,
    },
  });
  expect(run.stderr).toBe("");
  expect(run.status).toBe(0);
  const seen = JSON.parse(run.stdout);

  expect(seen.sample).toMatchObject({
    login: id,
    filename: "report.pdf",
    sha256: seen.sha256,
    private: true,
    tags: ["tg-script", "esa"],
    vm: "win10",
  });
  expect(seen.whoami).toMatchObject({ login: id, role: "device", active: true, device: true });
  expect(seen.rate_limit.user).toBeNull();
  expect(seen.rate_limit.organization).toEqual({
    "submission-rate-limit": [{ samples: 1000, minutes: 1440 }],
    "submissions-available": 999,
    "submission-wait-seconds": 0,
  });
  expect(seen.search.current_item_count).toBe(1);
  expect(seen.search.items[0].item).toMatchObject({
    sample: seen.sample.id,
    sha256: seen.sha256,
    login: id,
  });
  expect(appliance.logs).not.toContain(registered.json.api_key);
});
