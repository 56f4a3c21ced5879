import { expect, test } from "bun:test";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { sql } from "drizzle-orm";
import { openDatabase } from "./client.ts";

async function fileDatabase() {
  const dir = mkdtempSync(join(tmpdir(), "portico-db-"));
  const db = await openDatabase(`file:${join(dir, "t.db")}`);
  await db.client.execute("CREATE TABLE counter (n INTEGER NOT NULL)");
  await db.client.execute("INSERT INTO counter VALUES (0)");
  return db;
}

test("fifty concurrent write transactions on an embedded file all succeed, none lost", async () => {
  const db = await fileDatabase();
  const writes = Array.from({ length: 50 }, () =>
    db.write(async (tx) => {
      const [row] = await tx.all<{ n: number }>(sql`SELECT n FROM counter`);
      await Bun.sleep(1);
      await tx.run(sql`UPDATE counter SET n = ${row.n + 1}`);
    }),
  );
  await Promise.all(writes);
  const [row] = await db.orm.all<{ n: number }>(sql`SELECT n FROM counter`);
  expect(row.n).toBe(50);
  db.close();
});

test("a write that throws leaves the database as it was, and the next write still runs", async () => {
  const db = await fileDatabase();
  const failed = db.write(async (tx) => {
    await tx.run(sql`UPDATE counter SET n = 99`);
    throw new Error("refused half-way");
  });
  await expect(failed).rejects.toThrow("refused half-way");
  await db.write((tx) => tx.run(sql`UPDATE counter SET n = n + 1`));
  const [row] = await db.orm.all<{ n: number }>(sql`SELECT n FROM counter`);
  expect(row.n).toBe(1);
  db.close();
});

test("the embedded file uses write-ahead logging, so readers do not wait for writers", async () => {
  const db = await fileDatabase();
  const [mode] = await db.orm.all<{ journal_mode: string }>(sql`PRAGMA journal_mode`);
  expect(mode.journal_mode).toBe("wal");
  db.close();
});
