/**
 * The registration rules of API.md and cases D11 and D12, against the real
 * server process and its database file.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { query } from "./helpers/database.ts";
import { newClientId, registration } from "./helpers/devices.ts";

let appliance: RunningAppliance;

beforeAll(async () => {
  appliance = await startAppliance();
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

const register = (id: string, key: string | null = null, extra: Record<string, string> = {}) =>
  appliance.call("POST", "/csa/api/register", { key, json: registration(id, extra) });

async function accountsOf(id: string) {
  const users = await query(appliance.dataDir, "SELECT * FROM users WHERE login = ?", [id]);
  const orgs = await query(appliance.dataDir, "SELECT * FROM organizations WHERE name LIKE ?", [
    `${id}%`,
  ]);
  const liveKeys = await query(
    appliance.dataDir,
    "SELECT k.* FROM api_keys k JOIN users u ON u.id = k.user_id WHERE u.login = ? AND k.revoked_at IS NULL",
    [id],
  );
  return { users, orgs, liveKeys };
}

describe("registration of an inactive device", () => {
  test("registering twice in a row gives a new key, revokes the old one and keeps one account", async () => {
    const id = newClientId();
    const first = await register(id);
    const second = await register(id);
    expect(first.status).toBe(201);
    expect(second.status).toBe(200);
    expect(second.json).toMatchObject({
      login: id,
      organization_id: first.json.organization_id,
      active: false,
    });
    expect(second.json.api_key).not.toBe(first.json.api_key);

    const old = await appliance.call("GET", "/csa/api/status", { key: first.json.api_key });
    expect(old.status).toBe(401);
    const current = await appliance.call("GET", "/csa/api/status", { key: second.json.api_key });
    expect(current.json.active).toBe(false);

    const { users, orgs, liveKeys } = await accountsOf(id);
    expect(users.length).toBe(1);
    expect(orgs.length).toBe(1);
    expect(liveKeys.length).toBe(1);
  });

  test("ten concurrent registrations of one new device make one organization, one user and one live key", async () => {
    const id = newClientId();
    const answers = await Promise.all(Array.from({ length: 10 }, () => register(id)));
    const statuses = answers.map((a) => a.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 200, 200, 200, 200, 201]);
    const orgIds = new Set(answers.map((a) => a.json.organization_id));
    expect(orgIds.size).toBe(1);

    const { users, orgs, liveKeys } = await accountsOf(id);
    expect(users.length).toBe(1);
    expect(orgs.length).toBe(1);
    expect(liveKeys.length).toBe(1);
    const working = await Promise.all(
      answers.map((a) => appliance.call("GET", "/csa/api/status", { key: a.json.api_key })),
    );
    expect(working.filter((w) => w.status === 200).length).toBe(1);
  });

  test("every attempt is recorded with source, attributes and outcome on the user's details", async () => {
    const id = newClientId();
    await register(id);
    await register(id, null, { software_version: "15.5.0" });
    const details = await appliance.call("GET", `/api/v1/users/${id}`);
    expect(details.status).toBe(200);
    expect(details.json.key_prefix).toMatch(/^pk_[0-9a-f]{8}$/);
    expect(details.json.registration.device).toMatchObject({
      device_type: "esa",
      model: "C100V",
      software_version: "15.5.0",
      hostname: "mail-gw-01.example.test",
    });
    const history = details.json.registration.history;
    expect(history.map((h: { outcome: string }) => h.outcome)).toEqual(["rekeyed", "created"]);
    expect(history[0]).toMatchObject({ source: "127.0.0.1", status: 200 });
    expect(history[0].attributes.software_version).toBe("15.5.0");
  });
});

describe("registration of an active device", () => {
  async function activeDevice() {
    const id = newClientId();
    const { json } = await register(id);
    await appliance.call("POST", `/api/v1/users/${id}/activate`);
    return { id, key: json.api_key as string, organizationId: json.organization_id as number };
  }

  test("with its valid key: 200 without a new key, attributes updated, still active", async () => {
    const device = await activeDevice();
    const again = await register(device.id, device.key, { software_version: "16.0.0" });
    expect(again.status).toBe(200);
    expect(again.json).toEqual({
      login: device.id,
      organization_id: device.organizationId,
      active: true,
    });
    const details = await appliance.call("GET", `/api/v1/users/${device.id}`);
    expect(details.json.registration.device.software_version).toBe("16.0.0");
    expect(details.json.active).toBe(true);
  });

  test("without a key or with a wrong key: 409 device_already_registered, nothing changed", async () => {
    const device = await activeDevice();
    const before = await accountsOf(device.id);
    const noKey = await register(device.id);
    expect(noKey.status).toBe(409);
    expect(noKey.headers["content-type"]).toBe("application/problem+json");
    expect(noKey.json).toMatchObject({
      type: "/api/docs/problems#device_already_registered",
      title: "Device already registered",
      status: 409,
      code: "device_already_registered",
      errors: [],
    });
    const other = await register(newClientId());
    const wrongKey = await register(device.id, other.json.api_key);
    expect(wrongKey.status).toBe(409);
    const garbage = await register(device.id, "pk_" + "0".repeat(64));
    expect(garbage.status).toBe(409);
    expect(await accountsOf(device.id)).toEqual(before);
  });

  test("after an admin resets its key it registers again once, gets a new key and stays active", async () => {
    const device = await activeDevice();
    const reset = await appliance.call("POST", `/api/v1/users/${device.id}/api-key`);
    expect(reset.status).toBe(200);
    expect(Date.parse(reset.json.reregister_until)).toBeGreaterThan(Date.now() + 23 * 3600_000);
    const revoked = await appliance.call("GET", "/csa/api/status", { key: device.key });
    expect(revoked.status).toBe(401);

    const again = await register(device.id);
    expect(again.status).toBe(200);
    expect(again.json).toMatchObject({ login: device.id, active: true });
    expect(again.json.api_key).toMatch(/^pk_[0-9a-f]{64}$/);
    const status = await appliance.call("GET", "/csa/api/status", { key: again.json.api_key });
    expect(status.json.active).toBe(true);

    const windowClosed = await register(device.id);
    expect(windowClosed.status).toBe(409);
  });
});

describe("activation (D12)", () => {
  test("ten concurrent activations make one transition and one audit entry", async () => {
    const id = newClientId();
    await register(id);
    const answers = await Promise.all(
      Array.from({ length: 10 }, () => appliance.call("POST", `/api/v1/users/${id}/activate`)),
    );
    expect(answers.every((a) => a.status === 200 && a.json.active === true)).toBe(true);
    expect(answers.filter((a) => a.json.changed).length).toBe(1);
    const audit = await query(
      appliance.dataDir,
      "SELECT * FROM audit_events WHERE action = 'user.activate' AND target = ?",
      [id],
    );
    expect(audit.length).toBe(1);
    const again = await appliance.call("POST", `/api/v1/users/${id}/activate`);
    expect(again.json.changed).toBe(false);
  });

  test("activate and deactivate at once end in the state of the last one applied, each audited once", async () => {
    const id = newClientId();
    await register(id);
    const calls = Array.from({ length: 10 }, (_, i) =>
      appliance.call("POST", `/api/v1/users/${id}/${i % 2 === 0 ? "activate" : "deactivate"}`),
    );
    const answers = await Promise.all(calls);
    const transitions = answers.filter((a) => a.json.changed).length;
    const audit = await query(
      appliance.dataDir,
      "SELECT action FROM audit_events WHERE target = ? AND action IN ('user.activate', 'user.deactivate') ORDER BY id",
      [id],
    );
    expect(audit.length).toBe(transitions);
    const [user] = await query(appliance.dataDir, "SELECT active FROM users WHERE login = ?", [id]);
    const last = audit.at(-1)?.action;
    expect(user.active).toBe(last === "user.activate" ? 1 : 0);
    for (let i = 1; i < audit.length; i++) expect(audit[i].action).not.toBe(audit[i - 1].action);
  });
});
