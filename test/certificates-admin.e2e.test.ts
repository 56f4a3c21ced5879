/**
 * The admin interface and the hostname, over both listeners of one real
 * server: the admin port has its own certificate and serves only the
 * administration routes; the clean interface can be told to refuse them;
 * a hostname change names what no longer matches and regenerate fixes it;
 * expiring certificates show in the API, the log and /readyz; downloads
 * carry the uploaded chain.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { makeTestPki } from "../src/pki/testing/openssl-pki.ts";
import { TEST_HOSTNAME, freePort, startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { fingerprint, presented } from "./helpers/certificates.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import { verifiedRequest } from "./helpers/https.ts";
import { presentedCertificates } from "./helpers/openssl.ts";

const pki = makeTestPki();
const { root, intermediate, leaf } = pki;
const good = { certificate: leaf.pem, private_key: leaf.keyPem, chain: intermediate.pem };
let appliance: RunningAppliance;
let adminPort: number;
let adminTrusted: string[];

beforeAll(async () => {
  adminPort = await freePort();
  appliance = await startAppliance({ PORTICO_ADMIN_PORT: String(adminPort) });
  adminTrusted = [presentedCertificates(adminPort, TEST_HOSTNAME)[0], root.pem];
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

/** A call on the admin port, verified against its own certificate or the test root. */
function onAdmin(method: string, path: string, json?: unknown) {
  const headers: Record<string, string> = { authorization: `Bearer ${appliance.adminKey}` };
  if (json !== undefined) headers["content-type"] = "application/json";
  return verifiedRequest(
    { hostname: TEST_HOSTNAME, address: "127.0.0.1", port: adminPort, ca: adminTrusted },
    path,
    { method, headers, body: json === undefined ? undefined : JSON.stringify(json) },
  );
}

const setHostname = (hostname: string) =>
  appliance.call("PUT", "/api/v1/appliance/hostname", { json: { hostname } });

const matches = async () => {
  const state = await appliance.call("GET", "/api/v1/appliance");
  return Object.fromEntries(
    state.json.interfaces.map((i: { name: string; hostname_matches: boolean }) => [
      i.name,
      i.hostname_matches,
    ]),
  );
};

describe("the admin interface", () => {
  test("presents its own certificate and serves the administration API", async () => {
    expect(presented(adminPort)[0]).not.toBe(presented(appliance.port)[0]);
    const state = await onAdmin("GET", "/api/v1/appliance");
    expect(state.status).toBe(200);
    expect(state.json.interfaces.map((i: { name: string }) => i.name)).toEqual(["clean", "admin"]);
    expect((await onAdmin("GET", "/healthz")).json).toEqual({ status: "ok" });
  });

  test("refuses device and sample routes with 404 not_on_admin_interface", async () => {
    for (const path of ["/csa/api/status", "/"]) {
      const answer = await onAdmin("GET", path);
      expect(answer.status).toBe(404);
      expect(answer.json.code).toBe("not_on_admin_interface");
    }
    const compatible = await onAdmin("GET", "/api/v3/session/whoami");
    expect(compatible.status).toBe(404);
    expect(compatible.json.error.errors[0].code).toBe("not_on_admin_interface");
  });

  test("the clean interface refuses the administration API when told to, and serves devices", async () => {
    const off = await onAdmin("PATCH", "/api/v1/settings", { "interfaces.clean.admin_api": false });
    expect(off.status).toBe(200);
    const refused = await appliance.call("GET", "/api/v1/appliance");
    expect(refused.status).toBe(403);
    expect(refused.json.code).toBe("admin_interface_only");
    expect(refused.json.detail).toContain(`port ${adminPort}`);
    const device = await appliance.call("POST", "/csa/api/register", {
      key: null,
      json: registration(newClientId()),
    });
    expect(device.status).toBe(201);

    const on = await onAdmin("PATCH", "/api/v1/settings", { "interfaces.clean.admin_api": true });
    expect(on.status).toBe(200);
    expect((await appliance.call("GET", "/api/v1/appliance")).status).toBe(200);
  });
});

