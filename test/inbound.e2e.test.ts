/**
 * Journey 1 of DESIGN.md over real HTTPS against the real server process:
 * a gateway registers, is refused until an administrator activates it,
 * then submits a sample and reads it back.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { startAppliance, TEST_HOSTNAME } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import { verifiedRequest } from "./helpers/https.ts";
import { certificateText, openssl, presentedCertificates } from "./helpers/openssl.ts";

let appliance: RunningAppliance;

beforeAll(async () => {
  appliance = await startAppliance();
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

function sampleForm(content: string | Uint8Array, filename = "invoice.docm") {
  const form = new FormData();
  form.set("sample", new File([content as BlobPart], filename));
  form.set("tags", "esa, inbound");
  form.set("vm", "win10");
  return form;
}

describe("connect a gateway", () => {
  test("the downloaded certificate is the one presented and verifies for the hostname", async () => {
    const download = await appliance.call("GET", "/api/v1/tls/clean/certificate.pem");
    expect(download.status).toBe(200);
    expect(download.headers["content-type"]).toBe("application/x-pem-file");
    const fingerprint = (pem: string) =>
      openssl(["x509", "-noout", "-fingerprint", "-sha256"], pem).trim();
    expect(fingerprint(download.text)).toBe(fingerprint(appliance.trusted[0]));

    const viaDownload = await verifiedRequest(
      { hostname: TEST_HOSTNAME, address: "127.0.0.1", port: appliance.port, ca: [download.text] },
      "/healthz",
    );
    expect(viaDownload.json).toEqual({ status: "ok" });
  });

  test("a client that trusts another certificate refuses the connection", async () => {
    const other = openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      "/dev/null",
      "-subj",
      `/CN=${TEST_HOSTNAME}`,
      "-days",
      "1",
      "-addext",
      `subjectAltName=DNS:${TEST_HOSTNAME}`,
    ]);
    const refused = verifiedRequest(
      { hostname: TEST_HOSTNAME, address: "127.0.0.1", port: appliance.port, ca: [other] },
      "/healthz",
    );
    await expect(refused).rejects.toThrow();
  });

  test("a registered gateway is refused until activated, then its sample is stored with matching hashes", async () => {
    const id = newClientId();
    const registered = await appliance.call("POST", "/csa/api/register", {
      key: null,
      json: registration(id),
    });
    expect(registered.status).toBe(201);
    expect(registered.json).toMatchObject({ login: id, active: false });
    expect(registered.json.api_key).toMatch(/^pk_[0-9a-f]{64}$/);
    expect(Number.isInteger(registered.json.organization_id)).toBe(true);
    const deviceKey: string = registered.json.api_key;

    const status = await appliance.call("GET", "/csa/api/status", { key: deviceKey });
    expect(status.json).toEqual({
      login: id,
      active: false,
      organization_id: registered.json.organization_id,
    });

    const content = `sample bytes ${crypto.randomUUID()}`;
    const refused = await appliance.call("POST", "/api/v2/samples", {
      key: deviceKey,
      multipart: sampleForm(content),
    });
    expect(refused.status).toBe(403);
    expect(refused.json.error.message).toBe("user is inactive: an administrator must activate it");
    expect(refused.json.error.errors[0].code).toBe("user_inactive");

    const pending = await appliance.call("GET", "/api/v1/users?status=inactive&device=true");
    expect(pending.json.items.map((u: { login: string }) => u.login)).toContain(id);

    const activated = await appliance.call("POST", `/api/v1/users/${id}/activate`);
    expect(activated.status).toBe(200);
    expect(activated.json).toMatchObject({ login: id, active: true, changed: true });

    const submitted = await appliance.call("POST", "/api/v2/samples", {
      key: deviceKey,
      multipart: sampleForm(content),
    });
    expect(submitted.status).toBe(200);
    const data = submitted.json.data;
    expect(submitted.json.api_version).toBe(2);
    expect(data).toMatchObject({
      login: id,
      organization_id: registered.json.organization_id,
      filename: "invoice.docm",
      size: Buffer.byteLength(content),
      md5: createHash("md5").update(content).digest("hex"),
      sha1: createHash("sha1").update(content).digest("hex"),
      sha256: createHash("sha256").update(content).digest("hex"),
      state: "wait",
      status: "pending",
      private: true,
      tags: ["esa", "inbound"],
      vm: "win10",
    });
    expect(data.id).toMatch(/^[0-9a-f]{32}$/);

    // Analysis may already have moved the sample on; its identity stays.
    const read = await appliance.call("GET", `/api/v2/samples/${data.id}`, { key: deviceKey });
    const { state: _s, status: _t, disposition: _d, threat_score: _ts, ...stored } = read.json.data;
    const { state: _s2, status: _t2, ...submittedFields } = data;
    expect(stored).toEqual(submittedFields);
    const state = await appliance.call("GET", `/api/v2/samples/${data.id}/state`, {
      key: deviceKey,
    });
    expect(["wait", "run", "succ"]).toContain(state.json.data.state);

    const found = await appliance.call("GET", `/api/v2/search/submissions?q=${data.sha256}`, {
      key: deviceKey,
    });
    expect(found.json.data.items.map((i: { item: { sample: string } }) => i.item.sample)).toEqual([
      data.id,
    ]);
  });

  test("Threat Grid clients may send the key as an api_key query or form parameter", async () => {
    const id = newClientId();
    const { json } = await appliance.call("POST", "/csa/api/register", {
      key: null,
      json: registration(id),
    });
    await appliance.call("POST", `/api/v1/users/${id}/activate`);

    const byQuery = await appliance.call("GET", `/api/v3/session/whoami?api_key=${json.api_key}`, {
      key: null,
    });
    expect(byQuery.json.data).toMatchObject({
      login: id,
      role: "device",
      active: true,
      device: true,
    });

    const form = sampleForm("form key sample");
    form.set("api_key", json.api_key);
    const byForm = await appliance.call("POST", "/api/v2/samples", { key: null, multipart: form });
    expect(byForm.status).toBe(200);
    expect(byForm.json.data.login).toBe(id);
    expect(appliance.logs).not.toContain(json.api_key);
  });
});

describe("the appliance's certificate", () => {
  test("names the hostname in its SAN, is not a CA and is for server authentication", () => {
    const text = certificateText(presentedCertificates(appliance.port, TEST_HOSTNAME)[0]);
    expect(text).toContain(`DNS:${TEST_HOSTNAME}`);
    expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
    expect(text).toMatch(/Extended Key Usage:\s+TLS Web Server Authentication/);
    expect(text).toContain("ecdsa-with-SHA256");
    expect(text).toContain("prime256v1");
    expect(text).toContain(`Subject: CN = ${TEST_HOSTNAME}`);
  });

  test("after regenerate the server presents the new certificate without a restart", async () => {
    const before = await appliance.call("GET", "/api/v1/tls/clean/certificate");
    const regenerated = await appliance.call("POST", "/api/v1/tls/clean/certificate/regenerate", {
      json: { key_algorithm: "ecdsa-p384", validity_days: 90 },
    });
    expect(regenerated.status).toBe(201);
    expect(regenerated.json.fingerprint_sha256).not.toBe(before.json.fingerprint_sha256);
    expect(regenerated.json).toMatchObject({
      key_algorithm: "ecdsa-p384",
      source: "generated",
      hostname_matches: true,
      self_signed: true,
      is_ca: false,
    });

    const fingerprintOf = (pem: string) =>
      openssl(["x509", "-noout", "-fingerprint", "-sha256"], pem)
        .trim()
        .split("=")[1]
        .replaceAll(":", "")
        .toLowerCase();
    let presented = "";
    for (let i = 0; i < 100; i++) {
      presented = fingerprintOf(presentedCertificates(appliance.port, TEST_HOSTNAME)[0]);
      if (presented === regenerated.json.fingerprint_sha256) break;
      await Bun.sleep(100);
    }
    expect(presented).toBe(regenerated.json.fingerprint_sha256);
    appliance.trusted = [presentedCertificates(appliance.port, TEST_HOSTNAME)[0]];
    const details = await appliance.call("GET", "/api/v1/tls/clean/certificate");
    expect(details.json.fingerprint_sha256).toBe(presented);
  });
});
