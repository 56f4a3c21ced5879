import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { type Receiver, type TestPki, makeTestPki } from "../src/outbound/test-pki.ts";
import { type RunningAppliance, startAppliance } from "./helpers/appliance.ts";
import {
  AMP_PASSWORD,
  addService,
  deliveriesOf,
  eicar,
  quickDeliveries,
  startAmpReceiver,
  submit,
  updatesReceived,
  waitFor,
} from "./helpers/syndication.ts";

const CLIENT_ID = "01_VLNESA100200_42294D401307BCB4DBEC-E1431E45EFA5_C100V_000000000";

let app: RunningAppliance;
let pki: TestPki;
let receiver: Receiver;
let serviceId: number;
let rootSha256: string;

beforeAll(async () => {
  pki = makeTestPki();
  receiver = await startAmpReceiver(pki);
  app = await startAppliance({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" });
  await quickDeliveries(app);
  serviceId = await addService(app, receiver);
});

afterAll(async () => {
  await app.stop();
  app.cleanup();
  await receiver.close();
  pki.remove();
});

const service = async () =>
  (await app.call("GET", `/api/v1/disposition-services/${serviceId}`)).json;

describe("Connect AMP Private Cloud, end to end", () => {
  test("without the CA the delivery waits, the service is untrusted, the reason kept", async () => {
    const sample = await submit(app, new TextEncoder().encode("first sample"), "first.bin");
    await app.call("PUT", `/api/v1/samples/${sample.id}/disposition`, {
      json: { disposition: "clean", reason: "seen before" },
    });
    const state = await waitFor("the service to be untrusted", async () => {
      const s = await service();
      return s.status === "untrusted" ? s : undefined;
    });
    expect(state.last_error).toContain("CA store holds no usable certificate");

    const other = await app.call("POST", "/api/v1/ca-certificates", {
      json: { pem: pki.otherRoot },
    });
    expect(other.status).toBe(201);
    const [waiting] = await deliveriesOf(app, serviceId);
    const retried = await app.call("POST", `/api/v1/deliveries/${waiting.id}/retry`);
    expect(retried.status).toBe(200);
    const detail = await waitFor("a TLS refusal in the attempt log", async () => {
      const d = (await app.call("GET", `/api/v1/deliveries/${waiting.id}`)).json;
      return d.attempt_log.find((a: any) => /not trusted/.test(a.error ?? "")) ? d : undefined;
    });
    expect(detail.status).toBe("pending");
    expect(detail.attempt_log[0].outcome).toBe("blocked");
    expect((await service()).status).toBe("untrusted");
    expect(receiver.requests.length).toBe(0);
  });

  test("once the CA is added the update is delivered with the documented body", async () => {
    const added = await app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
    expect(added.status).toBe(201);
    rootSha256 = added.json.added[0].sha256;

    await waitFor("the first update", () => receiver.requests.length === 1);
    const [request] = receiver.requests;
    const body = JSON.parse(request.body);
    expect(request.method).toBe("POST");
    expect(request.path).toBe("/disposition-updates");
    expect(request.headers["content-type"]).toBe("application/json");
    expect(request.headers["idempotency-key"]).toBe(body.event_id);
    expect(Object.keys(body).sort()).toEqual([
      "analyzed_at",
      "appliance",
      "disposition",
      "event_id",
      "sample",
      "sequence",
      "threat_score",
    ]);
    expect(body.disposition).toBe("clean");
    expect(body.sequence).toBe(1);
    expect(body.appliance).toEqual({ hostname: "appliance.example.test" });
    expect(body.analyzed_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
    const state = await waitFor("the service to be ok", async () => {
      const s = await service();
      return s.status === "ok" && s.anchor_sha256 ? s : undefined;
    });
    expect(state.anchor_sha256).toBe(rootSha256);
  });

  test("an activated gateway submits EICAR and AMP receives a malicious update", async () => {
    const registered = await app.call("POST", "/csa/api/register", {
      key: null,
      json: { client_id: CLIENT_ID, device_type: "esa", model: "C100V" },
    });
    expect(registered.status).toBe(201);
    const deviceKey = registered.json.api_key;
    const early = new FormData();
    early.append("sample", new File([eicar() as Uint8Array<ArrayBuffer>], "eicar.com"));
    const refused = await app.call("POST", "/api/v2/samples", { multipart: early, key: deviceKey });
    expect(refused.status).toBe(403);

    const activated = await app.call("POST", `/api/v1/users/${CLIENT_ID}/activate`);
    expect(activated.status).toBe(200);
    const sample = await submit(app, eicar(), "eicar.com", deviceKey);
    expect(sample.sha256).toBe(createHash("sha256").update(eicar()).digest("hex"));

    const update = await waitFor("the EICAR update", () =>
      updatesReceived(receiver).find((u) => u.sample.sha256 === sample.sha256),
    );
    expect(update.disposition).toBe("malicious");
    expect(update.threat_score).toBe(100);
    expect(update.sample).toEqual({
      id: sample.id,
      sha256: sample.sha256,
      md5: sample.md5,
      sha1: sample.sha1,
      filename: "eicar.com",
    });
    const seen = await app.call("GET", `/api/v2/samples/${sample.id}`, { key: deviceKey });
    expect(seen.json.data.state).toBe("succ");
    expect(seen.json.data.disposition).toBe("malicious");
  });

  test("deleting the CA answers 204 naming the service; the next delivery fails TLS", async () => {
    // An edit that keeps the host and port keeps the anchor the last delivery was verified with.
    const { url } = await service();
    const edited = await app.call("PATCH", `/api/v1/disposition-services/${serviceId}`, {
      json: { url },
    });
    expect(edited.status).toBe(200);
    expect(edited.json.anchor_sha256).toBe(rootSha256);

    const deleted = await app.call("DELETE", `/api/v1/ca-certificates/${rootSha256}`);
    expect(deleted.status).toBe(204);
    expect(String(deleted.headers.warning)).toContain(`disposition service ${serviceId}`);

    const before = receiver.requests.length;
    const sample = await submit(app, new TextEncoder().encode("after delete"), "late.bin");
    await app.call("PUT", `/api/v1/samples/${sample.id}/disposition`, {
      json: { disposition: "malicious" },
    });
    const state = await waitFor("the service to be untrusted again", async () => {
      const s = await service();
      return s.status === "untrusted" ? s : undefined;
    });
    expect(state.last_error).toContain("is not trusted");
    expect(receiver.requests.length).toBe(before);
    expect(app.logs).not.toContain(AMP_PASSWORD);
  });

  test("the check names the failing TLS step, then passes once the CA is back", async () => {
    const failing = await app.call("POST", `/api/v1/disposition-services/${serviceId}/check`);
    expect(failing.status).toBe(200);
    expect(failing.json.ok).toBe(false);
    expect(failing.json.steps.map((s: any) => [s.step, s.ok])).toEqual([
      ["dns", true],
      ["tcp", true],
      ["tls", false],
    ]);
    await app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
    const passing = await app.call("POST", `/api/v1/disposition-services/${serviceId}/check`);
    expect(passing.json.ok).toBe(true);
    expect(passing.json.steps.map((s: any) => s.step)).toEqual(["dns", "tcp", "tls", "http"]);
    await waitFor("the held-back update", async () =>
      (await deliveriesOf(app, serviceId, "pending")).length === 0 ? true : undefined,
    );
  });
});
