/**
 * Bad input on every endpoint of the inbound flow: each answer is a clear
 * 4xx with a stable code, and the appliance's state is unchanged.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAppliance } from "./helpers/appliance.ts";
import type { CallOptions, RunningAppliance } from "./helpers/appliance.ts";
import { snapshot } from "./helpers/database.ts";
import { clientId, newClientId, registration } from "./helpers/devices.ts";

let appliance: RunningAppliance;
let activeKey: string;
let deactivatedKey: string;

beforeAll(async () => {
  appliance = await startAppliance();
  const active = newClientId();
  activeKey = (
    await appliance.call("POST", "/csa/api/register", { key: null, json: registration(active) })
  ).json.api_key;
  await appliance.call("POST", `/api/v1/users/${active}/activate`);
  const deactivated = newClientId();
  deactivatedKey = (
    await appliance.call("POST", "/csa/api/register", {
      key: null,
      json: registration(deactivated),
    })
  ).json.api_key;
  await appliance.call("POST", `/api/v1/users/${deactivated}/activate`);
  await appliance.call("POST", `/api/v1/users/${deactivated}/deactivate`);
  // Token 1, which other spellings of its id must not reach.
  const token = await appliance.call("POST", "/api/v1/registration-tokens", {
    json: { max_uses: 1, expires_in_hours: 1 },
  });
  expect(token.json.id).toBe(1);
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

function samplesForm(content: string | null, extra: Record<string, string> = {}) {
  const form = new FormData();
  if (content !== null) form.set("sample", new File([content], "a.bin"));
  for (const [k, v] of Object.entries(extra)) form.set(k, v);
  return form;
}

interface Case {
  name: string;
  method: string;
  path: string;
  options: () => CallOptions;
  status: number;
  code: string;
  /** A field the errors must name, for validation failures. */
  field?: string;
}

const valid = registration(clientId("42294D401307BCB4DBEC-BAD0INPUT"));

function twoSamples() {
  const form = samplesForm("first");
  form.append("sample", new File(["second"], "b.bin"));
  return form;
}

