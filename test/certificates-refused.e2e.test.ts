/**
 * Certificate uploads the appliance must refuse (cases C1, C3, C6, C9–C12,
 * C15, C16 of cases/certificates.md and the rest of the policy), each made
 * with openssl and sent to the real server: a 422 problem with its own code,
 * the previous certificate still served and the database unchanged.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { readFileSync } from "node:fs";
import { makeTestPki, openssl } from "../src/pki/testing/openssl-pki.ts";
import { startAppliance } from "./helpers/appliance.ts";
import type { CallOptions, RunningAppliance } from "./helpers/appliance.ts";
import { keySpkiSha256, presented } from "./helpers/certificates.ts";
import { snapshot } from "./helpers/database.ts";

const pki = makeTestPki();
const { intermediate, leaf } = pki;
let appliance: RunningAppliance;

beforeAll(async () => {
  appliance = await startAppliance();
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

const good = { certificate: leaf.pem, private_key: leaf.keyPem, chain: intermediate.pem };

/** Sends the upload and checks that nothing changed; returns the problem. */
async function refused(options: CallOptions, code: string, status = 422) {
  const before = await snapshot(appliance.dataDir);
  const served = presented(appliance.port);
  const answer = await appliance.call("PUT", "/api/v1/tls/clean/certificate", options);
  expect(answer.status).toBe(status);
  expect(answer.headers["content-type"]).toBe("application/problem+json");
  expect(answer.json).toMatchObject({ type: `/api/docs/problems#${code}`, status, code });
  expect(answer.json.errors.length).toBeGreaterThan(0);
  expect(presented(appliance.port)).toEqual(served);
  expect(await snapshot(appliance.dataDir)).toEqual(before);
  return answer.json;
}

function encryptedPkcs8(passphrase: string): string {
  return openssl([
    "pkcs8",
    "-topk8",
    "-in",
    leaf.keyPath,
    "-v2",
    "aes-256-cbc",
    "-passout",
    `pass:${passphrase}`,
  ]).toString();
}

function legacyEncrypted(passphrase: string): string {
  return openssl([
    "rsa",
    "-in",
    leaf.keyPath,
    "-traditional",
    "-aes256",
    "-passout",
    `pass:${passphrase}`,
  ]).toString();
}

