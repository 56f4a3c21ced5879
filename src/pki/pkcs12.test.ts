import { describe, expect, test } from "bun:test";
import { sha256Hex } from "./encoding.ts";
import { parsePrivateKey } from "./keys.ts";
import { readPkcs12 } from "./pkcs12.ts";
import { makeTestPki, openssl } from "./testing/openssl-pki.ts";

const pki = makeTestPki();

function exportP12(extra: string[], key = pki.leaf.keyPath, cert = pki.leaf.certPath) {
  return new Uint8Array(
    openssl([
      "pkcs12",
      "-export",
      "-inkey",
      key,
      "-in",
      cert,
      "-certfile",
      pki.intermediate.certPath,
      ...extra,
    ]),
  );
}

const leafKeySpki = (() => {
  const key = parsePrivateKey(pki.leaf.keyPem);
  if (!key.ok) throw new Error("test key unreadable");
  return key.value.spkiSha256;
})();

describe("readPkcs12", () => {
  const files = {
    "modern AES (OpenSSL 3 default)": exportP12(["-passout", "pass:s3cret"]),
    "legacy RC2/3DES (-legacy)": exportP12(["-legacy", "-passout", "pass:s3cret"]),
  };

  for (const [name, bytes] of Object.entries(files)) {
    test(`opens a ${name} file with the right passphrase, certificates byte-exact`, () => {
      const result = readPkcs12(bytes, "s3cret");
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      expect(result.value.certificates.map(sha256Hex).sort()).toEqual(
        [pki.leaf.der, pki.intermediate.der].map(sha256Hex).sort(),
      );
      expect(result.value.privateKey.spkiSha256).toBe(leafKeySpki);
      expect(result.value.privateKey.pkcs8Pem).toStartWith("-----BEGIN PRIVATE KEY-----");
    });

    test(`refuses a ${name} file with a wrong passphrase as passphrase_wrong`, () => {
      const result = readPkcs12(bytes, "wrong");
      expect(result.ok ? undefined : result.issues[0]).toMatchObject({
        code: "passphrase_wrong",
        path: "/passphrase",
      });
    });
  }

  for (const [name, extra] of [
    ["modern AES (OpenSSL 3 default)", []],
    ["legacy RC2/3DES (-legacy)", ["-legacy"]],
  ] as const) {
    test(`opens a ${name} file whose passphrase is not ASCII, and refuses a near miss`, () => {
      const bytes = exportP12([...extra, "-passout", "pass:pässwörd €"]);
      const result = readPkcs12(bytes, "pässwörd €");
      if (!result.ok) throw new Error(JSON.stringify(result.issues));
      expect(result.value.privateKey.spkiSha256).toBe(leafKeySpki);
      expect(result.value.certificates.map(sha256Hex)).toContain(sha256Hex(pki.leaf.der));
      const wrong = readPkcs12(bytes, "passwörd €");
      expect(wrong.ok ? undefined : wrong.issues[0].code).toBe("passphrase_wrong");
    });
  }

  test("asks for the passphrase when none is given", () => {
    const result = readPkcs12(files["modern AES (OpenSSL 3 default)"]);
    expect(result.ok ? undefined : result.issues[0].code).toBe("passphrase_required");
  });

  test("opens a file protected by an empty passphrase without one", () => {
    const result = readPkcs12(exportP12(["-passout", "pass:"]));
    expect(result.ok).toBe(true);
  });

  test("reads base64 input and EC keys", () => {
    const bytes = exportP12(
      ["-passout", "pass:x"],
      pki.intermediate.keyPath,
      pki.intermediate.certPath,
    );
    const result = readPkcs12(Buffer.from(bytes).toString("base64"), "x");
    if (!result.ok) throw new Error(JSON.stringify(result.issues));
    expect(result.value.privateKey.algorithm).toBe("ecdsa-p256");
  });

  test("refuses a file without a private key", () => {
    const bytes = new Uint8Array(
      openssl(["pkcs12", "-export", "-nokeys", "-in", pki.leaf.certPath, "-passout", "pass:x"]),
    );
    expect(readPkcs12(bytes, "x")).toMatchObject({
      ok: false,
      issues: [{ code: "key_missing", path: "/pkcs12" }],
    });
  });

  test("refuses data that is not PKCS#12", () => {
    expect(readPkcs12("not a p12 at all", "x")).toMatchObject({
      ok: false,
      issues: [{ code: "pkcs12_invalid" }],
    });
    expect(readPkcs12(pki.leaf.der, "x")).toMatchObject({
      ok: false,
      issues: [{ code: "pkcs12_invalid" }],
    });
  });
});