const cases: Case[] = [
  ...["0x1", "1e0", "%201", "01", "1.0"].map((id) => ({
    name: `revoke registration token ${decodeURIComponent(id)}: another name of token 1`,
    method: "DELETE",
    path: `/api/v1/registration-tokens/${id}`,
    options: () => ({}),
    status: 404,
    code: "registration_token_not_found",
  })),
  {
    name: "rename organization 1e0, another name of organization 1",
    method: "PATCH",
    path: "/api/v1/organizations/1e0",
    options: () => ({ json: { name: "Renamed" } }),
    status: 404,
    code: "organization_not_found",
  },
  {
    name: "submit two files in one sample form",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: activeKey, multipart: twoSamples() }),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "register without client_id",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { device_type: "esa" } }),
    status: 400,
    code: "invalid_request",
    field: "/client_id",
  },
  {
    name: "register with a client ID of 64 characters",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, client_id: valid.client_id.slice(0, 64) } }),
    status: 400,
    code: "invalid_request",
    field: "/client_id",
  },
  {
    name: "register with a client ID of 66 characters",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, client_id: valid.client_id + "0" } }),
    status: 400,
    code: "invalid_request",
    field: "/client_id",
  },
  {
    name: "register with lower-case characters in the client ID",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, client_id: valid.client_id.toLowerCase() } }),
    status: 400,
    code: "invalid_request",
    field: "/client_id",
  },
  {
    name: "register with spaces and slashes in the client ID",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, client_id: "01_ESA/../" + " ".repeat(55) } }),
    status: 400,
    code: "invalid_request",
    field: "/client_id",
  },
  {
    name: "register with a client ID that is a number",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, client_id: 12345 } }),
    status: 400,
    code: "invalid_request",
    field: "/client_id",
  },
  {
    name: "register with an unknown device type",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, device_type: "toaster" } }),
    status: 400,
    code: "invalid_request",
    field: "/device_type",
  },
  {
    name: "register with an overlong hostname",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, hostname: "h".repeat(300) } }),
    status: 400,
    code: "invalid_request",
    field: "/hostname",
  },
  {
    name: "register with a line break in the hostname",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, hostname: "gw\r\nX-Injected: 1" } }),
    status: 400,
    code: "invalid_request",
    field: "/hostname",
  },
  {
    name: "register with a NUL in the model",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: { ...valid, model: "\u0000C100V" } }),
    status: 400,
    code: "invalid_request",
    field: "/model",
  },
  {
    name: "register with malformed JSON",
    method: "POST",
    path: "/csa/api/register",
    options: () =>
      ({
        key: null,
        headers: { "content-type": "application/json" },
        json: undefined,
        form: undefined,
        multipart: undefined,
        raw: '{"client_id":',
      }) as CallOptions,
    status: 400,
    code: "malformed_json",
  },
  {
    name: "register with a JSON array",
    method: "POST",
    path: "/csa/api/register",
    options: () => ({ key: null, json: [valid] }),
    status: 400,
    code: "malformed_json",
  },
  {
    name: "register with text/plain",
    method: "POST",
    path: "/csa/api/register",
    options: () =>
      ({ key: null, headers: { "content-type": "text/plain" }, raw: "client_id=x" }) as CallOptions,
    status: 415,
    code: "unsupported_media_type",
  },
  {
    name: "status without a key",
    method: "GET",
    path: "/csa/api/status",
    options: () => ({ key: null }),
    status: 401,
    code: "unauthorized",
  },
  {
    name: "status with an unknown key",
    method: "GET",
    path: "/csa/api/status",
    options: () => ({ key: "pk_" + "1".repeat(64) }),
    status: 401,
    code: "unauthorized",
  },
  {
    name: "status with a Basic authorization header",
    method: "GET",
    path: "/csa/api/status",
    options: () => ({ key: null, headers: { authorization: "Basic YWRtaW46YWRtaW4=" } }),
    status: 401,
    code: "unauthorized",
  },
  {
    name: "status as an administrator, who is not a device",
    method: "GET",
    path: "/csa/api/status",
    options: () => ({}),
    status: 403,
    code: "role_forbidden",
  },
  {
    name: "two different keys in header and query",
    method: "GET",
    path: `/api/v3/session/whoami?api_key=pk_${"2".repeat(64)}`,
    options: () => ({}),
    status: 400,
    code: "conflicting_credentials",
  },
  {
    name: "submit as JSON instead of multipart",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: activeKey, json: { sample: "x" } }),
    status: 415,
    code: "multipart_required",
  },
  {
    name: "submit as a urlencoded form",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: activeKey, form: { sample: "x" } }),
    status: 415,
    code: "multipart_required",
  },
  {
    name: "submit without the sample field",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: activeKey, multipart: samplesForm(null, { filename: "a" }) }),
    status: 400,
    code: "sample_missing",
  },
  {
    name: "submit the sample as a text field",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: activeKey, multipart: samplesForm(null, { sample: "just text" }) }),
    status: 400,
    code: "sample_missing",
  },
  {
    name: "submit an empty file",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: activeKey, multipart: samplesForm("") }),
    status: 400,
    code: "sample_empty",
  },
  {
    name: "submit with private=maybe",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: activeKey, multipart: samplesForm("x", { private: "maybe" }) }),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "submit with an unknown key",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: "pk_" + "3".repeat(64), multipart: samplesForm("x") }),
    status: 401,
    code: "unauthorized",
  },
  {
    name: "submit with a deactivated device's key",
    method: "POST",
    path: "/api/v2/samples",
    options: () => ({ key: deactivatedKey, multipart: samplesForm("x") }),
    status: 403,
    code: "user_inactive",
  },
  {
    name: "read an unknown sample",
    method: "GET",
    path: `/api/v2/samples/${"0".repeat(32)}`,
    options: () => ({ key: activeKey }),
    status: 404,
    code: "sample_not_found",
  },
  {
    name: "search with a query that is no hash",
    method: "GET",
    path: "/api/v2/search/submissions?q=invoice",
    options: () => ({ key: activeKey }),
    status: 400,
    code: "invalid_request",
  },
  {
    name: "list users as a device",
    method: "GET",
    path: "/api/v1/users",
    options: () => ({ key: activeKey }),
    status: 403,
    code: "role_forbidden",
  },
  {
    name: "list users with an unknown status",
    method: "GET",
    path: "/api/v1/users?status=sleeping",
    options: () => ({}),
    status: 400,
    code: "invalid_request",
    field: "/status",
  },
  {
    name: "list users with a forged cursor",
    method: "GET",
    path: "/api/v1/users?cursor=abc",
    options: () => ({}),
    status: 400,
    code: "invalid_request",
    field: "/cursor",
  },
  {
    name: "activate an unknown user",
    method: "POST",
    path: "/api/v1/users/nobody/activate",
    options: () => ({}),
    status: 404,
    code: "user_not_found",
  },
  {
    name: "activate as a device",
    method: "POST",
    path: "/api/v1/users/admin/deactivate",
    options: () => ({ key: activeKey }),
    status: 403,
    code: "role_forbidden",
  },
  {
    name: "reset the key of an unknown user",
    method: "POST",
    path: "/api/v1/users/nobody/api-key",
    options: () => ({}),
    status: 404,
    code: "user_not_found",
  },
  {
    name: "regenerate with 900 days",
    method: "POST",
    path: "/api/v1/tls/clean/certificate/regenerate",
    options: () => ({ json: { validity_days: 900 } }),
    status: 400,
    code: "invalid_request",
    field: "/validity_days",
  },
  {
    name: "regenerate with a misspelt field",
    method: "POST",
    path: "/api/v1/tls/clean/certificate/regenerate",
    options: () => ({ json: { key_algoritm: "rsa-4096" } }),
    status: 400,
    code: "invalid_request",
    field: "/key_algoritm",
  },
  {
    name: "regenerate with an unknown algorithm",
    method: "POST",
    path: "/api/v1/tls/clean/certificate/regenerate",
    options: () => ({ json: { key_algorithm: "dsa-1024" } }),
    status: 400,
    code: "invalid_request",
    field: "/key_algorithm",
  },
  {
    name: "regenerate an unknown interface",
    method: "POST",
    path: "/api/v1/tls/dirty/certificate/regenerate",
    options: () => ({ json: {} }),
    status: 404,
    code: "interface_not_found",
  },
  {
    name: "set the hostname to an IP address",
    method: "PUT",
    path: "/api/v1/appliance/hostname",
    options: () => ({ json: { hostname: "10.0.0.1" } }),
    status: 422,
    code: "hostname_invalid",
  },
  {
    name: "set the hostname to a URL",
    method: "PUT",
    path: "/api/v1/appliance/hostname",
    options: () => ({ json: { hostname: "https://appliance.example.test/" } }),
    status: 422,
    code: "hostname_invalid",
  },
  {
    name: "set the hostname without a body",
    method: "PUT",
    path: "/api/v1/appliance/hostname",
    options: () => ({ json: {} }),
    status: 400,
    code: "invalid_request",
    field: "/hostname",
  },
  {
    name: "list the users of an organization that does not exist",
    method: "GET",
    path: "/api/v3/organizations/99999999/users",
    options: () => ({}),
    status: 404,
    code: "organization_not_found",
  },
  {
    name: "list the users of an organization whose id is no number",
    method: "GET",
    path: "/api/v3/organizations/abc/users",
    options: () => ({}),
    status: 404,
    code: "organization_not_found",
  },
  {
    name: "an unknown path",
    method: "GET",
    path: "/api/v1/nothing-here",
    options: () => ({}),
    status: 404,
    code: "not_found",
  },
];

