import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { openDatabase } from "../db/client.ts";
import { kernelMigrations } from "../db/migrations/kernel.ts";
import { loadConfig } from "./config.ts";
import { ADMINISTRATORS_ORG, ensureAdministrator } from "./first-boot.ts";
import { createLogger } from "./log.ts";
import { runMigrations } from "./migrate.ts";
import { systemClock } from "./services/clock.ts";

async function bootedOnce() {
  const dataDir = mkdtempSync(join(tmpdir(), "portico-first-boot-"));
  const config = loadConfig({ PORTICO_DATA_DIR: dataDir }, { hostname: "a.example.test" });
  const db = await openDatabase(config.databaseUrl);
  await runMigrations(db.client, "kernel", kernelMigrations);
  const log = createLogger("error");
  await ensureAdministrator(db, config, systemClock, log);
  return { db, config, log };
}

test("a database whose last administrator was demoted gets admin back at boot", async () => {
  const { db, config, log } = await bootedOnce();
  await db.client.execute("UPDATE users SET role = 'user', active = 0 WHERE login = 'admin'");
  await ensureAdministrator(db, config, systemClock, log);
  const admins = await db.client.execute("SELECT login, role, active FROM users");
  expect(admins.rows.map((r) => [r.login, r.role, r.active])).toEqual([["admin", "admin", 1]]);
  const orgs = await db.client.execute("SELECT name FROM organizations");
  expect(orgs.rows.map((r) => r.name)).toEqual([ADMINISTRATORS_ORG]);
  db.close();
});

test("a second boot with an administrator changes nothing", async () => {
  const { db, config, log } = await bootedOnce();
  const before = await db.client.execute("SELECT * FROM users");
  await ensureAdministrator(db, config, systemClock, log);
  const after = await db.client.execute("SELECT * FROM users");
  expect(after.rows).toEqual(before.rows);
  db.close();
});
