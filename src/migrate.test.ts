import { expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { MigrationError, runMigrations } from "./migrate.ts";

function database() {
  const dir = mkdtempSync(join(tmpdir(), "portico-migrate-"));
  return createClient({ url: `file:${join(dir, "m.db")}` });
}

test("each owner keeps its own record, so one owner's newer migration never hides another's", async () => {
  const db = database();
  await runMigrations(db, "alpha", [{ id: "0005_late", sql: "CREATE TABLE a (x)" }]);
  const applied = await runMigrations(db, "bravo", [
    { id: "0001_early", sql: "CREATE TABLE b (x)" },
  ]);
  expect(applied).toEqual(["0001_early"]);
  const tables = await db.execute(
    "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name",
  );
  expect(tables.rows.map((r) => r.name)).toEqual([
    "__migrations_alpha",
    "__migrations_bravo",
    "a",
    "b",
  ]);
});

test("a migration runs once, however often the runner is called", async () => {
  const db = database();
  const migrations = [{ id: "0001", sql: "CREATE TABLE t (x)" }];
  expect(await runMigrations(db, "kernel", migrations)).toEqual(["0001"]);
  expect(await runMigrations(db, "kernel", migrations)).toEqual([]);
});

test("a failing migration leaves nothing of itself behind and names the owner and id", async () => {
  const db = database();
  const failing = [
    { id: "0001", sql: "CREATE TABLE ok (x)" },
    {
      id: "0002",
      sql: "CREATE TABLE half (x);\n--> statement-breakpoint\nINSERT INTO nowhere VALUES (1)",
    },
  ];
  const error = await runMigrations(db, "gamma", failing).catch((e) => e);
  expect(error).toBeInstanceOf(MigrationError);
  expect(error.message).toStartWith("migration 0002 of gamma failed:");
  const tables = await db.execute(
    "SELECT name FROM sqlite_master WHERE type='table' ORDER BY name",
  );
  expect(tables.rows.map((r) => r.name)).toEqual(["__migrations_gamma", "ok"]);
  const record = await db.execute('SELECT id FROM "__migrations_gamma"');
  expect(record.rows.map((r) => r.id)).toEqual(["0001"]);
});

test("every statement of a migration runs, with or without breakpoint lines", async () => {
  const db = database();
  await runMigrations(db, "delta", [
    {
      id: "0001",
      sql: "CREATE TABLE notes (login TEXT); CREATE INDEX notes_login ON notes (login);",
    },
    {
      id: "0002",
      sql: "CREATE TABLE tags (x);\n--> statement-breakpoint\nCREATE INDEX tags_x ON tags (x);",
    },
  ]);
  const made = await db.execute(
    "SELECT name FROM sqlite_master WHERE name NOT LIKE '%migrations%' ORDER BY name",
  );
  expect(made.rows.map((r) => r.name)).toEqual(["notes", "notes_login", "tags", "tags_x"]);
});
