import { describe, expect, test } from "bun:test";
import { generateSelfSigned, type GeneratedKeyAlgorithm } from "./generate.ts";
import { parsePrivateKey } from "./keys.ts";
import { summarizeCertificate, spkiSha256, asCertificate } from "./summary.ts";
import { decodeCertificates } from "./pem.ts";
import { evaluateServerCertificate } from "./policy.ts";
import { makeTestPki, openssl } from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const now = new Date("2030-06-01T12:00:00Z");

async function generated(keyAlgorithm: GeneratedKeyAlgorithm, validityDays = 825) {
  const result = await generateSelfSigned({
    hostname: "Appliance.Example.TEST.",
    keyAlgorithm,
    validityDays,
    now,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe("generateSelfSigned", () => {
  const cases: [GeneratedKeyAlgorithm, string, string][] = [
    ["ecdsa-p256", "ecdsa-with-SHA256", "Digital Signature"],
    ["ecdsa-p384", "ecdsa-with-SHA384", "Digital Signature"],
    ["rsa-2048", "sha256WithRSAEncryption", "Digital Signature, Key Encipherment"],
  ];
  for (const [algorithm, signature, keyUsage] of cases) {
    test(`makes a ${algorithm} server certificate openssl reads as intended`, async () => {
      const made = await generated(algorithm);
      const file = pki.write(`generated-${algorithm}.pem`, made.certificatePem);
      const text = openssl(["x509", "-in", file, "-noout", "-text"]).toString();
      expect(text).toContain(`Signature Algorithm: ${signature}`);
      expect(text).toContain("DNS:appliance.example.test");
      expect(text).toContain("Subject: CN = appliance.example.test");
      expect(text).toContain("TLS Web Server Authentication");
      expect(text).toMatch(/Basic Constraints: critical\s+CA:FALSE/);
      expect(text).toMatch(new RegExp(`Key Usage: critical\\s+${keyUsage}\\n`));
      expect(text).toContain("X509v3 Subject Key Identifier");

      const key = parsePrivateKey(made.privateKeyPem);
      expect(key.ok && key.value.algorithm).toBe(algorithm);
      const der = decodeCertificates(made.certificatePem);
      const cert = asCertificate(der.ok ? der.value[0] : new Uint8Array());
      expect(key.ok && key.value.spkiSha256).toBe(spkiSha256(cert));
      expect(
        evaluateServerCertificate({
          leaf: cert,
          chain: [],
          hostname: "appliance.example.test",
          now,
        }),
      ).toEqual({ issues: [], warnings: [] });
    });
  }

  test("starts five minutes early, lasts the requested days, has a 16-byte serial", async () => {
    const made = await generated("ecdsa-p256", 30);
    const der = decodeCertificates(made.certificatePem);
    const summary = summarizeCertificate(der.ok ? der.value[0] : new Uint8Array());
    expect(summary.not_before).toBe("2030-06-01T11:55:00.000Z");
    expect(summary.not_after).toBe("2030-07-01T11:55:00.000Z");
    expect(summary.serial).toMatch(/^[4-7][0-9a-f]{31}$/);
    expect(summary.self_signed).toBe(true);
    expect(summary.is_ca).toBe(false);
  });

  test("refuses an IP address as hostname and a validity over 825 days", async () => {
    const ip = await generateSelfSigned({ hostname: "192.0.2.1" });
    expect(ip.ok ? undefined : ip.issues[0].code).toBe("hostname_invalid");
    const long = await generateSelfSigned({ hostname: "a.example", validityDays: 826 });
    expect(long.ok ? undefined : long.issues[0]).toMatchObject({
      code: "validity_invalid",
      path: "/validity_days",
    });
  });
});
