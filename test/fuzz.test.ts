/**
 * Fuzzing every route in the OpenAPI document in this process (the real
 * core app on a real libSQL file): random and boundary bodies, wrong
 * content types, truncated multipart, odd encodings and path tricks never
 * give a 5xx; every refusal is a problem or the compatible envelope; and a
 * refused request leaves the domain tables as they were.
 *
 * Replay a failure with the printed seed: FUZZ_SEED=<seed> FUZZ_RUNS=<n>.
 */
import { afterEach, beforeEach, expect, test } from "bun:test";
import fc from "fast-check";
import { createTestAppliance } from "../src/testing/appliance.ts";
import type { TestAppliance } from "../src/testing/appliance.ts";
import {
  body,
  fuzzParameters,
  invariantViolation,
  keyChoice,
  queryValue,
  segment,
} from "./fuzz/inputs.ts";
import type { FuzzBody, KeyChoice } from "./fuzz/inputs.ts";
import { DOMAIN_TABLES } from "./helpers/database.ts";

const CLIENT_ID = "01_VLNESA100200_42294D401307BCB4DBEC-E1431E45EFA5_C100V_000000000";
/** Plugin tables that are state too ("unchanged" in API.md). */
const PLUGIN_TABLES = ["disposition_services", "ca_certificates", "registration_tokens"];

let kit: TestAppliance;
let routes: { method: string; path: string; query: string[] }[];
let deviceKey: string;

/** A fresh appliance per test: a fuzz pass may legitimately change settings as admin. */
beforeEach(async () => {
  kit = await createTestAppliance();
  const doc = (await kit.request("GET", "/api/v1/openapi.json", { key: null })).json;
  type Operation = { parameters?: { in: string; name: string }[] };
  routes = Object.entries(doc.paths as Record<string, Record<string, Operation>>).flatMap(
    ([path, item]) =>
      Object.entries(item).map(([method, operation]) => ({
        method: method.toUpperCase(),
        path,
        query: (operation.parameters ?? []).filter((p) => p.in === "query").map((p) => p.name),
      })),
  );
  const reg = await kit.request("POST", "/csa/api/register", {
    key: null,
    json: { client_id: CLIENT_ID, device_type: "esa" },
  });
  deviceKey = reg.json.api_key;
  await kit.request("POST", `/api/v1/users/${CLIENT_ID}/activate`);
  const form = new FormData();
  form.set("sample", new File(["fuzz sample"], "s.bin"));
  await kit.request("POST", "/api/v2/samples", { key: deviceKey, multipart: form });
});

afterEach(async () => {
  await kit.close();
});

async function domainState(): Promise<string> {
  const present = new Set(
    (
      await kit.appliance.db.client.execute("SELECT name FROM sqlite_master WHERE type='table'")
    ).rows.map((r) => r.name as string),
  );
  const parts: string[] = [];
  for (const table of [...DOMAIN_TABLES, ...PLUGIN_TABLES].filter((t) => present.has(t))) {
    const rows = await kit.appliance.db.client.execute(`SELECT * FROM "${table}" ORDER BY 1`);
    parts.push(table, JSON.stringify(rows.rows));
  }
  return parts.join("\n");
}

function keyFor(choice: KeyChoice): string | null {
  if (choice === "admin") return kit.adminKey;
  if (choice === "device") return deviceKey;
  if (choice === "unknown") return "pk_" + "0".repeat(64);
  if (choice === "garbage") return "\u00e9\u0000 ;" + "z".repeat(300);
  return null;
}

async function send(method: string, path: string, key: KeyChoice, fuzz: FuzzBody) {
  const headers = new Headers();
  const k = keyFor(key);
  if (k !== null) {
    headers.set("authorization", `Bearer ${encodeURIComponent(k)}`);
  }
  if (fuzz.contentType !== undefined) headers.set("content-type", fuzz.contentType);
  const withBody = method !== "GET" && method !== "HEAD" && fuzz.bytes !== undefined;
  const response = await kit.appliance.app.fetch(
    new Request(`https://appliance.example.test${path}`, {
      method,
      headers,
      body: withBody ? (fuzz.bytes as Uint8Array<ArrayBuffer>) : undefined,
    }),
    { remoteAddress: "127.0.0.1", iface: "clean" },
  );
  return {
    status: response.status,
    type: response.headers.get("content-type") ?? "",
    text: await response.text(),
  };
}

const route = () => fc.constantFrom(...routes);
const fill = (template: string, values: string[]) => {
  let i = 0;
  return template.replace(/\{[^}]+\}/g, () => values[i++ % values.length]);
};

async function checkOne(method: string, path: string, key: KeyChoice, fuzz: FuzzBody) {
  const before = await domainState();
  const answer = await send(method, path, key, fuzz);
  const violation = invariantViolation(
    new URL(`https://appliance.example.test${path}`).pathname,
    answer.status,
    answer.type,
    answer.text,
  );
  if (violation && !(method === "HEAD" && answer.text === "" && answer.status < 500))
    throw new Error(`${method} ${path}: ${violation}`);
  if (answer.status >= 400) {
    const after = await domainState();
    if (after !== before)
      throw new Error(`${method} ${path} answered ${answer.status} but changed the database`);
  }
}

