/**
 * The role × endpoint matrix: for every route the appliance serves, a
 * request without a key gets 401, a key of a role the route is not for gets
 * 403, and a key of a role it is for gets a 2xx. The table below must name
 * every route, so a new route cannot ship without its row.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeTestPki } from "../src/pki/testing/openssl-pki.ts";
import type { Role } from "../src/http/access.ts";
import { createTestAppliance } from "../src/testing/appliance.ts";
import type { TestAppliance, TestRequest } from "../src/testing/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";

let kit: TestAppliance;
const keys = {} as Record<Role, string>;
const fx = {} as Record<string, string>;

interface Call {
  path: string;
  init?: TestRequest;
}

async function created(method: string, path: string, json: unknown) {
  const answer = await kit.request(method, path, { json });
  if (answer.status >= 300) throw new Error(`${method} ${path}: ${answer.status} ${answer.text}`);
  return answer.json;
}

/** A fresh fixture for routes that delete or replace what they touch. */
const fresh = {
  organization: async () =>
    String(
      (await created("POST", "/api/v1/organizations", { name: `m-${crypto.randomUUID()}` })).id,
    ),
  token: async () => String((await created("POST", "/api/v1/registration-tokens", {})).id),
  service: async () =>
    String(
      (
        await created("POST", "/api/v1/disposition-services", {
          url: "https://10.20.30.40/disposition",
          username: "amp",
          password: "a-password-1",
          enabled: false,
        })
      ).id,
    ),
};

