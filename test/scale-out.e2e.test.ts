/**
 * Scale-out: two appliance processes started together on one real sqld do
 * first-boot work once and keep the data consistent when the same gateway
 * talks to both at once.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import type { Client } from "@libsql/client";
import { kernelMigrations } from "../db/migrations/kernel.ts";
import { migrationsTable } from "../src/migrate.ts";
import { firstPartyPlugins } from "../src/runtime/plugins.ts";
import { startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import { startSqld } from "./helpers/tools.ts";
import type { Sqld } from "./helpers/tools.ts";

let sqld: Sqld;
let db: Client;
let first: RunningAppliance;
let second: RunningAppliance;

const adminKey = `pk_${"5c".repeat(32)}`;

beforeAll(async () => {
  sqld = await startSqld();
  db = createClient({ url: sqld.url, intMode: "number" });
  const env = {
    PORTICO_DATABASE_URL: sqld.url,
    PORTICO_SECRET_KEY: Buffer.from(crypto.getRandomValues(new Uint8Array(32))).toString("base64"),
    PORTICO_ADMIN_API_KEY: adminKey,
  };
  [first, second] = await Promise.all([startAppliance(env), startAppliance(env)]);
});

afterAll(async () => {
  await Promise.all([first?.stop(), second?.stop()]);
  first?.cleanup();
  second?.cleanup();
  db?.close();
  await sqld?.stop();
});

async function count(sql: string, args: (string | number)[] = []): Promise<number> {
  const result = await db.execute({ sql: `SELECT count(*) AS n FROM ${sql}`, args });
  return Number(result.rows[0].n);
}

function occurrences(text: string, needle: string): number {
  return text.split(needle).length - 1;
}

describe("two processes starting together on one sqld", () => {
  test("apply every migration exactly once, for the kernel and each plugin", async () => {
    const owners = [{ id: "kernel", migrations: kernelMigrations }, ...firstPartyPlugins].filter(
      (owner) => (owner.migrations ?? []).length > 0,
    );
    expect(owners.length).toBeGreaterThan(1);
    for (const owner of owners) {
      const rows = await db.execute(`SELECT id FROM "${migrationsTable(owner.id)}" ORDER BY id`);
      expect(rows.rows.map((r) => r.id)).toEqual((owner.migrations ?? []).map((m) => m.id));
    }
  });

  test("create the first administrator once", async () => {
    expect(await count("users WHERE role = 'admin'")).toBe(1);
    expect(await count("organizations WHERE name = 'Administrators'")).toBe(1);
    const logs = first.logs + second.logs;
    expect(occurrences(logs, "created the administrator")).toBe(1);
  });

  test("generate the clean certificate once and both serve it", async () => {
    expect(await count("tls_certificates WHERE interface = 'clean'")).toBe(1);
    expect(first.trusted[0]).toBe(second.trusted[0]);
    expect(occurrences(first.logs + second.logs, "generated a self-signed certificate")).toBe(1);
  });
});

describe("one gateway talking to both processes at once", () => {
  const id = newClientId();

  test("its registrations make one organization and one user", async () => {
    const calls = [first, second, first, second, first, second].map((appliance) =>
      appliance.call("POST", "/csa/api/register", { key: null, json: registration(id) }),
    );
    const statuses = (await Promise.all(calls)).map((r) => r.status).sort();
    expect(statuses).toEqual([200, 200, 200, 200, 200, 201]);
    expect(await count("users WHERE login = ?", [id])).toBe(1);
    expect(await count("organizations WHERE name = ?", [id])).toBe(1);
    const user = await db.execute({ sql: "SELECT id FROM users WHERE login = ?", args: [id] });
    const live = await count("api_keys WHERE user_id = ? AND revoked_at IS NULL", [
      Number(user.rows[0].id),
    ]);
    expect(live).toBe(1);
  });

  test("activating it through both makes one transition and one audit entry", async () => {
    const [a, b] = await Promise.all([
      first.call("POST", `/api/v1/users/${id}/activate`),
      second.call("POST", `/api/v1/users/${id}/activate`),
    ]);
    expect([a.status, b.status]).toEqual([200, 200]);
    expect([a.json.changed, b.json.changed].sort()).toEqual([false, true]);
    expect(a.json.active && b.json.active).toBe(true);
    expect(await count("audit_events WHERE action = 'user.activate' AND target = ?", [id])).toBe(1);
  });

  test("a sample submitted through one process is read through the other", async () => {
    const registered = await first.call("POST", "/csa/api/register", {
      key: null,
      json: registration(newClientId()),
    });
    const login = registered.json.login;
    await second.call("POST", `/api/v1/users/${login}/activate`);
    const form = new FormData();
    form.set("sample", new File(["scale-out sample"], "sample.bin"));
    const submitted = await first.call("POST", "/api/v2/samples", {
      key: registered.json.api_key,
      multipart: form,
    });
    expect(submitted.status).toBe(200);
    const read = await second.call("GET", `/api/v2/samples/${submitted.json.data.id}`, {
      key: registered.json.api_key,
    });
    // The analysis worker may have moved its state on since; the sample is the same.
    expect(read.json.data).toMatchObject(sameSample(submitted.json.data));
  });
});

/** The fields of a sample that no worker changes. */
function sameSample(data: Record<string, unknown>) {
  const { id, login, organization_id, filename, size, md5, sha1, sha256 } = data;
  return { id, login, organization_id, filename, size, md5, sha1, sha256 };
}
