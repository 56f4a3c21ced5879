import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { eq } from "drizzle-orm";
import { events, samples } from "../../db/schema.ts";
import caTrustStore from "../../plugins/ca-trust-store/index.ts";
import dispositionSyndication from "../../plugins/disposition-syndication/index.ts";
import { deliveries, services } from "../../plugins/disposition-syndication/schema.ts";
import { eicar } from "../../test/helpers/syndication.ts";
import { type Appliance, createAppliance } from "../appliance.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import { insertSample } from "../samples/store.ts";
import { setDisposition } from "./disposition.ts";
import { createAnalysisJob } from "./job.ts";
import { knownHashAnalyzer } from "./known-hashes.ts";

let dir: string;
let first: Appliance;

const owner = { userId: 1, login: "admin", role: "admin" as const, organizationId: 1 };

async function boot(): Promise<Appliance> {
  const config = loadConfig(
    { PORTICO_DATA_DIR: dir, PORTICO_HOSTNAME: "appliance.example.test" },
    { hostname: "appliance.example.test" },
  );
  return createAppliance({
    config,
    log: createLogger("error"),
    plugins: [caTrustStore, dispositionSyndication],
    workers: false,
  });
}

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "portico-analysis-"));
  first = await boot();
  const at = new Date().toISOString();
  await first.db.write((tx) =>
    tx.insert(services).values({
      name: "amp",
      url: "https://10.1.2.3/",
      username: "u",
      passwordSealed: "sealed",
      enabled: true,
      status: "ok",
      createdAt: at,
      updatedAt: at,
    }),
  );
});

afterAll(async () => {
  await first.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function newSample(content: Uint8Array) {
  const principal = { ...owner, active: true, device: false, keyId: 0 };
  return first.db.write((tx) =>
    insertSample(
      tx,
      principal,
      { filename: "x.bin", content, private: true, tags: [] },
      new Date().toISOString(),
    ),
  );
}

const changes = (db: Appliance) =>
  db.db.orm.select().from(events).where(eq(events.type, "disposition.changed")).all();

function jobOf(appliance: Appliance) {
  return createAnalysisJob({
    db: appliance.db,
    log: appliance.kernel.log,
    clock: appliance.kernel.clock,
    events: appliance.kernel.events,
    analyzers: () => [knownHashAnalyzer(appliance.db.orm)],
    timeoutMs: async () => 5_000,
  });
}

describe("dispositions", () => {
  test("D2: a disposition saved by a failing transaction: no event, no delivery", async () => {
    const sample = await newSample(new TextEncoder().encode("rolled back"));
    const before = (await changes(first)).length;
    const failing = first.db.write(async (tx) => {
      await setDisposition(first.kernel, tx, sample.id, {
        disposition: "malicious",
        threat_score: 90,
        reason: "test",
        actor: "admin",
      });
      throw new Error("the request failed after saving");
    });
    await expect(failing).rejects.toThrow("the request failed after saving");
    expect((await changes(first)).length).toBe(before);
    const row = await first.db.orm.select().from(samples).where(eq(samples.id, sample.id)).get();
    expect(row?.disposition).toBeNull();
    const rows = await first.db.orm.select().from(deliveries).all();
    expect(rows.filter((d) => d.payload.id === sample.id)).toEqual([]);
  });

  test("emits only on a real change, with a sequence that grows per sha256", async () => {
    const content = new TextEncoder().encode("same bytes twice");
    const a = await newSample(content);
    const b = await newSample(content);
    const set = (id: string, disposition: "malicious" | "clean") =>
      first.db.write((tx) =>
        setDisposition(first.kernel, tx, id, {
          disposition,
          threat_score: 50,
          reason: "t",
          actor: "admin",
        }),
      );
    expect((await set(a.id, "malicious"))?.changed).toBe(true);
    expect((await set(a.id, "malicious"))?.changed).toBe(false);
    expect((await set(b.id, "clean"))?.changed).toBe(true);
    expect((await set(a.id, "clean"))?.changed).toBe(true);
    const mine = (await changes(first)).filter((e) => e.payload.sha256 === a.sha256);
    expect(mine.map((e) => [e.payload.id, e.payload.sequence, e.payload.disposition])).toEqual([
      [a.id, 1, "malicious"],
      [b.id, 2, "clean"],
      [a.id, 3, "clean"],
    ]);
    const queued = await first.db.orm.select().from(deliveries).all();
    expect(queued.filter((d) => d.sha256 === a.sha256).map((d) => d.sequence)).toEqual([1, 2, 3]);
  });

  test("two analysis jobs racing over one database analyse each sample once", async () => {
    const created: { id: string }[] = [];
    for (let i = 0; i < 12; i++) created.push(await newSample(eicar().slice(0, 60 + (i % 3))));
    created.push(await newSample(eicar()));
    const before = (await changes(first)).length;
    // Two job instances (two lease holders) in one process: a second process on the same
    // file would block this one's event loop in SQLite's busy handler.
    const jobs = [jobOf(first), jobOf(first)];
    for (let round = 0; round < 5; round++) await Promise.all(jobs.map((run) => run()));

    const rows = await first.db.orm.select().from(samples).all();
    const states = rows.filter((r) => created.some((c) => c.id === r.id)).map((r) => r.state);
    expect(states.every((s) => s === "succ")).toBe(true);
    const after = await changes(first);
    expect(after.length - before).toBe(1);
    expect(after[after.length - 1].payload.disposition).toBe("malicious");
    expect(after[after.length - 1].payload.actor).toBe("analyzer:known-hashes");
  });
});