const ROUTES: Record<string, () => Promise<Call> | Call> = {
  "GET /healthz": () => ({ path: "/healthz" }),
  "GET /readyz": () => ({ path: "/readyz" }),
  "GET /metrics": () => ({ path: "/metrics" }),
  "POST /api/v2/samples": () => {
    const form = new FormData();
    form.set("sample", new File([crypto.randomUUID()], "m.bin"));
    return { path: "/api/v2/samples", init: { multipart: form } };
  },
  "GET /api/v2/samples/:id": () => ({ path: `/api/v2/samples/${fx.sample}` }),
  "GET /api/v2/samples/:id/state": () => ({ path: `/api/v2/samples/${fx.sample}/state` }),
  "GET /api/v2/search/submissions": () => ({ path: `/api/v2/search/submissions?q=${fx.sha256}` }),
  "GET /api/v1/openapi.json": () => ({ path: "/api/v1/openapi.json" }),
  "GET /api/docs": () => ({ path: "/api/docs" }),
  "GET /api/docs/problems": () => ({ path: "/api/docs/problems" }),
  "GET /api/v1/settings": () => ({ path: "/api/v1/settings" }),
  "PATCH /api/v1/settings": () => ({
    path: "/api/v1/settings",
    init: { json: { "samples.max_bytes": 104857600 } },
  }),
  "GET /api/v1/audit-events": () => ({ path: "/api/v1/audit-events" }),
  "GET /api/v1/plugins": () => ({ path: "/api/v1/plugins" }),
  "PUT /api/v1/samples/:id/disposition": () => ({
    path: `/api/v1/samples/${fx.sample}/disposition`,
    init: { json: { disposition: "malicious", threat_score: 90, reason: "matrix" } },
  }),
  "GET /api/v1/verdicts": () => ({ path: "/api/v1/verdicts" }),
  "GET /api/v1/verdicts/:sha256": () => ({ path: `/api/v1/verdicts/${fx.verdict}` }),
  "PUT /api/v1/verdicts/:sha256": () => ({
    path: `/api/v1/verdicts/${"b".repeat(64)}`,
    init: { json: { disposition: "clean", threat_score: 0 } },
  }),
  "DELETE /api/v1/verdicts/:sha256": async () => {
    const sha = crypto.randomUUID().replaceAll("-", "").padEnd(64, "c");
    await created("PUT", `/api/v1/verdicts/${sha}`, { disposition: "clean", threat_score: 0 });
    return { path: `/api/v1/verdicts/${sha}` };
  },
  "GET /api/v1/appliance": () => ({ path: "/api/v1/appliance" }),
  "GET /api/v1/appliance/hostname": () => ({ path: "/api/v1/appliance/hostname" }),
  "PUT /api/v1/appliance/hostname": () => ({
    path: "/api/v1/appliance/hostname",
    init: { json: { hostname: "appliance.example.test" } },
  }),
  "GET /api/v1/tls/:iface/certificate": () => ({ path: "/api/v1/tls/clean/certificate" }),
  "GET /api/v1/tls/:iface/certificate.pem": () => ({ path: "/api/v1/tls/clean/certificate.pem" }),
  "GET /api/v1/tls/:iface/certificate.der": () => ({ path: "/api/v1/tls/clean/certificate.der" }),
  "POST /api/v1/tls/:iface/certificate/regenerate": () => ({
    path: "/api/v1/tls/clean/certificate/regenerate",
    init: { json: {} },
  }),
  "PUT /api/v1/tls/:iface/certificate": () => {
    const pki = makeTestPki();
    return {
      path: "/api/v1/tls/clean/certificate",
      init: {
        json: {
          certificate: pki.leaf.pem,
          private_key: pki.leaf.keyPem,
          chain: pki.intermediate.pem,
        },
      },
    };
  },
  "GET /api/v1/ca-certificates": () => ({ path: "/api/v1/ca-certificates" }),
  "GET /api/v1/ca-certificates/:sha256": () => ({ path: `/api/v1/ca-certificates/${fx.ca}` }),
  "POST /api/v1/ca-certificates": () => ({
    path: "/api/v1/ca-certificates",
    init: { json: { pem: makeTestPki().intermediate.pem } },
  }),
  "DELETE /api/v1/ca-certificates/:sha256": async () => {
    const pki = makeTestPki();
    const cert = pki.issue({
      name: `matrix-ca-${crypto.randomUUID()}`,
      issuer: "self",
      basicConstraints: "critical,CA:TRUE",
      san: null,
      eku: null,
    });
    const added = await created("POST", "/api/v1/ca-certificates", { pem: cert.pem });
    return { path: `/api/v1/ca-certificates/${added.added[0].sha256}` };
  },
  "GET /api/v1/registration-tokens": () => ({ path: "/api/v1/registration-tokens" }),
  "POST /api/v1/registration-tokens": () => ({
    path: "/api/v1/registration-tokens",
    init: { json: {} },
  }),
  "DELETE /api/v1/registration-tokens/:id": async () => ({
    path: `/api/v1/registration-tokens/${await fresh.token()}`,
  }),
  "POST /csa/api/register": () => ({
    path: "/csa/api/register",
    init: { key: null, json: registration(newClientId()) },
  }),
  "GET /csa/api/status": () => ({ path: "/csa/api/status" }),
  "GET /api/v1/users": () => ({ path: "/api/v1/users" }),
  "POST /api/v1/users": () => ({
    path: "/api/v1/users",
    init: {
      json: { login: `m-${crypto.randomUUID()}`, role: "user", organization_id: Number(fx.org) },
    },
  }),
  "GET /api/v1/users/:login": () => ({ path: `/api/v1/users/${fx.member}` }),
  "PATCH /api/v1/users/:login": () => ({
    path: `/api/v1/users/${fx.member}`,
    init: { json: { name: "Member" } },
  }),
  "POST /api/v1/users/:login/activate": () => ({ path: `/api/v1/users/${fx.member}/activate` }),
  "POST /api/v1/users/:login/deactivate": () => ({ path: `/api/v1/users/${fx.spare}/deactivate` }),
  "POST /api/v1/users/:login/api-key": () => ({ path: `/api/v1/users/${fx.spare}/api-key` }),
  "PUT /api/v1/users/:login/password": () => ({
    path: `/api/v1/users/${fx.member}/password`,
    init: { json: { password: "a-long-enough-password" } },
  }),
  "GET /api/v1/organizations": () => ({ path: "/api/v1/organizations" }),
  "POST /api/v1/organizations": () => ({
    path: "/api/v1/organizations",
    init: { json: { name: `m-${crypto.randomUUID()}` } },
  }),
  "PATCH /api/v1/organizations/:id": async () => ({
    path: `/api/v1/organizations/${await fresh.organization()}`,
    init: { json: { name: `m-${crypto.randomUUID()}` } },
  }),
  "DELETE /api/v1/organizations/:id": async () => ({
    path: `/api/v1/organizations/${await fresh.organization()}`,
  }),
  "GET /api/v3/session/whoami": () => ({ path: "/api/v3/session/whoami" }),
  "GET /api/v3/users/:login": () => ({ path: "/api/v3/users/admin" }),
  "PUT /api/v3/users/:login": () => ({
    path: "/api/v3/users/admin",
    init: { json: { name: "Administrator" } },
  }),
  "GET /api/v3/users/:login/rate-limit": () => ({ path: "/api/v3/users/admin/rate-limit" }),
  "GET /api/v3/organizations/:id/users": () => ({ path: `/api/v3/organizations/${fx.org}/users` }),
  "GET /api/v1/disposition-services": () => ({ path: "/api/v1/disposition-services" }),
  "POST /api/v1/disposition-services": () => ({
    path: "/api/v1/disposition-services",
    init: {
      json: {
        url: "https://10.1.2.3/updates",
        username: "u",
        password: "p-123456",
        enabled: false,
      },
    },
  }),
  "GET /api/v1/disposition-services/:id": () => ({
    path: `/api/v1/disposition-services/${fx.service}`,
  }),
  "PATCH /api/v1/disposition-services/:id": () => ({
    path: `/api/v1/disposition-services/${fx.service}`,
    init: { json: { username: "amp-2" } },
  }),
  "DELETE /api/v1/disposition-services/:id": async () => ({
    path: `/api/v1/disposition-services/${await fresh.service()}`,
  }),
  "POST /api/v1/disposition-services/:id/check": () => ({
    path: `/api/v1/disposition-services/${fx.service}/check`,
  }),
  "GET /api/v1/disposition-services/:id/deliveries": () => ({
    path: `/api/v1/disposition-services/${fx.service}/deliveries`,
  }),
  "POST /api/v1/disposition-services/:id/replay": () => ({
    path: `/api/v1/disposition-services/${fx.service}/replay`,
    init: { json: { since: "2020-01-01T00:00:00Z" } },
  }),
  "GET /api/v1/deliveries/:id": () => ({ path: `/api/v1/deliveries/${fx.delivery}` }),
  "POST /api/v1/deliveries/:id/retry": () => ({ path: `/api/v1/deliveries/${fx.delivery}/retry` }),
};

