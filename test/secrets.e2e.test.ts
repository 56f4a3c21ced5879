/**
 * After a full scenario — a gateway registers and submits, people and
 * tokens are created, a certificate with its key is uploaded, an AMP
 * service with its password receives and rejects updates — no response,
 * log line, audit entry or stored record holds an API key, password,
 * token or private key, except the one answer that shows a new key once.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { makeTestPki as makeOutboundPki } from "../src/outbound/test-pki.ts";
import type { Receiver, TestPki as OutboundPki } from "../src/outbound/test-pki.ts";
import { makeTestPki } from "../src/pki/testing/openssl-pki.ts";
import { startAppliance } from "./helpers/appliance.ts";
import type { CallOptions, RunningAppliance } from "./helpers/appliance.ts";
import type { HttpsResponse } from "./helpers/https.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import {
  AMP_PASSWORD,
  AMP_USER,
  addService,
  quickDeliveries,
  startAmpReceiver,
  submit,
  waitFor,
} from "./helpers/syndication.ts";
import { queryDatabase } from "./helpers/syndication.ts";

let appliance: RunningAppliance;
let outbound: OutboundPki;
let receiver: Receiver;
let rejectNext = false;

/** Every answer the scenario saw, with the request that produced it. */
const seen: { what: string; answer: HttpsResponse }[] = [];
/** Each secret, and the one answer allowed to show it (when it was issued). */
const secrets: { name: string; value: string; issuedBy?: string }[] = [];

async function call(what: string, method: string, path: string, options: CallOptions = {}) {
  const answer = await appliance.call(method, path, options);
  seen.push({ what, answer });
  return answer;
}

beforeAll(async () => {
  outbound = makeOutboundPki();
  receiver = await startAmpReceiver(outbound, (_req, res) => {
    res.writeHead(rejectNext ? 401 : 200).end("{}");
  });
  // At debug every request is logged with its path and query: the strictest place to look.
  appliance = await startAppliance({
    PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8",
    PORTICO_LOG_LEVEL: "debug",
  });
  secrets.push({ name: "admin key", value: appliance.adminKey });
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
  await receiver.close();
  outbound.remove();
});

test("no secret appears in any answer, log line, audit entry or stored record", async () => {
  const id = newClientId();
  const registered = await call("register", "POST", "/csa/api/register", {
    key: null,
    json: registration(id),
  });
  secrets.push({ name: "device key", value: registered.json.api_key, issuedBy: "register" });
  await call("activate", "POST", `/api/v1/users/${id}/activate`);
  await call(
    "whoami by query",
    "GET",
    `/api/v3/session/whoami?api_key=${registered.json.api_key}`,
    { key: null },
  );
  await call(
    "whoami by an encoded query name",
    "GET",
    `/api/v3/session/whoami?api%5Fkey=${registered.json.api_key}`,
    { key: null },
  );

  const person = await call("create person", "POST", "/api/v1/users", {
    json: {
      login: "soc-analyst",
      role: "admin",
      organization_id: 1,
      password: "Correct-Horse-Battery-9",
    },
  });
  secrets.push({ name: "person key", value: person.json.api_key, issuedBy: "create person" });
  secrets.push({ name: "person password", value: "Correct-Horse-Battery-9" });
  const reset = await call("reset person key", "POST", "/api/v1/users/soc-analyst/api-key");
  secrets.push({ name: "reset key", value: reset.json.api_key, issuedBy: "reset person key" });

  const token = await call("token", "POST", "/api/v1/registration-tokens", {
    json: { max_uses: 3 },
  });
  secrets.push({ name: "registration token", value: token.json.token, issuedBy: "token" });
  await call("tokens", "GET", "/api/v1/registration-tokens");

  const pki = makeTestPki();
  const keyBody = pki.leaf.keyPem.split("\n")[3];
  secrets.push({ name: "uploaded private key", value: keyBody });
  await call("upload", "PUT", "/api/v1/tls/clean/certificate", {
    json: { certificate: pki.leaf.pem, private_key: pki.leaf.keyPem, chain: pki.intermediate.pem },
  });
  appliance.trusted = [pki.root.pem];
  await call("certificate", "GET", "/api/v1/tls/clean/certificate");

  await call("add CA", "POST", "/api/v1/ca-certificates", { json: { pem: outbound.root } });
  await quickDeliveries(appliance);
  const serviceId = await addService(appliance, receiver);
  secrets.push({ name: "AMP password", value: AMP_PASSWORD });
  secrets.push({
    name: "AMP Basic header",
    value: Buffer.from(`${AMP_USER}:${AMP_PASSWORD}`).toString("base64"),
  });
  const form = new FormData();
  form.set("sample", new File(["secret scan sample"], "s.bin"));
  form.set("api_key", registered.json.api_key);
  const sample = (
    await call("submit by form", "POST", "/api/v2/samples", { key: null, multipart: form })
  ).json.data;
  await call("verdict", "PUT", `/api/v1/samples/${sample.id}/disposition`, {
    json: { disposition: "malicious" },
  });
  await waitFor("a delivery", () => receiver.requests.length > 0);
  rejectNext = true;
  const other = await submit(appliance, new TextEncoder().encode("second secret sample"), "t.bin");
  await call("verdict 2", "PUT", `/api/v1/samples/${other.id}/disposition`, {
    json: { disposition: "malicious" },
  });
  await waitFor("the service marked", async () => {
    const service = await call("service", "GET", `/api/v1/disposition-services/${serviceId}`);
    return service.json.status === "credentials_rejected";
  });
  await call("services", "GET", "/api/v1/disposition-services");
  await call("deliveries", "GET", `/api/v1/disposition-services/${serviceId}/deliveries`);
  await call("check", "POST", `/api/v1/disposition-services/${serviceId}/check`);
  await call("audit", "GET", "/api/v1/audit-events?limit=500");
  await call("settings", "GET", "/api/v1/settings");
  await call("user details", "GET", `/api/v1/users/${id}`);

  const tables = (
    await queryDatabase(appliance, "SELECT name FROM sqlite_master WHERE type = 'table'")
  )
    .map((r) => String(r.name))
    .filter((name) => !name.startsWith("sqlite_"));
  const stored: Record<string, string> = {};
  for (const table of tables) {
    stored[table] = JSON.stringify(await queryDatabase(appliance, `SELECT * FROM "${table}"`));
  }

  for (const secret of secrets) {
    for (const { what, answer } of seen) {
      if (what === secret.issuedBy) continue;
      const text = answer.text + JSON.stringify(answer.headers);
      expect([secret.name, what, text.includes(secret.value)]).toEqual([secret.name, what, false]);
    }
    expect([secret.name, "log", appliance.logs.includes(secret.value)]).toEqual([
      secret.name,
      "log",
      false,
    ]);
    for (const [table, rows] of Object.entries(stored)) {
      expect([secret.name, table, rows.includes(secret.value)]).toEqual([
        secret.name,
        table,
        false,
      ]);
    }
  }
  expect(seen.length).toBeGreaterThan(20);
});
