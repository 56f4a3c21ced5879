/**
 * Administration over HTTP, through the real core app on a real database
 * file: users, organizations, scoping, pagination, registration tokens,
 * rate limits with an injected clock, settings and the audit log.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createTestAppliance, ManualClock } from "../src/testing/appliance.ts";
import type { TestAppliance } from "../src/testing/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";

let kit: TestAppliance;
const clock = new ManualClock();

beforeAll(async () => {
  kit = await createTestAppliance({ clock });
});

afterAll(async () => {
  await kit.close();
});

async function organization(name: string): Promise<number> {
  const created = await kit.request("POST", "/api/v1/organizations", { json: { name } });
  expect(created.status).toBe(201);
  return created.json.id;
}

async function user(login: string, role: string, organizationId: number) {
  const created = await kit.request("POST", "/api/v1/users", {
    json: { login, role, organization_id: organizationId, name: login },
  });
  expect(created.status).toBe(201);
  return created.json.api_key as string;
}

async function activeDevice() {
  const id = newClientId();
  const registered = await kit.request("POST", "/csa/api/register", {
    key: null,
    json: registration(id),
  });
  await kit.request("POST", `/api/v1/users/${id}/activate`);
  return { id, key: registered.json.api_key as string, org: registered.json.organization_id };
}

function sampleForm(content: string) {
  const form = new FormData();
  form.set("sample", new File([content], "s.bin"));
  return form;
}

describe("users and organizations", () => {
  test("an administrator cannot deactivate or demote itself; another administrator can", async () => {
    const otherKey = await user("second-admin", "admin", 1);
    const selfDeactivate = await kit.request("POST", "/api/v1/users/second-admin/deactivate", {
      key: otherKey,
    });
    expect(selfDeactivate.status).toBe(409);
    expect(selfDeactivate.json).toMatchObject({ code: "own_account" });
    expect(selfDeactivate.json.detail).toContain("Another administrator must do it");
    const selfDemote = await kit.request("PATCH", "/api/v1/users/second-admin", {
      key: otherKey,
      json: { role: "user" },
    });
    expect(selfDemote.status).toBe(409);
    const still = await kit.request("GET", "/api/v1/users/second-admin");
    expect(still.json).toMatchObject({ active: true, role: "admin" });

    // Its own name is its own to change; and the first administrator may deactivate it.
    const renamed = await kit.request("PATCH", "/api/v1/users/second-admin", {
      key: otherKey,
      json: { name: "Second", role: "admin" },
    });
    expect(renamed.status).toBe(200);
    const byOther = await kit.request("POST", "/api/v1/users/second-admin/deactivate");
    expect(byOther.status).toBe(200);
    expect(byOther.json.active).toBe(false);
  });

  test("an administrator creates a person with a key shown once, and it can call the API", async () => {
    const org = await organization("Analysts");
    const created = await kit.request("POST", "/api/v1/users", {
      json: {
        login: "ana@example.test",
        role: "user",
        organization_id: org,
        email: "ana@example.test",
      },
    });
    expect(created.status).toBe(201);
    expect(created.json).toMatchObject({
      login: "ana@example.test",
      role: "user",
      organization_id: org,
      active: true,
      device: false,
    });
    expect(created.json.key_prefix).toBe(created.json.api_key.slice(0, 11));
    const whoami = await kit.request("GET", "/api/v3/session/whoami", {
      key: created.json.api_key,
    });
    expect(whoami.json.data).toMatchObject({ login: "ana@example.test", role: "user" });
    const details = await kit.request("GET", "/api/v1/users/ana@example.test");
    expect(details.json.api_key).toBeUndefined();
  });

  test("a duplicate login, an unknown field and a short password are refused, nothing saved", async () => {
    const org = await organization("Refusals");
    await user("taken-login", "user", org);
    const duplicate = await kit.request("POST", "/api/v1/users", {
      json: { login: "taken-login", role: "user", organization_id: org },
    });
    expect(duplicate.status).toBe(409);
    expect(duplicate.json.code).toBe("login_in_use");
    const lookalike = await kit.request("POST", "/api/v1/users", {
      json: { login: "TAKEN-login", role: "user", organization_id: org },
    });
    expect(lookalike.status).toBe(409);
    expect(lookalike.json.code).toBe("login_in_use");
    const unknown = await kit.request("POST", "/api/v1/users", {
      json: { login: "new-one", role: "user", organization_id: org, superuser: true },
    });
    expect(unknown.status).toBe(400);
    expect(unknown.json.errors.map((e: { path: string }) => e.path)).toContain("/superuser");
    const weak = await kit.request("POST", "/api/v1/users", {
      json: { login: "new-one", role: "user", organization_id: org, password: "short" },
    });
    expect(weak.status).toBe(400);
    expect(weak.json.errors[0].path).toBe("/password");
    expect((await kit.request("GET", "/api/v1/users/new-one")).status).toBe(404);
  });

  test("an organization is renamed, and never deleted while it holds users", async () => {
    const org = await organization("Old name");
    const renamed = await kit.request("PATCH", `/api/v1/organizations/${org}`, {
      json: { name: "New name" },
    });
    expect(renamed.json).toMatchObject({ id: org, name: "New name", users: 0 });
    await user("member-1", "user", org);
    const refused = await kit.request("DELETE", `/api/v1/organizations/${org}`);
    expect(refused.status).toBe(409);
    expect(refused.json.code).toBe("organization_not_empty");
    const empty = await organization("Empty");
    expect((await kit.request("DELETE", `/api/v1/organizations/${empty}`)).status).toBe(204);
    const clash = await kit.request("POST", "/api/v1/organizations", {
      json: { name: "New name" },
    });
    expect(clash.json.code).toBe("organization_name_in_use");
  });

  test("a device is moved into a shared organization and keeps working", async () => {
    const shared = await organization("Mail gateways");
    const device = await activeDevice();
    const moved = await kit.request("PATCH", `/api/v1/users/${device.id}`, {
      json: { organization_id: shared },
    });
    expect(moved.json.organization_id).toBe(shared);
    const status = await kit.request("GET", "/csa/api/status", { key: device.key });
    expect(status.json).toMatchObject({ active: true, organization_id: shared });
    const wrongRole = await kit.request("PATCH", `/api/v1/users/${device.id}`, {
      json: { role: "user" },
    });
    expect(wrongRole.status).toBe(400);
  });
});

describe("organization scoping", () => {
  test("an org-admin sees and manages only its organization, and never an administrator", async () => {
    const mine = await organization("Org A");
    const theirs = await organization("Org B");
    const orgAdmin = await user("oa-a", "org-admin", mine);
    await user("member-a", "user", mine);
    await user("member-b", "user", theirs);

    const listed = await kit.request("GET", "/api/v1/users", { key: orgAdmin });
    const logins = listed.json.items.map((u: { login: string }) => u.login);
    expect(logins.sort()).toEqual(["member-a", "oa-a"]);
    expect((await kit.request("GET", "/api/v1/users/member-b", { key: orgAdmin })).status).toBe(
      404,
    );
    expect(
      (await kit.request("POST", "/api/v1/users/member-b/deactivate", { key: orgAdmin })).status,
    ).toBe(404);
    const own = await kit.request("POST", "/api/v1/users/member-a/deactivate", { key: orgAdmin });
    expect(own.json).toMatchObject({ login: "member-a", active: false, changed: true });
    const admin = await kit.request("POST", "/api/v1/users/admin/deactivate", { key: orgAdmin });
    expect(admin.status).toBe(404);
    const makeAdmin = await kit.request("POST", "/api/v1/users", {
      key: orgAdmin,
      json: { login: "sneaky", role: "admin" },
    });
    expect(makeAdmin.status).toBe(403);
    const created = await kit.request("POST", "/api/v1/users", {
      key: orgAdmin,
      json: { login: "member-a2", role: "user" },
    });
    expect(created.json.organization_id).toBe(mine);
  });

  test("a device sees only its organization's samples", async () => {
    const one = await activeDevice();
    const two = await activeDevice();
    const submitted = await kit.request("POST", "/api/v2/samples", {
      key: one.key,
      multipart: sampleForm("scoped sample " + one.id),
    });
    const id = submitted.json.data.id;
    expect((await kit.request("GET", `/api/v2/samples/${id}`, { key: one.key })).status).toBe(200);
    const hidden = await kit.request("GET", `/api/v2/samples/${id}`, { key: two.key });
    expect(hidden.status).toBe(404);
    const search = await kit.request(
      "GET",
      `/api/v2/search/submissions?q=${submitted.json.data.sha256}`,
      { key: two.key },
    );
    expect(search.json.data.items).toEqual([]);
    expect((await kit.request("GET", `/api/v2/samples/${id}`)).status).toBe(200);
  });
});

describe("pagination", () => {
  test("users walked 10 at a time while others are added are each seen exactly once", async () => {
    const org = await organization("Paging");
    for (let i = 0; i < 25; i++) await user(`page-${String(i).padStart(2, "0")}`, "user", org);
    const seen: string[] = [];
    let cursor: string | null = null;
    let round = 0;
    do {
      const query: string = cursor ? `&cursor=${cursor}` : "";
      const page = await kit.request("GET", `/api/v1/users?q=page-&limit=10${query}`);
      expect(page.status).toBe(200);
      seen.push(...page.json.items.map((u: { login: string }) => u.login));
      cursor = page.json.next_cursor;
      await user(`page-late-${round++}`, "user", org);
    } while (cursor);
    const unique = new Set(seen);
    expect(unique.size).toBe(seen.length);
    for (let i = 0; i < 25; i++)
      expect(unique.has(`page-${String(i).padStart(2, "0")}`)).toBe(true);
  });
});

describe("submission rate limits", () => {
  test("the submission past the limit gets 429 with Retry-After, and the window rolls", async () => {
    const device = await activeDevice();
    const set = await kit.request("PATCH", "/api/v1/settings", {
      json: { "rate_limits.user": [{ samples: 2, minutes: 60 }] },
    });
    expect(set.status).toBe(200);
    const submit = (n: number) =>
      kit.request("POST", "/api/v2/samples", { key: device.key, multipart: sampleForm(`rl ${n}`) });
    expect((await submit(1)).status).toBe(200);
    clock.advance(10 * 60_000);
    expect((await submit(2)).status).toBe(200);

    const refused = await submit(3);
    expect(refused.status).toBe(429);
    expect(refused.headers.get("retry-after")).toBe(String(50 * 60));
    expect(refused.json.error.message).toContain("try again in 3000 seconds");
    expect(refused.json.error.errors[0].code).toBe("rate_limited");

    const limits = await kit.request("GET", `/api/v3/users/${device.id}/rate-limit`, {
      key: device.key,
    });
    expect(limits.json.data.user).toEqual({
      "submission-rate-limit": [{ samples: 2, minutes: 60 }],
      "submissions-available": 0,
      "submission-wait-seconds": 3000,
    });

    clock.advance(50 * 60_000 + 1000);
    expect((await submit(4)).status).toBe(200);
    await kit.request("PATCH", "/api/v1/settings", { json: { "rate_limits.user": [] } });
  });

  test("organization limits count every user of the organization", async () => {
    const org = await organization("Limited org");
    const a = await user("limited-a", "user", org);
    const b = await user("limited-b", "user", org);
    await kit.request("PATCH", "/api/v1/settings", {
      json: { "rate_limits.organization": [{ samples: 1, minutes: 1440 }] },
    });
    const first = await kit.request("POST", "/api/v2/samples", {
      key: a,
      multipart: sampleForm("org 1"),
    });
    expect(first.status).toBe(200);
    const second = await kit.request("POST", "/api/v2/samples", {
      key: b,
      multipart: sampleForm("org 2"),
    });
    expect(second.status).toBe(429);
    expect(second.json.error.message).toContain("organization submission limit");
    await kit.request("PATCH", "/api/v1/settings", { json: { "rate_limits.organization": [] } });
  });
});

describe("registration policy", () => {
  test("with the token policy a device needs a valid token to get a key, unless it holds its own", async () => {
    const org = await organization("Tokened");
    await kit.request("PATCH", "/api/v1/settings", { json: { "registration.policy": "token" } });
    const token = await kit.request("POST", "/api/v1/registration-tokens", {
      json: { max_uses: 1, organization_id: org, expires_in_hours: 1 },
    });
    expect(token.status).toBe(201);
    expect(token.json.token).toMatch(/^rt_[0-9a-f]{48}$/);

    const without = await kit.request("POST", "/csa/api/register", {
      key: null,
      json: registration(newClientId()),
    });
    expect(without.status).toBe(401);
    expect(without.json.code).toBe("registration_token_required");

    const id = newClientId();
    const withToken = await kit.request("POST", "/csa/api/register", {
      key: null,
      json: { ...registration(id), registration_token: token.json.token },
    });
    expect(withToken.status).toBe(201);
    expect(withToken.json.organization_id).toBe(org);

    const usedUp = await kit.request("POST", "/csa/api/register", {
      key: null,
      json: { ...registration(newClientId()), registration_token: token.json.token },
    });
    expect(usedUp.status).toBe(401);
    expect(usedUp.json.code).toBe("registration_token_invalid");

    const listed = await kit.request("GET", "/api/v1/registration-tokens");
    const entry = listed.json.items.find((t: { id: number }) => t.id === token.json.id);
    expect(entry).toMatchObject({ uses: 1, state: "used_up" });
    expect(JSON.stringify(listed.json)).not.toContain(token.json.token);

    const takeover = await kit.request("POST", "/csa/api/register", {
      key: null,
      json: registration(id),
    });
    expect(takeover.status).toBe(401);
    expect(takeover.json.code).toBe("registration_token_required");
    const ownKey = await kit.request("POST", "/csa/api/register", {
      key: withToken.json.api_key,
      json: registration(id),
    });
    expect(ownKey.status).toBe(200);
    expect(ownKey.json.api_key).toMatch(/^pk_/);

    const expiring = await kit.request("POST", "/api/v1/registration-tokens", {
      json: { expires_in_hours: 1 },
    });
    clock.advance(2 * 3_600_000);
    const expired = await kit.request("POST", "/csa/api/register", {
      key: null,
      json: { ...registration(newClientId()), registration_token: expiring.json.token },
    });
    expect(expired.json.code).toBe("registration_token_invalid");
    await kit.request("PATCH", "/api/v1/settings", { json: { "registration.policy": "open" } });
  });

  test("registration requests are limited per source address", async () => {
    await kit.request("PATCH", "/api/v1/settings", {
      json: { "registration.rate_limit_per_minute": 3 },
    });
    clock.advance(61_000);
    const answers = [];
    for (let i = 0; i < 4; i++) {
      answers.push(
        await kit.request("POST", "/csa/api/register", {
          key: null,
          json: registration(newClientId()),
        }),
      );
    }
    expect(answers.map((a) => a.status)).toEqual([201, 201, 201, 429]);
    expect(Number(answers[3].headers.get("retry-after"))).toBeGreaterThan(0);
    clock.advance(61_000);
    const later = await kit.request("POST", "/csa/api/register", {
      key: null,
      json: registration(newClientId()),
    });
    expect(later.status).toBe(201);
    await kit.request("PATCH", "/api/v1/settings", {
      json: { "registration.rate_limit_per_minute": 60 },
    });
  });
});

describe("settings and audit", () => {
  test("a settings change with one bad value changes nothing", async () => {
    const before = await kit.request("GET", "/api/v1/settings");
    const refused = await kit.request("PATCH", "/api/v1/settings", {
      json: { "registration.policy": "token", "samples.max_bytes": -5, "no.such": 1 },
    });
    expect(refused.status).toBe(400);
    expect(refused.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "/no.such",
      "/samples.max_bytes",
    ]);
    expect((await kit.request("GET", "/api/v1/settings")).json).toEqual(before.json);
  });

  test("a refused change is in the audit log with who, what, where and why", async () => {
    await kit.request("PATCH", "/api/v1/settings", { json: { "samples.max_bytes": -5 } });
    const [settings] = (await kit.request("GET", "/api/v1/audit-events?limit=1")).json.items;
    expect(settings).toMatchObject({
      actor: "admin",
      action: "request.refused",
      target: "/api/v1/settings",
      source: "127.0.0.1",
      outcome: "refused",
      detail: { method: "PATCH", route: "/api/v1/settings", status: 400, code: "invalid_setting" },
    });

    await kit.request("PUT", "/api/v1/tls/clean/certificate", {
      json: { certificate: "not a certificate", private_key: "nor a key" },
    });
    const [upload] = (await kit.request("GET", "/api/v1/audit-events?limit=1")).json.items;
    expect(upload).toMatchObject({
      action: "request.refused",
      target: "/api/v1/tls/clean/certificate",
      outcome: "refused",
      detail: { method: "PUT", status: 422 },
    });
    expect(JSON.stringify(upload)).not.toContain("nor a key");
  });

  test("reads and refusals of callers without a key are not audited as changes", async () => {
    const before = (await kit.request("GET", "/api/v1/audit-events?limit=1")).json.items[0];
    await kit.request("GET", "/api/v1/settings?limit=x");
    await kit.request("PATCH", "/api/v1/settings", { key: null, json: {} });
    const after = (await kit.request("GET", "/api/v1/audit-events?limit=1")).json.items[0];
    expect(after.id).toBe(before.id);
  });

  test("the audit log lists admin actions newest first, by cursor", async () => {
    const org = await organization("Audited");
    const page = await kit.request("GET", "/api/v1/audit-events?limit=5");
    expect(page.json.items.length).toBe(5);
    expect(page.json.items[0]).toMatchObject({
      actor: "admin",
      action: "organization.create",
      target: String(org),
      source: "127.0.0.1",
      outcome: "success",
    });
    const next = await kit.request(
      "GET",
      `/api/v1/audit-events?limit=5&cursor=${page.json.next_cursor}`,
    );
    expect(next.json.items[0].id).toBeLessThan(page.json.items[4].id);
  });
});

test("users are found by any part of their login or name, underscores and % included", async () => {
  const { id } = await activeDevice();
  const created = await kit.request("POST", "/api/v1/users", {
    json: { login: "under_score", role: "user", organization_id: 1, name: "Half 50% off" },
  });
  expect(created.status).toBe(201);
  for (const [q, expected] of [
    [id.slice(0, 20), id],
    ["r_s", "under_score"],
    ["50% o", "under_score"],
  ] as const) {
    const found = await kit.request("GET", `/api/v1/users?q=${encodeURIComponent(q)}`);
    expect(found.json.items.map((u: { login: string }) => u.login)).toContain(expected);
  }
  // The wildcards are literal: "r%s" and "50_" match nothing here.
  for (const q of ["r%s", "50_"]) {
    const none = await kit.request("GET", `/api/v1/users?q=${encodeURIComponent(q)}`);
    expect(none.json.items).toEqual([]);
  }
});

test("a user is shown with its organization's name", async () => {
  const { id, org } = await activeDevice();
  const shown = await kit.request("GET", `/api/v1/users/${id}`);
  expect(shown.json).toMatchObject({ organization_id: org, organization_name: id });
  const listed = await kit.request("GET", `/api/v1/users?q=${id}`);
  expect(listed.json.items[0].organization_name).toBe(id);
});
