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

test("writes waiting together share one commit, each still alone in what it sees", async () => {
  const db = await fileDatabase();
  let commits = 0;
  db.afterWrite(() => commits++);
  const seen: number[] = [];
  await Promise.all(
    Array.from({ length: 20 }, () =>
      db.write(async (tx) => {
        const [row] = await tx.all<{ n: number }>(sql`SELECT n FROM counter`);
        seen.push(row.n);
        await tx.run(sql`UPDATE counter SET n = ${row.n + 1}`);
      }),
    ),
  );
  // Each write saw every write before it, as if they had run one by one.
  expect(seen).toEqual(Array.from({ length: 20 }, (_, i) => i));
  expect(commits).toBeLessThan(20);
  db.close();
});

test("a write that fails among others rolls back only itself", async () => {
  const db = await fileDatabase();
  const results = await Promise.allSettled(
    [1, 2, 3, 4].map((i) =>
      db.write(async (tx) => {
        await tx.run(sql`UPDATE counter SET n = n + ${i}`);
        if (i === 2) throw new Error("write 2 refuses");
        if (i === 3) await tx.run(sql`INSERT INTO counter VALUES (NULL)`); // NOT NULL fails
        return i;
      }),
    ),
  );
  expect(results.map((r) => r.status)).toEqual(["fulfilled", "rejected", "rejected", "fulfilled"]);
  expect((results[1] as PromiseRejectedResult).reason.message).toBe("write 2 refuses");
  const rows = await db.orm.all<{ n: number }>(sql`SELECT n FROM counter`);
  expect(rows).toEqual([{ n: 1 + 4 }]);
  db.close();
});
