import { describe, expect, test } from "bun:test";
import { createPrivateKey } from "node:crypto";
import { readFileSync } from "node:fs";
import { sha256Hex } from "./encoding.ts";
import { prepareUpload, type PreparedCertificate, type UploadInput } from "./prepare.ts";
import type { PkiIssue } from "./result.ts";
import { makeTestPki, openssl } from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const { root, intermediate, leaf, hostname } = pki;
const base = { certificate: leaf.pem, private_key: leaf.keyPem, chain: intermediate.pem, hostname };

function prepared(input: UploadInput): PreparedCertificate {
  const result = prepareUpload(input);
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function refused(input: UploadInput): PkiIssue[] {
  const result = prepareUpload(input);
  if (result.ok) throw new Error("expected the upload to be refused");
  return result.issues;
}

describe("prepareUpload", () => {
  test("accepts leaf, key and intermediate, serving leaf → intermediate", () => {
    const value = prepared(base);
    expect(value.summary.fingerprint_sha256).toBe(sha256Hex(leaf.der));
    expect(value.chain.map((c) => c.fingerprint_sha256)).toEqual([sha256Hex(intermediate.der)]);
    expect(value.chainPems).toEqual([intermediate.pem]);
    expect(value.privateKeyPem).toStartWith("-----BEGIN PRIVATE KEY-----");
    expect(value.keyAlgorithm).toBe("rsa-2048");
    expect(value.warnings).toEqual([]);
    expect(value.reordered).toBe(false);
  });

  test("rejects a private key that does not match the certificate (C1)", () => {
    const issues = refused({ ...base, private_key: pki.otherKeyPem });
    expect(issues.map((i) => i.code)).toEqual(["key_mismatch"]);
  });

  test("reorders a chain file with root and intermediate before the leaf (C2)", () => {
    const value = prepared({
      certificate: root.pem + intermediate.pem + leaf.pem,
      private_key: leaf.keyPem,
      hostname,
    });
    expect(value.leafPem).toBe(leaf.pem);
    expect(value.chainPems).toEqual([intermediate.pem]);
    expect(value.root?.fingerprint_sha256).toBe(sha256Hex(root.der));
    expect(value.reordered).toBe(true);
    expect(value.reorderDescription).toContain("leaf first");
  });

  test("refuses a leaf and key without the intermediate (C3)", () => {
    const issues = refused({ certificate: leaf.pem, private_key: leaf.keyPem });
    expect(issues[0].code).toBe("chain_incomplete");
    expect(issues[0].message).toContain("Portico Test Intermediate CA");
  });

  test("gives the same fingerprint for CRLF and padded PEM as for LF (C4, C5)", () => {
    const crlf = prepared({
      ...base,
      certificate: leaf.pem.replace(/\n/g, " \t\r\n"),
      private_key: leaf.keyPem.replace(/\n/g, "\r\n"),
    });
    expect(crlf.summary.fingerprint_sha256).toBe(sha256Hex(leaf.der));
  });

  test("accepts certificate, key and chain pasted through a single-line field", () => {
    const spaces = (pem: string) => pem.replace(/\n/g, " ");
    const value = prepared({
      certificate: spaces(leaf.pem),
      private_key: leaf.keyPem.replace(/\n/g, "\\n"),
      chain: spaces(intermediate.pem),
      hostname,
    });
    expect(value.leafPem).toBe(leaf.pem);
    expect(value.chainPems).toEqual([intermediate.pem]);
  });

  test("accepts DER bytes and base64 DER in the certificate field (C6)", () => {
    expect(prepared({ ...base, certificate: leaf.der }).leafPem).toBe(leaf.pem);
    const base64 = Buffer.from(leaf.der).toString("base64");
    expect(prepared({ ...base, certificate: base64 }).leafPem).toBe(leaf.pem);
  });

  test("accepts a legacy encrypted key with its passphrase, storing it unencrypted (C9)", () => {
    const encrypted = openssl([
      "rsa",
      "-in",
      leaf.keyPath,
      "-traditional",
      "-aes256",
      "-passout",
      "pass:s3cret",
    ]).toString();
    expect(refused({ ...base, private_key: encrypted })[0].code).toBe("key_encrypted");
    expect(refused({ ...base, private_key: encrypted, passphrase: "x" })[0].code).toBe(
      "passphrase_wrong",
    );
    const value = prepared({ ...base, private_key: encrypted, passphrase: "s3cret" });
    expect(createPrivateKey(value.privateKeyPem).asymmetricKeyType).toBe("rsa");
  });

  test("refuses an expired leaf and accepts a not-yet-valid one with a warning (C10)", () => {
    const expired = pki.issue({
      name: "prepare-expired",
      notBefore: new Date("2020-01-01"),
      notAfter: new Date("2021-01-01"),
    });
    expect(refused({ ...base, certificate: expired.pem }).map((i) => i.code)).toEqual([
      "certificate_expired",
    ]);
    const future = pki.issue({
      name: "prepare-future",
      notBefore: new Date(Date.now() + 86_400_000),
    });
    expect(prepared({ ...base, certificate: future.pem }).warnings.map((w) => w.code)).toEqual([
      "not_yet_valid",
    ]);
  });

  test("reports every problem of the certificate and key fields at once", () => {
    const twoKeys = leaf.keyPem + pki.otherKeyPem;
    const issues = refused({ certificate: leaf.keyPem, private_key: twoKeys });
    expect(issues.map((i) => [i.code, i.path])).toEqual([
      ["certificate_missing", "/certificate"],
      ["multiple_private_keys", "/private_key"],
    ]);
  });

  test("takes the key from a combined certificate-and-key PEM", () => {
    const value = prepared({ certificate: leaf.keyPem + leaf.pem + intermediate.pem });
    expect(value.summary.fingerprint_sha256).toBe(sha256Hex(leaf.der));
  });

  test("takes the key from a combined certificate-and-key file uploaded as bytes", () => {
    const file = new TextEncoder().encode(leaf.pem + leaf.keyPem + intermediate.pem);
    expect(prepared({ certificate: file, hostname }).summary.fingerprint_sha256).toBe(
      sha256Hex(leaf.der),
    );
  });

  test("warns that a private key in the chain field was ignored", () => {
    const value = prepared({ ...base, chain: intermediate.pem + leaf.keyPem });
    expect(value.warnings.map((w) => w.code)).toEqual(["private_key_ignored"]);
    expect(value.warnings[0].message).toContain("The /chain field holds a private key");
  });

  test("says where the key is when it was put in the chain instead of private_key", () => {
    const issues = refused({ certificate: leaf.pem, chain: intermediate.pem + leaf.keyPem });
    expect(issues.map((i) => [i.code, i.path])).toEqual([["key_missing", "/private_key"]]);
    expect(issues[0].message).toContain("the private key found in /chain");
  });

  test("warns when the certificate field holds another key than private_key", () => {
    const other = prepared({ ...base, certificate: leaf.pem + pki.otherKeyPem });
    expect(other.warnings.map((w) => w.code)).toEqual(["private_key_ignored"]);
    expect(other.warnings[0].message).toContain("not the one in /private_key");
    const same = prepared({ ...base, certificate: leaf.pem + leaf.keyPem });
    expect(same.warnings).toEqual([]);
  });

  test("accepts a PKCS#12 file with its passphrase", () => {
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
      "pass:s3cret",
    ]).toString("base64");
    const value = prepared({ pkcs12: p12, passphrase: "s3cret", hostname });
    expect(value.summary.fingerprint_sha256).toBe(sha256Hex(leaf.der));
    expect(value.chainPems).toEqual([intermediate.pem]);
    expect(refused({ pkcs12: p12, passphrase: "nope" })[0].code).toBe("passphrase_wrong");
  });

  test("refuses a certificate with explicit EC parameters as key_unsupported, not a mismatch", () => {
    const explicitKey = readFileSync(pki.key("ec-p256-explicit"), "utf8");
    expect(explicitKey).toStartWith("-----BEGIN EC PARAMETERS-----");
    const cert = pki.issue({ name: "prepare-explicit-ec", key: "ec-p256-explicit" });
    const issues = refused({ ...base, certificate: cert.pem, private_key: explicitKey });
    expect(issues.map((i) => [i.code, i.path])).toEqual([["key_unsupported", "/certificate"]]);
    expect(issues[0].message).toContain("explicit curve parameters");
    expect(issues[0].message).toContain("openssl ec -in key.pem -param_enc named_curve");
  });

  test("accepts an explicit-parameters EC key with a certificate for its named curve", () => {
    const explicitPath = pki.key("ec-p256-explicit");
    const named = pki.write(
      "prepare-named.key",
      openssl(["ec", "-in", explicitPath, "-param_enc", "named_curve"]),
    );
    const cert = pki.issue({ name: "prepare-named-ec", key: { path: named } });
    const explicitKey = readFileSync(explicitPath, "utf8");
    const value = prepared({ ...base, certificate: cert.pem, private_key: explicitKey });
    expect(value.summary.fingerprint_sha256).toBe(sha256Hex(cert.der));
    expect(value.keyAlgorithm).toBe("ecdsa-p256");
  });

  test("warns when the certificate does not name the appliance's hostname", () => {
    const value = prepared({ ...base, hostname: "other.example.test" });
    expect(value.warnings.map((w) => w.code)).toEqual(["hostname_mismatch"]);
  });
});
