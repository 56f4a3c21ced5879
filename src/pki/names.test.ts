import { describe, expect, test } from "bun:test";
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";
import { certificateNames, matchesHostname, matchesPattern, normalizeHostname } from "./names.ts";
import { makeTestPki } from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const cert = (der: Uint8Array) => new X509Certificate(der as Uint8Array<ArrayBuffer>);

describe("normalizeHostname", () => {
  test("lower-cases, converts IDNA to ASCII and strips one trailing dot", () => {
    expect(normalizeHostname("Appliance.Example.TEST.")).toEqual({
      ok: true,
      value: "appliance.example.test",
    });
    expect(normalizeHostname("bücher.example")).toEqual({
      ok: true,
      value: "xn--bcher-kva.example",
    });
  });

  const refused: Record<string, string> = {
    "10.0.0.1": "IP address",
    "2130706433": "IP address",
    "0x7f.1": "IP address",
    "127.1": "IP address",
    "::1": "IPv6",
    "[2001:db8::1]": "IPv6",
    "appliance..example": "empty label",
    "appliance.example..": "empty label",
    "appliance:8443": "port",
    "https://appliance.example/": "URL",
    "under_score.example": '"_"',
    "-dash.example": "invalid label",
    "": "empty",
  };
  for (const [input, reason] of Object.entries(refused)) {
    test(`refuses ${JSON.stringify(input)} saying ${reason}`, () => {
      const result = normalizeHostname(input);
      expect(result.ok).toBe(false);
      if (result.ok) return;
      expect(result.issues[0]).toMatchObject({ code: "hostname_invalid", path: "/hostname" });
      expect(result.issues[0].message).toContain(reason);
    });
  }

  test("refuses labels over 63 and names over 253 characters", () => {
    const long = normalizeHostname(`${"a".repeat(64)}.example`);
    expect(long.ok ? "" : long.issues[0].message).toContain("63");
    const total = normalizeHostname(`${"a".repeat(60)}.`.repeat(5) + "example");
    expect(total.ok ? "" : total.issues[0].message).toContain("253");
  });
});

describe("matchesPattern (RFC 6125)", () => {
  test("*.example.test matches x.example.test only (C13)", () => {
    expect(matchesPattern("*.example.test", "x.example.test")).toBe(true);
    expect(matchesPattern("*.example.test", "a.b.example.test")).toBe(false);
    expect(matchesPattern("*.example.test", "example.test")).toBe(false);
  });

  test("never honours a wildcard over a public suffix or inside a label", () => {
    expect(matchesPattern("*.com", "example.com")).toBe(false);
    expect(matchesPattern("f*.example.test", "foo.example.test")).toBe(false);
    expect(matchesPattern("*.*.example.test", "a.b.example.test")).toBe(false);
  });

  test("never matches a certificate name that ends in a dot, as OpenSSL does not", () => {
    expect(matchesPattern("appliance.example.test.", "appliance.example.test")).toBe(false);
    expect(matchesPattern("*.example.test.", "x.example.test")).toBe(false);
    expect(matchesPattern("appliance.example.test", "appliance.example.test")).toBe(true);
  });

  test("compares case-insensitively and in IDNA form", () => {
    expect(matchesPattern("Appliance.EXAMPLE.test", "appliance.example.test")).toBe(true);
    expect(matchesPattern("*.bücher.example", "www.xn--bcher-kva.example")).toBe(true);
  });
});

describe("certificateNames and matchesHostname", () => {
  test("lists SAN DNS names and IP addresses", () => {
    const issued = pki.issue({
      name: "names-ip",
      san: "DNS:Appliance.example.test,DNS:*.example.test,IP:192.0.2.7,IP:2001:db8::1",
    });
    expect(certificateNames(cert(issued.der))).toEqual({
      dns: ["appliance.example.test", "*.example.test"],
      ip: ["192.0.2.7", "2001:db8::1"],
    });
    expect(matchesHostname(cert(issued.der), "x.example.test")).toBe(true);
    expect(matchesHostname(cert(issued.der), "a.b.example.test")).toBe(false);
    expect(matchesHostname(cert(issued.der), "192.0.2.7")).toBe(true);
    expect(matchesHostname(cert(issued.der), "[2001:db8:0::1]")).toBe(true);
  });

  test("ignores the CN: a certificate without SAN matches nothing", () => {
    const cnOnly = pki.issue({ name: "names-cn-only", san: null });
    expect(matchesHostname(cert(cnOnly.der), pki.hostname)).toBe(false);
  });

  test("matches the test leaf to its hostname, written any way", () => {
    expect(matchesHostname(cert(pki.leaf.der), "APPLIANCE.example.test.")).toBe(true);
    expect(matchesHostname(cert(pki.leaf.der), "other.example.test")).toBe(false);
  });
});