test("every documented route survives random bodies, content types, keys and paths", async () => {
  const { seed, numRuns } = fuzzParameters(2000);
  console.log(`fuzz routes: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`);
  await fc.assert(
    fc.asyncProperty(
      route(),
      fc.array(segment, { minLength: 1, maxLength: 3 }),
      keyChoice,
      body,
      async (r, values, key, fuzz) => {
        await checkOne(r.method, fill(r.path, values), key, fuzz);
      },
    ),
    { seed, numRuns },
  );
}, 240_000);

test("every documented query parameter survives boundary numbers and junk", async () => {
  const { seed, numRuns } = fuzzParameters(6000);
  console.log(`fuzz queries: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`);
  const withQuery = routes.filter((r) => r.query.length > 0);
  expect(withQuery.length).toBeGreaterThan(5);
  const request = fc.constantFrom(...withQuery).chain((r) =>
    fc.record({
      route: fc.constant(r),
      values: fc.array(fc.option(queryValue, { nil: undefined }), {
        minLength: r.query.length,
        maxLength: r.query.length,
      }),
    }),
  );
  // Mostly the administrator, who may call every route, so that validation is reached.
  const caller = fc.oneof({ weight: 4, arbitrary: fc.constant<KeyChoice>("admin") }, keyChoice);
  await fc.assert(
    fc.asyncProperty(request, caller, async ({ route: r, values }, key) => {
      const query = new URLSearchParams();
      r.query.forEach((name, i) => values[i] !== undefined && query.set(name, values[i]!));
      const path = `${fill(r.path, ["x"])}?${query}`;
      await checkOne(r.method, path, key, {});
    }),
    { seed, numRuns },
  );
}, 240_000);

test("dot segments, encoded or doubled slashes and long paths never give a 5xx", async () => {
  const { seed, numRuns } = fuzzParameters(1000);
  console.log(`fuzz paths: FUZZ_SEED=${seed} FUZZ_RUNS=${numRuns}`);
  const trick = fc.oneof(
    route().map((r) => r.path.replace(/^\//, "//")),
    route().map((r) => "/" + r.path.slice(1).replace(/\//g, "%2F")),
    route().map((r) => r.path + "/../../../etc/passwd"),
    route().map((r) => r.path + "/" + "a".repeat(8000)),
    route().map((r) => r.path.replace(/\/([^/]+)$/, "/./$1/.")),
    fc.array(segment, { maxLength: 8 }).map((s) => "/" + s.join("/")),
  );
  const method = fc.constantFrom("GET", "POST", "PUT", "PATCH", "DELETE", "OPTIONS", "HEAD");
  await fc.assert(
    fc.asyncProperty(trick, method, keyChoice, async (path, m, key) => {
      await checkOne(m, fill(path, ["x"]), key, {});
    }),
    { seed, numRuns },
  );
}, 240_000);

test("every route refuses a body over its limit with 413 body_too_large", async () => {
  const over = new Uint8Array(4 * 1024 * 1024 + 1).fill(0x61);
  for (const r of routes.filter((r) => r.method !== "GET")) {
    if (r.path === "/api/v2/samples") continue;
    const path = fill(r.path, ["x"]);
    const before = await domainState();
    const answer = await send(r.method, path, "admin", {
      contentType: "application/json",
      bytes: over,
    });
    expect(answer.status, `${r.method} ${path}`).toBe(413);
    expect(invariantViolation(path, answer.status, answer.type, answer.text)).toBeNull();
    if (!path.startsWith("/portal")) {
      const json = JSON.parse(answer.text);
      expect(json.code ?? json.error.errors[0].code).toBe("body_too_large");
    }
    expect(await domainState()).toBe(before);
  }
});

test("the sample limit follows the samples.max_bytes setting", async () => {
  const set = await kit.request("PATCH", "/api/v1/settings", {
    json: { "samples.max_bytes": 1000 },
  });
  expect(set.status).toBe(200);
  const submit = (size: number) => {
    const form = new FormData();
    form.set("sample", new File([new Uint8Array(size).fill(7)], "s.bin"));
    return kit.request("POST", "/api/v2/samples", { key: deviceKey, multipart: form });
  };
  const before = await domainState();
  const big = await submit(1001);
  expect(big.status).toBe(413);
  expect(big.json.error.errors[0].code).toBe("sample_too_large");
  expect(await domainState()).toBe(before);
  expect((await submit(1000)).status).toBe(200);

  const whole = await send("POST", "/api/v2/samples", "device", {
    contentType: "multipart/form-data; boundary=b",
    bytes: new Uint8Array(1000 + 1024 * 1024 + 1),
  });
  expect(whole.status).toBe(413);
  expect(JSON.parse(whole.text).error.errors[0].code).toBe("body_too_large");
  await kit.request("PATCH", "/api/v1/settings", {
    json: { "samples.max_bytes": 100 * 1024 * 1024 },
  });
});
