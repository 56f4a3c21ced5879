/**
 * The steps every runtime must pass, shared by the Bun, Deno and binary
 * suites: a gateway registers, is activated and submits a sample; the
 * certificate is regenerated and served without a restart.
 *
 * @module
 */
import { expect } from "bun:test";
import { createHash } from "node:crypto";
import { TEST_HOSTNAME } from "./appliance.ts";
import type { RunningAppliance } from "./appliance.ts";
import { newClientId, registration } from "./devices.ts";
import { openssl, presentedCertificates } from "./openssl.ts";

/** Register → refused while inactive → activate → submit → read back. */
export async function gatewayJourney(appliance: RunningAppliance): Promise<void> {
  const id = newClientId();
  const registered = await appliance.call("POST", "/csa/api/register", {
    key: null,
    json: registration(id),
  });
  expect(registered.status).toBe(201);
  expect(registered.json).toMatchObject({ login: id, active: false });
  const deviceKey: string = registered.json.api_key;

  const content = `sample ${crypto.randomUUID()}`;
  const form = () => {
    const body = new FormData();
    body.set("sample", new File([content], "invoice.docm"));
    return body;
  };
  const refused = await appliance.call("POST", "/api/v2/samples", {
    key: deviceKey,
    multipart: form(),
  });
  expect(refused.status).toBe(403);

  const activated = await appliance.call("POST", `/api/v1/users/${id}/activate`);
  expect(activated.json).toMatchObject({ login: id, active: true, changed: true });

  const submitted = await appliance.call("POST", "/api/v2/samples", {
    key: deviceKey,
    multipart: form(),
  });
  expect(submitted.status).toBe(200);
  expect(submitted.json.data).toMatchObject({
    login: id,
    filename: "invoice.docm",
    sha256: createHash("sha256").update(content).digest("hex"),
    state: "wait",
  });
  const read = await appliance.call("GET", `/api/v2/samples/${submitted.json.data.id}`, {
    key: deviceKey,
  });
  // The analysis worker may have moved its state on since; the sample is the same.
  expect(read.json.data).toMatchObject(sameSample(submitted.json.data));
}

/** The SHA-256 fingerprint of the certificate the appliance presents now. */
export function presentedFingerprint(appliance: RunningAppliance): string {
  const pem = presentedCertificates(appliance.port, TEST_HOSTNAME)[0];
  return openssl(["x509", "-noout", "-fingerprint", "-sha256"], pem)
    .trim()
    .split("=")[1]
    .replaceAll(":", "")
    .toLowerCase();
}

/** Waits until the appliance presents the certificate with `fingerprint`. */
export async function waitUntilPresented(
  appliance: RunningAppliance,
  fingerprint: string,
  timeoutMs = 10_000,
): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  let presented = presentedFingerprint(appliance);
  while (presented !== fingerprint && Date.now() < deadline) {
    await Bun.sleep(100);
    presented = presentedFingerprint(appliance);
  }
  return presented;
}

/** The fields of a sample that no worker changes. */
function sameSample(data: Record<string, unknown>) {
  const { id, login, organization_id, filename, size, md5, sha1, sha256 } = data;
  return { id, login, organization_id, filename, size, md5, sha1, sha256 };
}