describe("a refused upload keeps the served certificate and the database as they were", () => {
  test("rejects a private key that does not match the certificate, naming both keys (C1)", async () => {
    const problem = await refused(
      { json: { ...good, private_key: pki.otherKeyPem } },
      "key_mismatch",
    );
    expect(problem.title).toBe("Private key does not match the certificate");
    expect(problem.detail).toContain(keySpkiSha256(pki.otherKeyPem));
    expect(problem.detail).toContain(keySpkiSha256(leaf.keyPem));
    expect(problem.errors).toEqual([{ path: "/private_key", message: problem.detail }]);
  });

  test("rejects a leaf without its intermediate, naming the missing issuer (C3)", async () => {
    const problem = await refused(
      { json: { certificate: leaf.pem, private_key: leaf.keyPem } },
      "chain_incomplete",
    );
    expect(problem.detail).toContain('"O=Portico Test, CN=Portico Test Intermediate CA"');
    expect(problem.errors[0].path).toBe("/chain");
  });

  test("says DER when a binary certificate was damaged by reading it as text (C6)", async () => {
    const garbled = new TextDecoder().decode(leaf.der);
    const problem = await refused({ json: { ...good, certificate: garbled } }, "der_garbled");
    expect(problem.detail).toContain("DER");
  });

  for (const [kind, make] of [
    ["PKCS#8", encryptedPkcs8],
    ["legacy PEM", legacyEncrypted],
  ] as const) {
    test(`tells a missing passphrase from a wrong one for an encrypted ${kind} key (C9)`, async () => {
      const key = make("s3cret");
      await refused({ json: { ...good, private_key: key } }, "key_encrypted");
      const wrong = await refused(
        { json: { ...good, private_key: key, passphrase: "S3cret" } },
        "passphrase_wrong",
      );
      expect(wrong.errors[0].path).toBe("/passphrase");
    });
  }

  test("refuses a PKCS#12 file with a wrong passphrase", async () => {
    const p12 = openssl([
      "pkcs12",
      "-export",
      "-inkey",
      leaf.keyPath,
      "-in",
      leaf.certPath,
      "-certfile",
      intermediate.certPath,
      "-passout",
      "pass:right",
    ]).toString("base64");
    await refused({ json: { pkcs12: p12, passphrase: "wrong" } }, "passphrase_wrong");
    await refused({ json: { pkcs12: p12 } }, "passphrase_required");
  });

  test("refuses an expired leaf, giving the date it expired (C10)", async () => {
    const expired = pki.issue({
      name: "e2e-expired",
      notBefore: new Date("2020-01-01"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
    const problem = await refused(
      { json: { ...good, certificate: expired.pem } },
      "certificate_expired",
    );
    expect(problem.detail).toContain("2021-01-01T00:00:00.000Z");
  });

  test("refuses a certificate with a CN but no subjectAltName (C11)", async () => {
    const noSan = pki.issue({ name: "e2e-no-san", san: null });
    await refused({ json: { ...good, certificate: noSan.pem } }, "san_missing");
  });

  test("refuses a leaf signed with SHA-1 (C12)", async () => {
    const sha1 = pki.issue({ name: "e2e-sha1-leaf", md: "sha1" });
    await refused({ json: { ...good, certificate: sha1.pem } }, "weak_signature");
  });

  test("refuses an intermediate signed with SHA-1 (C12)", async () => {
    const ca = pki.issue({
      name: "e2e-sha1-ca",
      issuer: "root",
      key: "ec-p384",
      md: "sha1",
      subject: "/CN=SHA-1 Intermediate",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE,pathlen:0",
    });
    const below = pki.issue({ name: "e2e-below-sha1", issuer: ca });
    const problem = await refused(
      { json: { ...good, certificate: below.pem, chain: ca.pem } },
      "weak_signature",
    );
    expect(problem.errors[0].path).toBe("/chain");
  });

  test("refuses an RSA 1024 leaf (C15)", async () => {
    const weak = pki.issue({ name: "e2e-rsa1024", key: "rsa-1024" });
    const key = openssl(["pkey", "-in", pki.key("rsa-1024")]).toString();
    await refused({ json: { ...good, certificate: weak.pem, private_key: key } }, "weak_key");
  });

  test("refuses a key on a curve clients do not offer", async () => {
    const k1 = pki.issue({ name: "e2e-secp256k1", key: "ec-secp256k1" });
    const key = openssl(["pkey", "-in", pki.key("ec-secp256k1")]).toString();
    await refused({ json: { ...good, certificate: k1.pem, private_key: key } }, "key_unsupported");
  });

  test("refuses a certificate and key with explicit EC parameters, saying how to convert", async () => {
    const cert = pki.issue({ name: "e2e-explicit-ec", key: "ec-p256-explicit" });
    const key = readFileSync(pki.key("ec-p256-explicit"), "utf8");
    const problem = await refused(
      { json: { ...good, certificate: cert.pem, private_key: key } },
      "key_unsupported",
    );
    expect(problem.detail).toContain("explicit curve parameters");
    expect(problem.detail).toContain("-param_enc named_curve");
  });

  test("refuses a key file holding two private keys (C16)", async () => {
    const problem = await refused(
      { json: { ...good, private_key: leaf.keyPem + pki.otherKeyPem } },
      "multiple_private_keys",
    );
    expect(problem.detail).toContain("2 different");
  });

  test("refuses an upload with no certificate at all, naming the field (C16)", async () => {
    const problem = await refused(
      { json: { certificate: leaf.keyPem, private_key: leaf.keyPem } },
      "certificate_missing",
    );
    expect(problem.errors[0].path).toBe("/certificate");
    const empty = await refused({ json: {} }, "certificate_missing");
    expect(empty.errors.map((e: { path: string }) => e.path)).toEqual([
      "/certificate",
      "/private_key",
    ]);
  });

  test("refuses a CA certificate as the server certificate", async () => {
    const ca = pki.issue({ name: "e2e-leaf-ca", basicConstraints: "critical,CA:TRUE" });
    await refused({ json: { ...good, certificate: ca.pem } }, "leaf_is_ca");
  });

  test("refuses a certificate whose extended key usage lacks serverAuth", async () => {
    const client = pki.issue({ name: "e2e-client-auth", eku: "clientAuth" });
    await refused({ json: { ...good, certificate: client.pem } }, "eku_missing_server_auth");
  });

  test("refuses a chain whose intermediate's pathlen:0 is exceeded by a CA below it", async () => {
    const sub = pki.issue({
      name: "e2e-sub-ca",
      issuer: "intermediate",
      key: "ec-p384",
      subject: "/CN=E2E Sub CA",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE",
    });
    const below = pki.issue({ name: "e2e-below-sub-ca", issuer: sub });
    const problem = await refused(
      { json: { ...good, certificate: below.pem, chain: sub.pem + intermediate.pem } },
      "chain_invalid",
    );
    expect(problem.title).toBe("Certificate chain cannot be verified");
    expect(problem.detail).toContain("CN=Portico Test Intermediate CA");
    expect(problem.detail).toContain("path length exceeded");
  });

  test("refuses a leaf issued by a server certificate (CA:FALSE), naming it", async () => {
    const server = pki.issue({
      name: "e2e-issuing-server",
      key: "ec-p384",
      subject: "/CN=server.example.test",
      san: "DNS:server.example.test",
    });
    const below = pki.issue({ name: "e2e-below-server", issuer: server });
    const problem = await refused(
      { json: { ...good, certificate: below.pem, chain: server.pem + intermediate.pem } },
      "chain_invalid",
    );
    expect(problem.detail).toContain('"CN=server.example.test"');
    expect(problem.detail).toContain("is not a CA");
    expect(problem.errors[0].path).toBe("/chain");
  });

  test("refuses a leaf whose only extendedKeyUsage is anyExtendedKeyUsage", async () => {
    const any = pki.issue({ name: "e2e-any-eku", eku: "anyExtendedKeyUsage" });
    const problem = await refused(
      { json: { ...good, certificate: any.pem } },
      "eku_missing_server_auth",
    );
    expect(problem.detail).toContain("anyExtendedKeyUsage");
  });

  for (const [kind, key, keyUsage] of [
    ["an RSA leaf with keyEncipherment only", "leaf", "critical, keyEncipherment"],
    ["an EC leaf with keyAgreement only", "ec-p384", "critical, keyAgreement"],
  ] as const) {
    test(`refuses ${kind} before any listener restart, asking for digitalSignature`, async () => {
      const name = `e2e-ku-${key}`;
      const cert = pki.issue({ name, key, keyUsage });
      const keyPem = openssl(["pkey", "-in", pki.key(key)]).toString();
      const problem = await refused(
        { json: { ...good, certificate: cert.pem, private_key: keyPem } },
        "key_usage_unsuitable",
      );
      expect(problem.detail).toContain("digitalSignature");
      expect(problem.errors[0].path).toBe("/certificate");
    });
  }

  test("refuses fields of the wrong type with 400 invalid_request", async () => {
    await refused({ json: { ...good, passphrase: 42 } }, "invalid_request", 400);
    await refused({ json: { ...good, allow_incomplete_chain: "maybe" } }, "invalid_request", 400);
  });

  test("refuses a form that sends the certificate, key or passphrase twice, naming the field", async () => {
    const form = new FormData();
    form.append("certificate", new File([pki.otherKeyPem], "other.pem"));
    form.append("certificate", new File([leaf.pem], "leaf.pem"));
    form.append("private_key", new File([leaf.keyPem], "leaf.key"));
    form.append("chain", new File([intermediate.pem], "chain.pem"));
    form.append("passphrase", "one");
    form.append("passphrase", "two");
    const problem = await refused({ multipart: form }, "invalid_request", 400);
    expect(problem.errors).toEqual([
      { path: "/certificate", message: "was sent 2 times: send it once" },
      { path: "/passphrase", message: "was sent 2 times: send it once" },
    ]);
    expect(problem.detail).toContain("more than one /certificate, /passphrase part");
  });

  test("refuses an upload for an interface the appliance does not have", async () => {
    const answer = await appliance.call("PUT", "/api/v1/tls/admin/certificate", { json: good });
    expect(answer.status).toBe(404);
    expect(answer.json.code).toBe("interface_not_found");
  });

  test("lists every problem of the fields, the first one's code on the problem", async () => {
    const problem = await refused(
      { json: { certificate: "not a certificate", private_key: "nor a key" } },
      "certificate_invalid",
    );
    expect(problem.errors.map((e: { path: string }) => e.path)).toEqual([
      "/certificate",
      "/private_key",
    ]);
    expect(problem.detail).toContain("1 more problem(s)");
  });

  test("the clean interface cannot be told to refuse administration without an admin interface", async () => {
    const before = await snapshot(appliance.dataDir);
    const answer = await appliance.call("PATCH", "/api/v1/settings", {
      json: { "interfaces.clean.admin_api": false },
    });
    expect(answer.status).toBe(400);
    expect(answer.json.code).toBe("invalid_setting");
    expect(answer.json.errors[0].path).toBe("/interfaces.clean.admin_api");
    expect(answer.json.errors[0].message).toContain("no admin interface");
    expect(await snapshot(appliance.dataDir)).toEqual(before);
    expect((await appliance.call("GET", "/api/v1/appliance")).status).toBe(200);
  });
});
