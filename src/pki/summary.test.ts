import { describe, expect, test } from "bun:test";
import { summarizeCertificate } from "./summary.ts";
import { makeTestPki, openssl } from "./testing/openssl-pki.ts";

const pki = makeTestPki();

describe("summarizeCertificate", () => {
  test("describes the test leaf as openssl does", () => {
    const summary = summarizeCertificate(pki.leaf.der);
    const fingerprint = openssl([
      "x509",
      "-in",
      pki.leaf.certPath,
      "-noout",
      "-fingerprint",
      "-sha256",
    ])
      .toString()
      .split("=")[1]
      .trim()
      .replace(/:/g, "")
      .toLowerCase();
    const serial = openssl(["x509", "-in", pki.leaf.certPath, "-noout", "-serial"])
      .toString()
      .split("=")[1]
      .trim()
      .toLowerCase();
    expect(summary).toMatchObject({
      subject: "CN=appliance.example.test",
      issuer: "O=Portico Test, CN=Portico Test Intermediate CA",
      san: { dns: ["appliance.example.test"], ip: [] },
      fingerprint_sha256: fingerprint,
      serial,
      key_algorithm: "rsa-2048",
      self_signed: false,
      is_ca: false,
    });
    expect(summary.not_after).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.000Z$/);
  });

  test("recognises a self-signed CA and an EC key", () => {
    expect(summarizeCertificate(pki.root.der)).toMatchObject({
      self_signed: true,
      is_ca: true,
      key_algorithm: "rsa-2048",
    });
    expect(summarizeCertificate(pki.intermediate.der)).toMatchObject({
      self_signed: false,
      is_ca: true,
      key_algorithm: "ecdsa-p256",
    });
  });
});
