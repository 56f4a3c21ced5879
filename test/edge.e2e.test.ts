/**
 * The edge entry, run as a fetch handler under Bun.serve (standing in for a
 * worker platform behind its TLS terminator) with `@libsql/client/web`
 * against a real sqld, beside a `portico serve` process on the same
 * database. workerd itself is not used here.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import type { Server } from "bun";
import { ConfigError } from "../src/config.ts";
import { createEdgeHandler, edgeConfig } from "../src/runtime/edge.ts";
import { startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import { startSqld } from "./helpers/tools.ts";
import type { Sqld } from "./helpers/tools.ts";

const adminKey = `pk_${"ed".repeat(32)}`;
let sqld: Sqld;
let edge: Server<undefined>;
let full: RunningAppliance;
let bindings: Record<string, string>;

beforeAll(async () => {
  sqld = await startSqld();
  bindings = {
    PORTICO_DATABASE_URL: sqld.url,
    PORTICO_SECRET_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    PORTICO_ADMIN_API_KEY: adminKey,
    PORTICO_HOSTNAME: "appliance.example.test",
    PORTICO_LOG_LEVEL: "warn",
  };
  const handler = createEdgeHandler();
  edge = Bun.serve({ port: 0, hostname: "127.0.0.1", fetch: (r) => handler.fetch(r, bindings) });
  full = await startAppliance({ ...bindings, PORTICO_LOG_LEVEL: "info" });
});

afterAll(async () => {
  await edge?.stop(true);
  await full?.stop();
  full?.cleanup();
  await sqld?.stop();
});

function call(path: string, init: RequestInit & { key?: string | null } = {}) {
  const headers = new Headers(init.headers);
  const key = init.key === undefined ? adminKey : init.key;
  if (key) headers.set("authorization", `Bearer ${key}`);
  return fetch(`http://127.0.0.1:${edge.port}${path}`, { ...init, headers });
}

describe("the edge configuration", () => {
  test("refuses a file database and missing bindings, naming each", () => {
    let thrown: unknown;
    try {
      edgeConfig({ PORTICO_DATABASE_URL: "file:/tmp/x.db", PORTICO_PLUGINS: "./p.mjs" });
    } catch (error) {
      thrown = error;
    }
    expect(thrown).toBeInstanceOf(ConfigError);
    expect((thrown as ConfigError).problems).toEqual([
      "PORTICO_DATABASE_URL: the edge needs a libSQL server (http(s)://, libsql://)",
      "PORTICO_SECRET_KEY: required on the edge (there is no file system)",
      "PORTICO_ADMIN_API_KEY: required on the edge (there is no file system)",
      "PORTICO_HOSTNAME: required on the edge (there is no file system)",
      "PORTICO_PLUGINS: the edge cannot import plugin files; bundle them instead",
    ]);
  });

  test("answers 503 with the reason while it cannot start", async () => {
    const handler = createEdgeHandler();
    const answer = await handler.fetch(new Request("https://edge.example.test/healthz"), {});
    expect(answer.status).toBe(503);
    expect((await answer.json()).code).toBe("appliance_unavailable");
  });
});

describe("the edge handler on sqld beside a serve process", () => {
  test("a gateway registers, is activated and submits at the edge; serve analyses it", async () => {
    const id = newClientId();
    const registered = await call("/csa/api/register", {
      method: "POST",
      key: null,
      headers: { "content-type": "application/json" },
      body: JSON.stringify(registration(id)),
    });
    expect(registered.status).toBe(201);
    const { api_key: deviceKey } = await registered.json();

    const activated = await call(`/api/v1/users/${id}/activate`, { method: "POST" });
    expect(await activated.json()).toMatchObject({ login: id, active: true, changed: true });

    const form = new FormData();
    form.set("sample", new File(["edge sample"], "edge.bin"));
    const submitted = await call("/api/v2/samples", { method: "POST", key: deviceKey, body: form });
    expect(submitted.status).toBe(200);
    const sample = (await submitted.json()).data;

    expect(sample.state).toBe("wait");

    // The edge runs no workers: the serve process picks the sample up for analysis.
    let seen = sample;
    for (let i = 0; i < 100 && seen.state === "wait"; i++) {
      await Bun.sleep(100);
      seen = (await full.call("GET", `/api/v2/samples/${sample.id}`, { key: deviceKey })).json.data;
    }
    expect(seen.state).not.toBe("wait");
    const { login, organization_id, filename, size, sha256 } = sample;
    expect(seen).toMatchObject({ id: sample.id, login, organization_id, filename, size, sha256 });
  });

  test("both see one administrator and one clean certificate", async () => {
    const viaEdge = await (await call("/api/v1/tls/clean/certificate")).json();
    const viaServe = await full.call("GET", "/api/v1/tls/clean/certificate");
    expect(viaEdge.fingerprint_sha256).toBe(viaServe.json.fingerprint_sha256);
    const admins = await (await call("/api/v1/users?role=admin")).json();
    expect(admins.items.map((u: { login: string }) => u.login)).toEqual(["admin"]);
  });
});