/** The role whose key makes the 2xx call: the route's own kind of caller. */
function caller(roles: readonly Role[]): Role {
  for (const role of ["admin", "device", "org-admin", "user"] as const) {
    if (roles.includes(role)) return role;
  }
  throw new Error("a route for nobody");
}

beforeAll(async () => {
  kit = await createTestAppliance({ env: { PORTICO_METRICS_ALLOW: "127.0.0.0/8" } });
  keys.admin = kit.adminKey;
  fx.org = String((await created("POST", "/api/v1/organizations", { name: "Matrix" })).id);
  keys["org-admin"] = (
    await created("POST", "/api/v1/users", {
      login: "m-org-admin",
      role: "org-admin",
      organization_id: Number(fx.org),
    })
  ).api_key;
  keys.user = (
    await created("POST", "/api/v1/users", {
      login: "m-user",
      role: "user",
      organization_id: Number(fx.org),
    })
  ).api_key;
  fx.member = "m-member";
  await created("POST", "/api/v1/users", {
    login: fx.member,
    role: "user",
    organization_id: Number(fx.org),
  });
  fx.spare = "m-spare";
  await created("POST", "/api/v1/users", {
    login: fx.spare,
    role: "user",
    organization_id: Number(fx.org),
  });
  const id = newClientId();
  keys.device = (
    await kit.request("POST", "/csa/api/register", { key: null, json: registration(id) })
  ).json.api_key;
  await kit.request("POST", `/api/v1/users/${id}/activate`);
  const form = new FormData();
  form.set("sample", new File(["matrix sample"], "m.bin"));
  const sample = (
    await kit.request("POST", "/api/v2/samples", { key: keys.device, multipart: form })
  ).json.data;
  fx.sample = sample.id;
  fx.sha256 = sample.sha256;
  fx.verdict = "a".repeat(64);
  await created("PUT", `/api/v1/verdicts/${fx.verdict}`, {
    disposition: "malicious",
    threat_score: 100,
  });
  fx.ca = (
    await created("POST", "/api/v1/ca-certificates", { pem: makeTestPki().root.pem })
  ).added[0].sha256;
  fx.service = await fresh.service();
  await created("PATCH", `/api/v1/disposition-services/${fx.service}`, { enabled: true });
  await created("PUT", `/api/v1/samples/${fx.sample}/disposition`, {
    disposition: "clean",
    threat_score: 1,
  });
  const deliveries = await kit.request(
    "GET",
    `/api/v1/disposition-services/${fx.service}/deliveries`,
  );
  fx.delivery = String(deliveries.json.items[0].id);
});

afterAll(async () => {
  await kit.close();
});

const key = (route: { method: string; path: string }) => `${route.method} ${route.path}`;

test("the matrix names every API route the appliance serves", async () => {
  const served = kit.appliance.routes.filter((r) => !r.path.startsWith("/portal")).map(key);
  expect(served.filter((r) => !(r in ROUTES))).toEqual([]);
  expect(Object.keys(ROUTES).filter((r) => !served.includes(r))).toEqual([]);
});

describe("every route", () => {
  const routes = () => kit.appliance.routes.filter((r) => !r.path.startsWith("/portal"));

  test("without a key: 401 unless the route is open", async () => {
    for (const route of routes()) {
      if (route.access.open) continue;
      const call = await ROUTES[key(route)]();
      const answer = await kit.request(route.method, call.path, { ...call.init, key: null });
      expect([key(route), answer.status]).toEqual([key(route), 401]);
    }
  });

  test("with a key of a role it is not for: 403", async () => {
    for (const route of routes()) {
      if (route.access.open) continue;
      for (const role of ["admin", "org-admin", "user", "device"] as const) {
        if (route.access.roles.includes(role)) continue;
        const call = await ROUTES[key(route)]();
        const answer = await kit.request(route.method, call.path, {
          ...call.init,
          key: keys[role],
        });
        expect([
          key(route),
          role,
          answer.status,
          answer.json?.code ?? answer.json?.error?.errors?.[0]?.code,
        ]).toEqual([key(route), role, 403, "role_forbidden"]);
      }
    }
  });

  test("with a key of a role it is for: 2xx", async () => {
    for (const route of routes()) {
      const call = await ROUTES[key(route)]();
      const role = route.access.open ? "admin" : caller(route.access.roles);
      const answer = await kit.request(route.method, call.path, {
        ...call.init,
        key: call.init?.key === null ? null : keys[role],
      });
      expect([
        key(route),
        role,
        answer.status >= 200 && answer.status < 300,
        answer.status < 300 ? "" : answer.text,
      ]).toEqual([key(route), role, true, ""]);
    }
  });
});
