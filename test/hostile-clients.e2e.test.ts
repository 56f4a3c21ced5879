/**
 * Hostile clients against the real server over verified TLS: idle and
 * slowloris connections do not starve a normal request; header, size and
 * path tricks get a 4xx (a problem when the app answers), never a 5xx;
 * responses carry security headers; registration is rate limited per
 * source; API keys are stored only as SHA-256.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import type { TLSSocket } from "node:tls";
import { startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { query } from "./helpers/database.ts";
import { openTls, rawRequest } from "./helpers/raw-tls.ts";

const IDLE_CONNECTIONS = 200;
const SLOW_CONNECTIONS = 20;

let app: RunningAppliance;

beforeAll(async () => {
  app = await startAppliance();
});

afterAll(async () => {
  await app?.stop();
  app?.cleanup();
});

const request = (line: string, headers: string[] = [], body = "") =>
  [line, `Host: ${app.hostname}`, ...headers, "Connection: close", "", body].join("\r\n");

test("a request answers while 200 idle and 20 slowloris TLS connections hold on", async () => {
  const idle: TLSSocket[] = await Promise.all(
    Array.from({ length: IDLE_CONNECTIONS }, () => openTls(app)),
  );
  const slow = await Promise.all(Array.from({ length: SLOW_CONNECTIONS }, () => openTls(app)));
  for (const socket of [...idle, ...slow]) socket.on("error", () => undefined);
  let dripping = true;
  const drip = (async () => {
    for (const s of slow) s.write(`GET /healthz HTTP/1.1\r\nHost: ${app.hostname}\r\n`);
    for (let i = 0; dripping && i < 600; i++) {
      for (const s of slow) s.write(`X-Slow-${i}: ${"a".repeat(8)}\r\n`);
      await Bun.sleep(100);
    }
  })();
  try {
    const whoami = await app.call("GET", "/api/v3/session/whoami");
    expect(whoami.status).toBe(200);
    expect(whoami.json.data.login).toBe("admin");
    const health = await app.call("GET", "/healthz");
    expect(health.status).toBe(200);
  } finally {
    dripping = false;
    await drip;
    for (const socket of [...idle, ...slow]) socket.destroy();
  }
}, 60_000);

test("header, size and path tricks get a 4xx, never a 5xx; the server keeps serving", async () => {
  const tricks: [string, string][] = [
    ["a 64 KiB header", request("GET /healthz HTTP/1.1", [`X-Big: ${"a".repeat(65_536)}`])],
    [
      "1,000 headers",
      request(
        "GET /healthz HTTP/1.1",
        Array.from({ length: 1000 }, (_, i) => `X-H${i}: v`),
      ),
    ],
    ["a 100 KiB path", request(`GET /api/v1/${"a".repeat(102_400)} HTTP/1.1`)],
    ["dot segments", request("GET /api/v1/../../etc/passwd HTTP/1.1")],
    ["encoded slashes", request("GET /api%2Fv1%2Fusers HTTP/1.1")],
    ["double slashes", request("GET //api//v1//users HTTP/1.1")],
    ["invalid UTF-8 in the path", request("GET /api/v1/users/%ff%fe%00 HTTP/1.1")],
    ["raw bytes in the path", request("GET /api/v1/users/\u00ff\u00fe HTTP/1.1")],
    [
      "a declared 10 GB body",
      request("POST /api/v1/settings HTTP/1.1", [
        "Content-Type: application/json",
        "Content-Length: 10737418240",
      ]),
    ],
    [
      "a body shorter than declared",
      request(
        "PATCH /api/v1/settings HTTP/1.1",
        ["Content-Type: application/json", "Content-Length: 50"],
        "{",
      ),
    ],
    [
      "a truncated multipart",
      request(
        "POST /api/v2/samples HTTP/1.1",
        [
          `Authorization: Bearer ${"x".repeat(10)}`,
          "Content-Type: multipart/form-data; boundary=zz",
          "Content-Length: 40",
        ],
        "--zz\r\nContent-Disposition: form-data; na",
      ),
    ],
    ["a bad Content-Length", request("POST /csa/api/register HTTP/1.1", ["Content-Length: -1"])],
    [
      "two Content-Lengths",
      request("POST /csa/api/register HTTP/1.1", ["Content-Length: 2", "Content-Length: 3"], "{}"),
    ],
    ["an unknown method", request("BREW /healthz HTTP/1.1")],
  ];
  for (const [what, bytes] of tricks) {
    const answer = await rawRequest(app, bytes, 20_000);
    console.log(`${what}: ${answer.status || "closed without an answer"}`);
    if (answer.status === 0) continue;
    expect(answer.status, what).toBeGreaterThanOrEqual(400);
    expect(answer.status, what).toBeLessThan(500);
    if (/content-type: application\/problem\+json/i.test(answer.head)) {
      const problem = JSON.parse(answer.body);
      expect(problem.status, what).toBe(answer.status);
      expect(problem.code, what).toMatch(/^[a-z0-9_]+$/);
    }
  }
  const oversized = await rawRequest(
    app,
    request("POST /api/v1/settings HTTP/1.1", [
      "Content-Type: application/json",
      "Content-Length: 8388608",
    ]),
  );
  expect(oversized.status).toBe(413);
  expect(JSON.parse(oversized.body).code).toBe("body_too_large");
  expect((await app.call("GET", "/healthz")).status).toBe(200);
}, 120_000);

test("answers carry security headers", async () => {
  for (const path of ["/healthz", "/api/v1/nothing-here", "/api/v3/session/whoami"]) {
    const answer = await app.call("GET", path);
    expect(answer.headers["strict-transport-security"], path).toBe("max-age=31536000");
    expect(answer.headers["x-content-type-options"], path).toBe("nosniff");
    expect(answer.headers["x-frame-options"], path).toBe("DENY");
    expect(answer.headers["referrer-policy"], path).toBe("no-referrer");
  }
});

test("registration is rate limited per source address, with Retry-After", async () => {
  const set = await app.call("PATCH", "/api/v1/settings", {
    json: { "registration.rate_limit_per_minute": 3 },
  });
  expect(set.status).toBe(200);
  const statuses: number[] = [];
  let last;
  for (let i = 0; i < 4; i++) {
    const serial = `${i}`.padStart(4, "0");
    const clientId = `01_42294D401307BCB4DBEC-E1431E45${serial}_C600V_`.padEnd(65, "0");
    last = await app.call("POST", "/csa/api/register", {
      key: null,
      json: { client_id: clientId, device_type: "esa" },
    });
    statuses.push(last.status);
  }
  expect(statuses).toEqual([201, 201, 201, 429]);
  expect(last!.json.code).toBe("rate_limited");
  expect(Number(last!.headers["retry-after"])).toBeGreaterThan(0);
  await app.call("PATCH", "/api/v1/settings", {
    json: { "registration.rate_limit_per_minute": 0 },
  });
});

test("API keys are stored only as their SHA-256, so lookups compare hashes, not keys", async () => {
  const rows = await query(app.dataDir, "SELECT * FROM api_keys");
  const hash = createHash("sha256").update(app.adminKey).digest("hex");
  expect(rows.some((r) => r.hash === hash)).toBe(true);
  expect(JSON.stringify(rows)).not.toContain(app.adminKey);
});