describe("bad input is refused with a clear 4xx and changes nothing", () => {
  for (const c of cases) {
    test(c.name, async () => {
      const before = await snapshot(appliance.dataDir);
      const answer = await appliance.call(c.method, c.path, c.options());
      expect(answer.status).toBe(c.status);
      const compatible = c.path.startsWith("/api/v2/") || c.path.startsWith("/api/v3/");
      if (compatible) {
        expect(answer.headers["content-type"]).toBe("application/json");
        expect(answer.json.error.code).toBe(c.status);
        expect(answer.json.error.errors[0].code).toBe(c.code);
        expect(answer.json.error.message.length).toBeGreaterThan(20);
      } else {
        expect(answer.headers["content-type"]).toBe("application/problem+json");
        expect(answer.json).toMatchObject({
          type: `/api/docs/problems#${c.code}`,
          status: c.status,
          code: c.code,
        });
        expect(answer.json.detail.length).toBeGreaterThan(20);
        if (c.field) {
          expect(answer.json.errors.map((e: { path: string }) => e.path)).toContain(c.field);
        }
      }
      expect(await snapshot(appliance.dataDir)).toEqual(before);
    });
  }
});

test("JSON sent as a form (curl -d without a Content-Type) is refused with the fix named", async () => {
  const answer = await appliance.call("POST", "/csa/api/register", {
    key: null,
    headers: { "content-type": "application/x-www-form-urlencoded" },
    raw: JSON.stringify(valid),
  });
  expect(answer.status).toBe(415);
  expect(answer.json.detail).toBe(
    "The body is JSON but is labelled as a form: send it with Content-Type: application/json.",
  );
});

describe("a missing required field is named as required, never as unknown", () => {
  const missing: Array<[string, string, unknown, string]> = [
    ["POST", "/api/v1/users", { role: "user", organization_id: 1 }, "/login"],
    ["POST", "/api/v1/organizations", {}, "/name"],
    ["PUT", "/api/v1/appliance/hostname", {}, "/hostname"],
    ["PUT", `/api/v1/verdicts/${"a".repeat(64)}`, { reason: "ours" }, "/disposition"],
  ];
  for (const [method, path, json, field] of missing) {
    test(`${method} ${path} without ${field.slice(1)}`, async () => {
      const before = await snapshot(appliance.dataDir);
      const answer = await appliance.call(method, path, { json });
      expect(answer.status).toBe(400);
      expect(answer.json.errors).toContainEqual({ path: field, message: "is required" });
      expect(await snapshot(appliance.dataDir)).toEqual(before);
    });
  }
});
