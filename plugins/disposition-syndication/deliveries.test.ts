import { afterAll, afterEach, beforeAll, describe, expect, test } from "bun:test";
import { type Receiver, type TestPki, makeTestPki } from "../../src/outbound/test-pki.ts";
import { type RunningAppliance, startAppliance } from "../../test/helpers/appliance.ts";
import {
  AMP_PASSWORD,
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
} from "../../test/helpers/syndication.ts";

let app: RunningAppliance;
let pki: TestPki;
const opened: { receiver: Receiver; serviceId: number }[] = [];

beforeAll(async () => {
  pki = makeTestPki();
  app = await startAppliance({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" });
  await quickDeliveries(app);
  await app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
});

afterEach(async () => {
  for (const { receiver, serviceId } of opened.splice(0)) {
    await app.call("DELETE", `/api/v1/disposition-services/${serviceId}`);
    await receiver.close();
  }
});

afterAll(async () => {
  await app.stop();
  app.cleanup();
  pki.remove();
});

async function serviceWith(answer?: Answer, extra: Record<string, unknown> = {}) {
  const receiver = await startAmpReceiver(pki, answer);
  const serviceId = await addService(app, receiver, extra);
  opened.push({ receiver, serviceId });
  return { receiver, serviceId };
}

let counter = 0;
async function newDisposition(disposition: "malicious" | "clean" = "malicious") {
  const sample = await submit(app, new TextEncoder().encode(`sample ${++counter}`), "s.bin");
  await setVerdict(app, sample.id, disposition);
  return sample;
}

describe("delivery outcomes", () => {
  test("D5: always 500 → 3 attempts with growing waits, failed, retryable by hand", async () => {
    const { receiver, serviceId } = await serviceWith((_req, res) => res.writeHead(500).end());
    await newDisposition();
    const [failed] = await waitFor("the delivery to fail", async () => {
      const rows = await deliveriesOf(app, serviceId, "failed");
      return rows.length === 1 ? rows : undefined;
    });
    expect(failed.attempts).toBe(3);
    expect(failed.last_status).toBe(500);
    expect(receiver.requests.length).toBe(3);
    const keys = new Set(receiver.requests.map((r) => r.headers["idempotency-key"]));
    expect([...keys]).toEqual([failed.event_id]);

    const detail = (await app.call("GET", `/api/v1/deliveries/${failed.id}`)).json;
    const log = [...detail.attempt_log].reverse();
    expect(log.map((a: any) => [a.attempt, a.outcome, a.http_status])).toEqual([
      [1, "retry", 500],
      [2, "retry", 500],
      [3, "failed", 500],
    ]);
    const gap = (i: number) => Date.parse(log[i + 1].started_at) - Date.parse(log[i].finished_at);
    // Backoff 100 ms then 200 ms, each drawn from its upper half.
    expect(gap(0)).toBeGreaterThanOrEqual(50);
    expect(gap(1)).toBeGreaterThanOrEqual(100);

    const retried = await app.call("POST", `/api/v1/deliveries/${failed.id}/retry`);
    expect(retried.status).toBe(200);
    expect(retried.json.status).toBe("pending");
    await waitFor("three more attempts", () => receiver.requests.length === 6);
  });

  test("honours Retry-After from a 429 before trying again", async () => {
    let calls = 0;
    const { receiver, serviceId } = await serviceWith((_req, res) => {
      if (++calls === 1) res.writeHead(429, { "retry-after": "1" }).end();
      else res.writeHead(200).end();
    }, {});
    await app.call("PATCH", "/api/v1/settings", { json: { "deliveries.backoff_max_ms": 5_000 } });
    try {
      await newDisposition();
      await waitFor("the second attempt", () => receiver.requests.length === 2, 10_000);
      const [delivery] = await deliveriesOf(app, serviceId, "delivered");
      const log = (await app.call("GET", `/api/v1/deliveries/${delivery.id}`)).json.attempt_log;
      const wait = Date.parse(log[0].started_at) - Date.parse(log[1].finished_at);
      expect(wait).toBeGreaterThanOrEqual(950);
    } finally {
      await app.call("PATCH", "/api/v1/settings", { json: { "deliveries.backoff_max_ms": 400 } });
    }
  });

  test("a 4xx other than 401, 403 and 429 fails the delivery at once", async () => {
    const { receiver, serviceId } = await serviceWith((_req, res) => res.writeHead(422).end());
    await newDisposition();
    const [failed] = await waitFor("the failure", async () => {
      const rows = await deliveriesOf(app, serviceId, "failed");
      return rows.length === 1 ? rows : undefined;
    });
    expect(failed.attempts).toBe(1);
    expect(receiver.requests.length).toBe(1);
  });

  test("D6: one 401 marks credentials_rejected; a new password resumes", async () => {
    const { receiver, serviceId } = await serviceWith(undefined, { password: "wrong" });
    for (let i = 0; i < 4; i++) await newDisposition();
    const state = await waitFor("credentials_rejected", async () => {
      const s = (await app.call("GET", `/api/v1/disposition-services/${serviceId}`)).json;
      return s.status === "credentials_rejected" ? s : undefined;
    });
    expect(state.last_error).toContain("HTTP 401");
    await Bun.sleep(600);
    expect(receiver.requests.length).toBe(1);
    expect(state.deliveries.pending).toBe(4);

    await app.call("PATCH", `/api/v1/disposition-services/${serviceId}`, {
      json: { password: AMP_PASSWORD },
    });
    await waitFor("all four delivered", async () =>
      (await deliveriesOf(app, serviceId, "delivered")).length === 4 ? true : undefined,
    );
    expect(receiver.requests.length).toBe(5);
  });

  test("attempts refused for the service's credentials do not use up the retry budget", async () => {
    // Two refusals (the password was wrong twice), then a passing fault, then success.
    const answers = [401, 401, 500];
    const { receiver, serviceId } = await serviceWith((_req, res) =>
      res.writeHead(answers.shift() ?? 204).end(),
    );
    await newDisposition();
    for (const seen of [1, 2]) {
      await waitFor(`refusal ${seen}`, async () => {
        const s = (await app.call("GET", `/api/v1/disposition-services/${serviceId}`)).json;
        return s.status === "credentials_rejected" && receiver.requests.length === seen;
      });
      await app.call("PATCH", `/api/v1/disposition-services/${serviceId}`, {
        json: { password: AMP_PASSWORD },
      });
    }
    const [delivered] = await waitFor("the delivery after one retry", async () => {
      const rows = await deliveriesOf(app, serviceId, "delivered");
      return rows.length === 1 ? rows : undefined;
    });
    // Four attempts in the log, of which the two refused did not count against max_attempts 3.
    expect(delivered).toMatchObject({ attempts: 4, blocked_attempts: 2 });
    expect(receiver.requests.length).toBe(4);
  });

  test("D7: deleting a retrying service stops its requests; others carry on", async () => {
    const doomed = await serviceWith((_req, res) => res.writeHead(503).end());
    const healthy = await serviceWith();
    await app.call("PATCH", "/api/v1/settings", { json: { "deliveries.max_attempts": 50 } });
    try {
      await newDisposition();
      await waitFor("a first retry", () => doomed.receiver.requests.length >= 1);
      const deleted = await app.call("DELETE", `/api/v1/disposition-services/${doomed.serviceId}`);
      expect(deleted.status).toBe(204);
      await Bun.sleep(100);
      const after = doomed.receiver.requests.length;
      await newDisposition();
      await waitFor(
        "the healthy service's two updates",
        () => healthy.receiver.requests.length === 2,
      );
      await Bun.sleep(800);
      expect(doomed.receiver.requests.length).toBe(after);
      const gone = await app.call("GET", `/api/v1/disposition-services/${doomed.serviceId}`);
      expect(gone.status).toBe(404);
    } finally {
      await app.call("PATCH", "/api/v1/settings", { json: { "deliveries.max_attempts": 3 } });
    }
  });

  test("D8: a disabled service holds five updates and sends all five when enabled", async () => {
    const { receiver, serviceId } = await serviceWith(undefined, { enabled: false });
    for (let i = 0; i < 5; i++) await newDisposition();
    const held = await deliveriesOf(app, serviceId, "held");
    expect(held.length).toBe(5);
    await Bun.sleep(500);
    expect(receiver.requests.length).toBe(0);

    await app.call("PATCH", `/api/v1/disposition-services/${serviceId}`, {
      json: { enabled: true },
    });
    await waitFor("five updates", () => receiver.requests.length === 5);
    expect(new Set(updatesReceived(receiver).map((u) => u.event_id))).toEqual(
      new Set(held.map((d) => d.event_id)),
    );
  });

  test("updates sent together are each recorded with their own status and time", async () => {
    let answered = 0;
    const { receiver, serviceId } = await serviceWith(
      (_req, res) => res.writeHead(answered++ % 2 === 0 ? 200 : 202).end(),
      { enabled: false },
    );
    for (let i = 0; i < 12; i++) await newDisposition();
    await app.call("PATCH", `/api/v1/disposition-services/${serviceId}`, {
      json: { enabled: true },
    });
    await waitFor("twelve delivered", async () =>
      (await deliveriesOf(app, serviceId, "delivered")).length === 12 ? true : undefined,
    );

    const statusOf = new Map(
      receiver.requests.map((r, i) => [JSON.parse(r.body).event_id, i % 2 === 0 ? 200 : 202]),
    );
    const rows = await queryDatabase(
      app,
      "SELECT d.event_id, d.attempts, d.last_status, d.finished_at, a.http_status, " +
        "a.finished_at AS attempt_finished FROM disposition_deliveries d " +
        "JOIN disposition_attempts a ON a.delivery_id = d.id WHERE d.service_id = ?",
      [serviceId],
    );
    expect(receiver.requests.length).toBe(12);
    expect(rows.length).toBe(12);
    for (const row of rows) {
      expect(row.attempts).toBe(1);
      expect(row.last_status).toBe(statusOf.get(row.event_id as string)!);
      expect(row.http_status).toBe(row.last_status as number);
      expect(row.finished_at).toBe(row.attempt_finished as string);
    }
  });

  test("a new service gets no backfill until replayed, then gets the earlier updates", async () => {
    const since = new Date().toISOString();
    await newDisposition();
    await newDisposition("clean");
    const { receiver, serviceId } = await serviceWith();
    expect(await deliveriesOf(app, serviceId)).toEqual([]);

    const replayed = await app.call("POST", `/api/v1/disposition-services/${serviceId}/replay`, {
      json: { since },
    });
    expect(replayed.status).toBe(200);
    expect(replayed.json.queued).toBe(2);
    await waitFor("two replayed updates", () => receiver.requests.length === 2);
    const bad = await app.call("POST", `/api/v1/disposition-services/${serviceId}/replay`, {
      json: { since: "yesterday" },
    });
    expect(bad.status).toBe(400);
  });

  test("sends one sha256's updates in sequence order, even across a retry", async () => {
    let first = true;
    const { receiver } = await serviceWith((_req, res) => {
      if (first) {
        first = false;
        res.writeHead(503).end();
      } else res.writeHead(200).end();
    });
    const sample = await submit(app, new TextEncoder().encode("flip-flop"), "f.bin");
    await setVerdict(app, sample.id, "malicious");
    await setVerdict(app, sample.id, "clean");
    await setVerdict(app, sample.id, "malicious");
    await waitFor("three delivered updates", () => receiver.requests.length === 4);
    const order = updatesReceived(receiver).map((u) => [u.sequence, u.disposition]);
    expect(order).toEqual([
      [1, "malicious"],
      [1, "malicious"],
      [2, "clean"],
      [3, "malicious"],
    ]);
  });

  test("D10: a failed delivery's records and the logs never hold the password", async () => {
    const { serviceId } = await serviceWith((req, res) =>
      res.writeHead(500).end(`echo ${req.headers.authorization}`),
    );
    await newDisposition();
    await waitFor("the failure", async () =>
      (await deliveriesOf(app, serviceId, "failed")).length === 1 ? true : undefined,
    );
    const encoded = Buffer.from(`amp-user:${AMP_PASSWORD}`).toString("base64");
    const stored = await queryDatabase(
      app,
      "SELECT d.*, a.error AS attempt_error FROM disposition_deliveries d " +
        "JOIN disposition_attempts a ON a.delivery_id = d.id WHERE d.service_id = ?",
      [serviceId],
    );
    const services = await queryDatabase(app, "SELECT * FROM disposition_services");
    const everything = JSON.stringify([stored, services]) + app.logs;
    expect(stored.length).toBe(3);
    expect(everything).not.toContain(AMP_PASSWORD);
    expect(everything).not.toContain(encoded);
  });
});

describe("what the administrator sees of a refused or slow service", () => {
  test("a 401 is attempt 1 in the counters and the log; status=blocked lists it", async () => {
    const { receiver, serviceId } = await serviceWith(undefined, { password: "wrong" });
    await newDisposition();
    await waitFor("credentials_rejected", async () => {
      const s = (await app.call("GET", `/api/v1/disposition-services/${serviceId}`)).json;
      return s.status === "credentials_rejected" ? s : undefined;
    });
    const [pending] = await deliveriesOf(app, serviceId, "pending");
    expect(pending.attempts).toBe(1);
    expect(receiver.requests.length).toBe(1);
    const refused = (await app.call("GET", `/api/v1/deliveries/${pending.id}`)).json;
    expect(refused.attempt_log.map((a: any) => [a.attempt, a.outcome, a.http_status])).toEqual([
      [1, "blocked", 401],
    ]);
    expect((await deliveriesOf(app, serviceId, "blocked")).map((d) => d.id)).toEqual([pending.id]);
    expect(await deliveriesOf(app, serviceId, "failed")).toEqual([]);

    await app.call("PATCH", `/api/v1/disposition-services/${serviceId}`, {
      json: { password: AMP_PASSWORD },
    });
    const [delivered] = await waitFor("the delivery", async () => {
      const rows = await deliveriesOf(app, serviceId, "delivered");
      return rows.length === 1 ? rows : undefined;
    });
    expect(delivered.attempts).toBe(2);
    expect(receiver.requests.length).toBe(2);
    const log = (await app.call("GET", `/api/v1/deliveries/${delivered.id}`)).json.attempt_log;
    expect(log.map((a: any) => [a.attempt, a.outcome, a.http_status])).toEqual([
      [2, "delivered", 200],
      [1, "blocked", 401],
    ]);
    expect(await deliveriesOf(app, serviceId, "blocked")).toEqual([]);
  });

  test("an initial backoff above the maximum is refused, alone or in one change with it", async () => {
    const together = await app.call("PATCH", "/api/v1/settings", {
      json: { "deliveries.backoff_initial_ms": 10_000, "deliveries.backoff_max_ms": 10 },
    });
    expect(together.status).toBe(400);
    expect(together.json.code).toBe("invalid_setting");
    expect(together.json.errors.map((e: { path: string }) => e.path).sort()).toEqual([
      "/deliveries.backoff_initial_ms",
      "/deliveries.backoff_max_ms",
    ]);
    const alone = await app.call("PATCH", "/api/v1/settings", {
      json: { "deliveries.backoff_initial_ms": 1_000 },
    });
    expect(alone.status).toBe(400);
    expect(alone.json.errors[0].message).toBe("must not be above deliveries.backoff_max_ms (400)");
    const both = await app.call("PATCH", "/api/v1/settings", {
      json: { "deliveries.backoff_initial_ms": 1_000, "deliveries.backoff_max_ms": 2_000 },
    });
    expect(both.status).toBe(200);
    await quickDeliveries(app);
  });

  test("a redirect's query never reaches the stored errors or the logs", async () => {
    const secret = "Redirect-T0ken";
    const location = `https://other.example.test/next?token=${secret}`;
    const { serviceId } = await serviceWith((_req, res) => res.writeHead(302, { location }).end());
    await newDisposition();
    await waitFor("the failure", async () =>
      (await deliveriesOf(app, serviceId, "failed")).length === 1 ? true : undefined,
    );
    const stored = await queryDatabase(
      app,
      "SELECT a.error AS attempt_error, d.last_error FROM disposition_attempts a " +
        "JOIN disposition_deliveries d ON d.id = a.delivery_id WHERE a.service_id = ?",
      [serviceId],
    );
    expect(stored.length).toBe(3);
    for (const row of stored) {
      expect(row.attempt_error).toBe("HTTP 302 (redirect to https://other.example.test/next)");
    }
    expect(JSON.stringify(stored) + app.logs).not.toContain(secret);
  });

  test("checking a service that answers after 20 s answers within 9 s, naming http", async () => {
    const timers: Array<ReturnType<typeof setTimeout>> = [];
    const { receiver, serviceId } = await serviceWith((_req, res) => {
      timers.push(setTimeout(() => res.end(), 20_000));
    });
    try {
      const started = Date.now();
      const res = await app.call("POST", `/api/v1/disposition-services/${serviceId}/check`);
      expect(Date.now() - started).toBeLessThan(9_000);
      expect(res.status).toBe(200);
      expect(res.json.ok).toBe(false);
      expect(res.json.steps.map((s: any) => [s.step, s.ok])).toEqual([
        ["dns", true],
        ["tcp", true],
        ["tls", true],
        ["http", false],
      ]);
      expect(res.json.steps[3].detail).toContain("sent no HTTP answer within");
      expect(receiver.requests.length).toBe(1);
    } finally {
      for (const timer of timers) clearTimeout(timer);
    }
  });

  test("the check of a service that redirects fails, naming the URL to use", async () => {
    const { receiver, serviceId } = await serviceWith((_req, res) =>
      res.writeHead(302, { location: "/v2/disposition-updates" }).end(),
    );
    const res = await app.call("POST", `/api/v1/disposition-services/${serviceId}/check`);
    expect(res.json.ok).toBe(false);
    expect(res.json.steps.at(-1)).toEqual({
      step: "http",
      ok: false,
      detail:
        `HTTP 302: the service redirects to https://127.0.0.1:${receiver.port}` +
        "/v2/disposition-updates; deliveries do not follow redirects, so every delivery " +
        "would fail: put that URL in the service",
    });
  });
});