describe("a hostname change", () => {
  test("never regenerates, names every mismatched certificate and the devices; regenerate fixes it", async () => {
    const id = newClientId();
    await appliance.call("POST", "/csa/api/register", { key: null, json: registration(id) });
    const before = presented(adminPort)[0];

    const changed = await setHostname("portico.example.test");
    expect(changed.status).toBe(200);
    expect(changed.json.warnings.map((w: { interface: string }) => w.interface)).toEqual([
      "clean",
      "admin",
    ]);
    expect(changed.json.warnings[0].message).toContain("portico.example.test");
    expect(changed.json.devices_affected).toContainEqual({ login: id, active: false });
    expect(presented(adminPort)[0]).toBe(before);
    expect(await matches()).toEqual({ clean: false, admin: false });

    const regenerated = await appliance.call("POST", "/api/v1/tls/admin/certificate/regenerate", {
      json: {},
    });
    expect(regenerated.status).toBe(201);
    expect(regenerated.json.san.dns).toEqual(["portico.example.test"]);
    expect(presented(adminPort)[0]).toBe(regenerated.json.fingerprint_sha256);
    expect(await matches()).toEqual({ clean: false, admin: true });

    const back = await setHostname(TEST_HOSTNAME);
    expect(back.json.warnings.map((w: { interface: string }) => w.interface)).toEqual(["admin"]);
    expect(await matches()).toEqual({ clean: true, admin: false });
  });

  test("a wildcard names one label below its domain, never the domain itself (C13)", async () => {
    const wildcard = pki.issue({
      name: "admin-wildcard",
      subject: "/CN=*.example.test",
      san: "DNS:*.example.test",
    });
    const put = await appliance.call("PUT", "/api/v1/tls/admin/certificate", {
      json: { ...good, certificate: wildcard.pem },
    });
    expect(put.status).toBe(200);
    const results: Record<string, boolean> = {};
    for (const hostname of ["x.example.test", "a.b.example.test", "example.test"]) {
      await setHostname(hostname);
      results[hostname] = (await matches()).admin;
    }
    await setHostname(TEST_HOSTNAME);
    expect(results).toEqual({
      "x.example.test": true,
      "a.b.example.test": false,
      "example.test": false,
    });
  });
});

describe("expiry and downloads", () => {
  test("a certificate that expires within 30 days is flagged in the API, the log and /readyz", async () => {
    const soon = pki.issue({
      name: "admin-soon",
      notAfter: new Date(Date.now() + 10 * 86_400_000),
    });
    const put = await appliance.call("PUT", "/api/v1/tls/admin/certificate", {
      json: { ...good, certificate: soon.pem },
    });
    expect(put.status).toBe(200);
    expect(put.json.warnings.map((w: { code: string }) => w.code)).toEqual([
      "certificate_expiring",
    ]);

    const line = appliance.logs
      .split("\n")
      .filter((l) => l.includes('"certificate_expiring"'))
      .map((l) => JSON.parse(l))
      .find((l) => l.fingerprint_sha256 === fingerprint(soon.pem));
    expect(line).toMatchObject({ level: "warn", interface: "admin", plugin: "tls-identity" });

    const details = await appliance.call("GET", "/readyz");
    expect(details.json.checks.certificates.ok).toBe(false);
    const admin = details.json.checks.certificates.interfaces.find(
      (i: { interface: string }) => i.interface === "admin",
    );
    expect(admin.warnings.map((w: { code: string }) => w.code)).toEqual(["certificate_expiring"]);
    expect((await appliance.call("GET", "/readyz", { key: null })).json).toEqual({
      status: "ready",
    });
  });

  test("downloads give the leaf, the full chain and the leaf as DER", async () => {
    expect(
      (await appliance.call("PUT", "/api/v1/tls/admin/certificate", { json: good })).status,
    ).toBe(200);
    const blocks = (text: string) =>
      (text.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----\n/g) ?? []).map(
        fingerprint,
      );
    const leafOnly = await appliance.call("GET", "/api/v1/tls/admin/certificate.pem");
    expect(blocks(leafOnly.text)).toEqual([fingerprint(leaf.pem)]);
    const full = await appliance.call("GET", "/api/v1/tls/admin/certificate.pem?chain=full");
    expect(blocks(full.text)).toEqual([fingerprint(leaf.pem), fingerprint(intermediate.pem)]);
    const der = await appliance.call("GET", "/api/v1/tls/admin/certificate.der");
    expect(der.headers["content-type"]).toBe("application/pkix-cert");
    expect(der.bytes).toEqual(leaf.der);
  });
});
