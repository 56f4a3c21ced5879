import { afterEach, describe, expect, test } from "bun:test";
import { type Receiver, type TestPki, makeTestPki } from "../src/outbound/test-pki.ts";
import { RunningAppliance, startAppliance } from "./helpers/appliance.ts";
import {
  type Answer,
  addService,
  deliveriesOf,
  queryDatabase,
  quickDeliveries,
  setVerdict,
  startAmpReceiver,
  submit,
  updatesReceived,
  waitFor,
} from "./helpers/syndication.ts";

const LAB = { PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" };
const cleanups: (() => Promise<void> | void)[] = [];

afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

async function lab(answer?: Answer, settings: Record<string, number> = {}) {
  const pki: TestPki = makeTestPki();
  const receiver: Receiver = await startAmpReceiver(pki, answer);
  const app = await startAppliance(LAB);
  cleanups.push(
    () => pki.remove(),
    () => receiver.close(),
    () => app.cleanup(),
  );
  cleanups.push(() => app.stop().then(() => undefined));
  await quickDeliveries(app, settings);
  await app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
  const serviceId = await addService(app, receiver);
  return { pki, receiver, app, serviceId };
}

async function dispositions(app: RunningAppliance, n: number, tag: string) {
  const samples = [];
  for (let i = 0; i < n; i++) {
    const sample = await submit(app, new TextEncoder().encode(`${tag} ${i}`), `${tag}-${i}.bin`);
    await setVerdict(app, sample.id, "malicious");
    samples.push(sample);
  }
  return samples;
}

describe("durable deliveries", () => {
  test("D1: after SIGKILL every committed disposition has its delivery; all arrive", async () => {
    const { app, receiver, serviceId } = await lab(
      (_req, res) => {
        setTimeout(() => res.writeHead(200).end(), 30);
      },
      { "deliveries.lease_ms": 2_000 },
    );
    const work = (async () => {
      for (let i = 0; i < 40; i++) {
        const sample = await submit(app, new TextEncoder().encode(`d1 ${i}`), "d1.bin");
        await setVerdict(app, sample.id, "malicious");
      }
    })().catch(() => "killed");
    await waitFor("some deliveries", () => receiver.requests.length >= 5);
    await app.stop("SIGKILL");
    await work;

    const orphans = await queryDatabase(
      app,
      "SELECT e.event_id FROM events e WHERE e.type = 'disposition.changed' AND NOT EXISTS " +
        "(SELECT 1 FROM disposition_deliveries d " +
        "WHERE d.event_id = e.event_id AND d.service_id = ?)",
      [serviceId],
    );
    expect(orphans).toEqual([]);
    const committed = await queryDatabase(
      app,
      "SELECT event_id FROM events WHERE type = 'disposition.changed'",
    );
    expect(committed.length).toBeGreaterThanOrEqual(5);

    await app.start();
    const expected = new Set(committed.map((e) => e.event_id));
    await waitFor("every committed update", () => {
      const got = new Set(updatesReceived(receiver).map((u) => u.event_id));
      return [...expected].every((id) => got.has(id));
    });
    // Attempts in flight at the kill are sent again once their lease runs out.
    await waitFor("no pending delivery", async () =>
      (await deliveriesOf(app, serviceId, "pending")).length === 0 ? true : undefined,
    );
    const delivered = await deliveriesOf(app, serviceId, "delivered");
    expect(new Set(delivered.map((d) => d.event_id))).toEqual(expected);
  }, 30_000);

  test("D3: after restart scheduled attempts keep their time; in-flight ones retry", async () => {
    const hang = new Set<string>();
    let answers = 0;
    const { app, receiver, serviceId } = await lab(
      (req, res) => {
        const body = JSON.parse(req.body);
        answers++;
        if (answers === 1) res.writeHead(503, { "retry-after": "4" }).end();
        else if (answers === 2) hang.add(body.event_id);
        else res.writeHead(200).end();
      },
      { "deliveries.lease_ms": 2_000, "deliveries.backoff_max_ms": 10_000 },
    );
    const [scheduled] = await dispositions(app, 1, "d3-scheduled");
    await waitFor("the 503", () => receiver.requests.length === 1);
    const [inflight] = await dispositions(app, 1, "d3-inflight");
    await waitFor("the hanging request", () => receiver.requests.length === 2);
    const [before] = await queryDatabase(
      app,
      "SELECT next_at FROM disposition_deliveries WHERE json_extract(payload, '$.id') = ?",
      [scheduled.id],
    );
    await app.stop("SIGKILL");
    await app.start();

    await waitFor("the in-flight update again", () => receiver.requests.length >= 3, 10_000);
    const dueAt = Date.parse(String(before.next_at));
    await waitFor("the scheduled update", () => receiver.requests.length >= 4, 10_000);
    const times = receiver.requests.map((r) => JSON.parse(r.body).sample.id);
    expect(times.filter((id) => id === scheduled.id).length).toBe(2);
    expect(times.filter((id) => id === inflight.id).length).toBe(2);
    expect(Date.now()).toBeGreaterThanOrEqual(dueAt);
    const keys = receiver.requests.map((r) => r.headers["idempotency-key"]);
    expect(new Set(keys).size).toBe(2);
    await waitFor("both delivered", async () =>
      (await deliveriesOf(app, serviceId, "delivered")).length === 2 ? true : undefined,
    );
  }, 30_000);

  test("claims a killed process never sent use up no attempt", async () => {
    let hung = false;
    const { app, serviceId } = await lab(
      (_req, res) => {
        if (!hung) {
          hung = true; // the first request never gets an answer
          return;
        }
        res.writeHead(200).end();
      },
      { "deliveries.lease_ms": 2_000, "deliveries.concurrency": 1 },
    );
    await dispositions(app, 4, "claimed-unsent");
    // One lane sends the first while the rest of its claim waits in the queue.
    await waitFor("the hanging request", () => hung);
    await app.stop("SIGKILL");
    await app.start();
    const delivered = await waitFor(
      "all four delivered",
      async () => {
        const rows = await deliveriesOf(app, serviceId, "delivered");
        return rows.length === 4 ? rows : undefined;
      },
      20_000,
    );
    // Each was logged once; the request in flight at the kill was never logged.
    expect(delivered.map((d) => d.attempts)).toEqual([1, 1, 1, 1]);
  }, 30_000);

  test("D4: two processes, one database: one request per attempt, one event id", async () => {
    const slowOnce = new Set<string>();
    const { app, receiver, serviceId } = await lab(
      (req, res) => {
        const id = JSON.parse(req.body).event_id;
        if (slowOnce.has(id)) return void res.writeHead(200).end();
        slowOnce.add(id);
        setTimeout(() => res.writeHead(200).end(), 2_500);
      },
      { "deliveries.lease_ms": 2_000 },
    );
    const second = new RunningAppliance(app.dataDir, LAB);
    cleanups.push(() => second.stop().then(() => undefined));
    await second.start();

    await dispositions(app, 6, "d4");
    await waitFor(
      "six delivered",
      async () =>
        (await deliveriesOf(app, serviceId, "delivered")).length === 6 ? true : undefined,
      20_000,
    );
    const attempts = await waitFor("every attempt recorded", async () => {
      const rows = await queryDatabase(
        app,
        "SELECT d.event_id, a.attempt FROM disposition_attempts a " +
          "JOIN disposition_deliveries d ON d.id = a.delivery_id",
      );
      return rows.length >= receiver.requests.length ? rows : undefined;
    });
    expect(receiver.requests.length).toBe(attempts.length);
    for (const event of new Set(attempts.map((a) => String(a.event_id)))) {
      const sent = receiver.requests.filter((r) => r.headers["idempotency-key"] === event);
      const tried = attempts.filter((a) => a.event_id === event).map((a) => a.attempt);
      expect(sent.length).toBe(tried.length);
      expect(new Set(tried).size).toBe(tried.length);
    }
    expect(attempts.length).toBe(12);
  }, 30_000);
});
