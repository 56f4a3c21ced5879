import { describe, expect, test } from "bun:test";
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";
import { evaluateServerCertificate, type PolicyOutcome } from "./policy.ts";
import {
  makeTestPki,
  openssl,
  type IssueOptions,
  type TestCertificate,
} from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const cert = (c: TestCertificate) => new X509Certificate(c.der as Uint8Array<ArrayBuffer>);
const DAY = 86_400_000;

function evaluate(
  leaf: TestCertificate,
  options: { chain?: TestCertificate[]; hostname?: string; now?: Date } = {},
): PolicyOutcome {
  return evaluateServerCertificate({
    leaf: cert(leaf),
    chain: (options.chain ?? [pki.intermediate]).map(cert),
    hostname: options.hostname,
    now: options.now,
  });
}

const codes = (outcome: PolicyOutcome) => ({
  issues: outcome.issues.map((i) => i.code),
  warnings: outcome.warnings.map((w) => w.code),
});
const variant = (options: IssueOptions) => pki.issue(options);

describe("evaluateServerCertificate", () => {
  test("accepts the test leaf for its hostname with nothing to report", () => {
    expect(codes(evaluate(pki.leaf, { hostname: pki.hostname }))).toEqual({
      issues: [],
      warnings: [],
    });
  });

  test("refuses an expired leaf, giving the date (C10)", () => {
    const expired = variant({
      name: "policy-expired",
      notBefore: new Date("2020-01-01"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
    const outcome = evaluate(expired);
    expect(codes(outcome).issues).toEqual(["certificate_expired"]);
    expect(outcome.issues[0].message).toContain("2021-01-01T00:00:00.000Z");
  });

  test("refuses an expired intermediate", () => {
    const outcome = evaluate(pki.leaf, { now: new Date(Date.now() + 3000 * DAY) });
    expect(outcome.issues.filter((i) => i.path === "/chain").map((i) => i.code)).toEqual([
      "certificate_expired",
    ]);
  });

  test("accepts a leaf valid from tomorrow with a not_yet_valid warning (C10)", () => {
    const tomorrow = new Date(Date.now() + DAY);
    const future = variant({ name: "policy-future", notBefore: tomorrow });
    expect(codes(evaluate(future))).toEqual({ issues: [], warnings: ["not_yet_valid"] });
  });

  test("refuses a certificate with a CN but no subjectAltName (C11)", () => {
    const outcome = evaluate(variant({ name: "policy-no-san", san: null }));
    expect(codes(outcome).issues).toEqual(["san_missing"]);
  });

  test("refuses SHA-1 and MD5 signatures on the leaf (C12)", () => {
    for (const md of ["sha1", "md5"] as const) {
      const weak = variant({ name: `policy-${md}`, md, issuer: "root" });
      const outcome = evaluate(weak, { chain: [] });
      expect(codes(outcome).issues).toEqual(["weak_signature"]);
      expect(outcome.issues[0].message).toContain(md === "sha1" ? "sha1With" : "md5With");
    }
  });

  test("refuses a SHA-1 signature on an intermediate (C12)", () => {
    const weakCa = variant({
      name: "policy-sha1-ca",
      issuer: "root",
      md: "sha1",
      key: "ec-p256",
      subject: "/CN=Weak Intermediate",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE,pathlen:0",
    });
    const leaf = variant({ name: "policy-under-sha1-ca", issuer: weakCa });
    const outcome = evaluate(leaf, { chain: [weakCa] });
    expect(outcome.issues.map((i) => [i.code, i.path])).toEqual([["weak_signature", "/chain"]]);
  });

  test("refuses RSA 1024 and 1536 leaves as weak_key (C15)", () => {
    for (const key of ["rsa-1024", "rsa-1536"] as const) {
      const outcome = evaluate(variant({ name: `policy-${key}`, key }));
      expect(codes(outcome).issues).toEqual(["weak_key"]);
    }
  });

  test("refuses a CA certificate as the leaf", () => {
    const ca = variant({ name: "policy-leaf-ca", basicConstraints: "critical,CA:TRUE" });
    expect(codes(evaluate(ca)).issues).toEqual(["leaf_is_ca"]);
  });

  test("refuses an EKU without serverAuth, accepts a missing EKU", () => {
    const client = variant({ name: "policy-client-eku", eku: "clientAuth" });
    expect(codes(evaluate(client)).issues).toEqual(["eku_missing_server_auth"]);
    const none = variant({ name: "policy-no-eku", eku: null });
    expect(codes(evaluate(none)).issues).toEqual([]);
  });

  test("refuses a leaf whose only extendedKeyUsage is anyExtendedKeyUsage, as OpenSSL does", () => {
    const any = variant({ name: "policy-any-eku", eku: "anyExtendedKeyUsage" });
    const outcome = evaluate(any);
    expect(codes(outcome).issues).toEqual(["eku_missing_server_auth"]);
    expect(outcome.issues[0].message).toContain("(anyExtendedKeyUsage)");
    expect(outcome.issues[0].message).toContain("alone is refused");
    const both = variant({ name: "policy-any-and-server", eku: "serverAuth, anyExtendedKeyUsage" });
    expect(codes(evaluate(both)).issues).toEqual([]);
  });

  test("refuses an intermediate whose extendedKeyUsage lacks serverAuth", () => {
    const ca = variant({
      name: "policy-ca-client-eku",
      issuer: "root",
      key: "ec-p384",
      subject: "/CN=Client Auth Only CA",
      san: null,
      eku: "clientAuth",
      basicConstraints: "critical,CA:TRUE,pathlen:0",
    });
    const below = variant({ name: "policy-below-client-ca", issuer: ca });
    const outcome = evaluate(below, { chain: [ca] });
    expect(outcome.issues.map((i) => [i.code, i.path])).toEqual([
      ["eku_missing_server_auth", "/chain"],
    ]);
    expect(outcome.issues[0].message).toContain(
      'intermediate certificate "CN=Client Auth Only CA"',
    );
  });

  for (const [kind, key, keyUsage] of [
    ["an RSA leaf with keyEncipherment only", "leaf", "critical, keyEncipherment"],
    ["an RSA leaf with cRLSign only", "leaf", "cRLSign"],
    ["an EC leaf with keyAgreement only", "ec-p256", "critical, keyAgreement"],
  ] as const) {
    test(`refuses ${kind}: TLS servers need digitalSignature`, () => {
      const name = `policy-ku-${kind.replace(/\W+/g, "-")}`;
      const outcome = evaluate(variant({ name, key, keyUsage }));
      expect(outcome.issues.map((i) => [i.code, i.path])).toEqual([
        ["key_usage_unsuitable", "/certificate"],
      ]);
      expect(outcome.issues[0].message).toContain("without digitalSignature");
    });
  }

  test("accepts keyUsage digitalSignature with keyEncipherment, and no keyUsage at all", () => {
    const both = variant({
      name: "policy-ku-sign-encipher",
      keyUsage: "critical, digitalSignature, keyEncipherment",
    });
    expect(codes(evaluate(both)).issues).toEqual([]);
    expect(codes(evaluate(pki.leaf)).issues).toEqual([]);
  });

  test("warns when the certificate does not name the hostname, listing its names", () => {
    const outcome = evaluate(pki.leaf, { hostname: "other.example.test" });
    expect(codes(outcome)).toEqual({ issues: [], warnings: ["hostname_mismatch"] });
    expect(outcome.warnings[0].message).toContain("other.example.test");
    expect(outcome.warnings[0].message).toContain(pki.hostname);
  });

  test("warns of a hostname mismatch for a SAN with a trailing dot, as OpenSSL refuses it", () => {
    const dotted = variant({ name: "policy-trailing-dot", san: `DNS:${pki.hostname}.` });
    const verdict = (cert: TestCertificate) => {
      const trust = ["-CAfile", pki.root.certPath, "-untrusted", pki.intermediate.certPath];
      try {
        return openssl(["verify", "-verify_hostname", pki.hostname, ...trust, cert.certPath])
          .toString()
          .trim();
      } catch (error) {
        return (error as Error).message;
      }
    };
    expect(verdict(pki.leaf)).toEndWith(": OK");
    expect(verdict(dotted)).toContain("hostname mismatch");
    const outcome = evaluate(dotted, { hostname: pki.hostname });
    expect(codes(outcome)).toEqual({ issues: [], warnings: ["hostname_mismatch"] });
    expect(outcome.warnings[0].message).toContain(`ending in a dot (${pki.hostname}.)`);
  });

  test("warns about a validity over 825 days", () => {
    const now = Date.now();
    const long = variant({
      name: "policy-long",
      notBefore: new Date(now - DAY),
      notAfter: new Date(now + 900 * DAY),
    });
    expect(codes(evaluate(long)).warnings).toEqual(["validity_too_long"]);
  });
});
