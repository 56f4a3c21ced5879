import { afterAll, beforeAll, expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { join } from "node:path";
import { createTestAppliance } from "../testing/appliance.ts";
import type { TestAppliance } from "../testing/appliance.ts";

let kit: TestAppliance;

beforeAll(async () => {
  kit = await createTestAppliance();
});

afterAll(async () => {
  await kit.close();
});

async function userWithKey(login: string): Promise<string> {
  const created = await kit.request("POST", "/api/v1/users", {
    json: { login, role: "user", organization_id: 1 },
  });
  return created.json.api_key;
}

test("a key revoked in this process is refused by the very next request", async () => {
  const key = await userWithKey("cache-local");
  expect((await kit.request("GET", "/api/v3/session/whoami", { key })).status).toBe(200);
  await kit.request("POST", "/api/v1/users/cache-local/api-key");
  expect((await kit.request("GET", "/api/v3/session/whoami", { key })).status).toBe(401);
});

test("a user deactivated in this process is refused by the very next request", async () => {
  const key = await userWithKey("cache-deactivated");
  expect((await kit.request("GET", "/api/v3/users/cache-deactivated", { key })).status).toBe(200);
  await kit.request("POST", "/api/v1/users/cache-deactivated/deactivate");
  const refused = await kit.request("GET", "/api/v3/users/cache-deactivated", { key });
  expect(refused.status).toBe(403);
});

test("a key revoked by another process is refused within a second", async () => {
  const key = await userWithKey("cache-remote");
  expect((await kit.request("GET", "/api/v3/session/whoami", { key })).status).toBe(200);
  const other = createClient({ url: `file:${join(kit.dataDir, "portico.db")}` });
  await other.execute(
    "UPDATE api_keys SET revoked_at = '2026-01-01T00:00:00Z' WHERE user_id = " +
      "(SELECT id FROM users WHERE login = 'cache-remote')",
  );
  other.close();
  await Bun.sleep(1_100);
  expect((await kit.request("GET", "/api/v3/session/whoami", { key })).status).toBe(401);
});
