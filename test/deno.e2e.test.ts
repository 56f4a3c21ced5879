/**
 * The same appliance on Deno (`deno task start`): the gateway journey over
 * verified HTTPS, a certificate change served without a restart, and a
 * clean exit on SIGTERM.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { gatewayJourney, waitUntilPresented } from "./helpers/journey.ts";
import { ROOT, denoBinary } from "./helpers/tools.ts";

/** What `deno task start` runs, with the binary from the test tools. */
function denoServe(): string[] {
  const tasks = JSON.parse(readFileSync(join(ROOT, "deno.json"), "utf8")).tasks;
  const [, ...args] = (tasks.start as string).split(" ");
  return [denoBinary(), ...args];
}

let appliance: RunningAppliance;

beforeAll(async () => {
  appliance = await startAppliance({ DENO_NO_UPDATE_CHECK: "1" }, denoServe());
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

describe("on Deno", () => {
  test("a gateway registers, is activated and submits a sample over verified HTTPS", async () => {
    await gatewayJourney(appliance);
  });

  test("the request source is the peer address Deno reports", async () => {
    const whoami = await appliance.call("GET", "/api/v1/appliance");
    expect(whoami.status).toBe(200);
    expect(appliance.logs).toContain('"path":"/api/v1/appliance","status":200');
    expect(appliance.logs).toMatch(/"path":"\/api\/v1\/appliance".*"source":"127\.0\.0\.1"/);
  });

  test("a regenerated certificate is served without a restart", async () => {
    const regenerated = await appliance.call("POST", "/api/v1/tls/clean/certificate/regenerate", {
      json: {},
    });
    expect(regenerated.status).toBe(201);
    const fingerprint = regenerated.json.fingerprint_sha256;
    expect(await waitUntilPresented(appliance, fingerprint)).toBe(fingerprint);
  });

  test("SIGTERM stops it with exit code 0", async () => {
    const started = Date.now();
    expect(await appliance.stop("SIGTERM")).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(appliance.logs).toContain('"msg":"stopped"');
  });
});
