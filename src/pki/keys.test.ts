import { describe, expect, test } from "bun:test";
import { createPrivateKey } from "node:crypto";
import { parsePrivateKey, type ParsedPrivateKey } from "./keys.ts";
import type { PkiIssue } from "./result.ts";
import { makeTestPki, openssl } from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const leafKey = pki.leaf.keyPath;
const text = (args: string[], input?: string) => openssl(args, { input }).toString();

function parsed(input: string | Uint8Array, passphrase?: string): ParsedPrivateKey {
  const result = parsePrivateKey(input, { passphrase });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function refused(input: string | Uint8Array, passphrase?: string): PkiIssue {
  const result = parsePrivateKey(input, { passphrase });
  if (result.ok) throw new Error("expected the key to be refused");
  return result.issues[0];
}

const reference = parsed(pki.leaf.keyPem);

describe("parsePrivateKey: formats", () => {
  test("accepts RSA as PKCS#1 and PKCS#8 and stores both as the same PKCS#8 (C7)", () => {
    const pkcs1 = text(["pkey", "-in", leafKey, "-traditional"]);
    expect(pkcs1).toContain("BEGIN RSA PRIVATE KEY");
    const fromPkcs1 = parsed(pkcs1);
    expect(fromPkcs1.pkcs8Pem).toBe(reference.pkcs8Pem);
    expect(fromPkcs1.pkcs8Pem).toStartWith("-----BEGIN PRIVATE KEY-----");
    expect(fromPkcs1.spkiSha256).toBe(reference.spkiSha256);
    expect(fromPkcs1.algorithm).toBe("rsa-2048");
  });

  test("accepts an EC P-256 key as SEC1 (C8)", () => {
    const sec1 = text(["ec", "-in", pki.key("ec-p256")]);
    expect(sec1).toContain("BEGIN EC PRIVATE KEY");
    const key = parsed(sec1);
    expect(key.algorithm).toBe("ecdsa-p256");
    expect(key.pkcs8Pem).toStartWith("-----BEGIN PRIVATE KEY-----");
  });

  test("reads an EC key with explicit curve parameters as the same key on its named curve", () => {
    const explicit = pki.key("ec-p256-explicit");
    const file = text(["ec", "-in", explicit, "-param_enc", "explicit"]);
    expect(text(["ec", "-in", explicit, "-noout", "-text"])).toContain("Field Type: prime-field");
    const named = text(["ec", "-in", explicit, "-param_enc", "named_curve"]);
    const key = parsed(file);
    expect(key.algorithm).toBe("ecdsa-p256");
    expect(key.spkiSha256).toBe(parsed(named).spkiSha256);
    const stored = text(["pkey", "-noout", "-text"], key.pkcs8Pem);
    expect(stored).toContain("ASN1 OID: prime256v1");
    expect(stored).not.toContain("Field Type");
  });

  test("names P-384 keys ecdsa-p384", () => {
    expect(parsed(text(["pkey", "-in", pki.key("ec-p384")])).algorithm).toBe("ecdsa-p384");
  });

  test("accepts DER keys (PKCS#8, PKCS#1, SEC1), as bytes and as base64", () => {
    const pkcs8 = openssl(["pkey", "-in", leafKey, "-outform", "DER"]);
    expect(parsed(new Uint8Array(pkcs8)).spkiSha256).toBe(reference.spkiSha256);
    expect(parsed(pkcs8.toString("base64")).spkiSha256).toBe(reference.spkiSha256);
    const pkcs1 = openssl(["rsa", "-in", leafKey, "-outform", "DER", "-traditional"]);
    expect(parsed(new Uint8Array(pkcs1)).spkiSha256).toBe(reference.spkiSha256);
    const sec1 = openssl(["ec", "-in", pki.key("ec-p256"), "-outform", "DER"]);
    expect(parsed(new Uint8Array(sec1)).algorithm).toBe("ecdsa-p256");
  });

  test("accepts CRLF line endings and trailing whitespace in a key", () => {
    expect(parsed(pki.leaf.keyPem.replace(/\n/g, " \t\r\n")).spkiSha256).toBe(reference.spkiSha256);
  });

  test("accepts keys whose line breaks were lost in a paste, headers included", () => {
    expect(parsed(pki.leaf.keyPem.replace(/\n/g, " ")).spkiSha256).toBe(reference.spkiSha256);
    expect(parsed(pki.leaf.keyPem.replace(/\n/g, "\\n")).spkiSha256).toBe(reference.spkiSha256);
    const legacy = text(["rsa", "-in", leafKey, "-traditional", "-aes256", "-passout", "pass:x"]);
    expect(legacy).toContain("DEK-Info: AES-256-CBC,");
    expect(parsed(legacy.replace(/\n/g, " "), "x").spkiSha256).toBe(reference.spkiSha256);
    expect(parsed(legacy.replace(/\n/g, "\\n"), "x").spkiSha256).toBe(reference.spkiSha256);
  });

  test("accepts Ed25519, which the listener can serve, with a client-support warning", () => {
    const key = parsed(text(["pkey", "-in", pki.key("ed25519")]));
    expect(key.algorithm).toBe("ed25519");
    expect(key.warnings.map((w) => w.code)).toEqual(["limited_client_support"]);
  });
});

describe("parsePrivateKey: encrypted keys (C9)", () => {
  const encrypted = {
    "encrypted PKCS#8": text(["pkcs8", "-topk8", "-in", leafKey, "-passout", "pass:s3cret"]),
    "encrypted PKCS#8 with legacy 3DES": text([
      "pkcs8",
      "-topk8",
      "-in",
      leafKey,
      "-v1",
      "PBE-SHA1-3DES",
      "-passout",
      "pass:s3cret",
    ]),
    "legacy Proc-Type RSA": text([
      "rsa",
      "-in",
      leafKey,
      "-traditional",
      "-aes256",
      "-passout",
      "pass:s3cret",
    ]),
    "legacy Proc-Type EC": text([
      "ec",
      "-in",
      pki.key("ec-p256"),
      "-aes128",
      "-passout",
      "pass:s3cret",
    ]),
  };

  for (const [name, pem] of Object.entries(encrypted)) {
    test(`${name}: key_encrypted without a passphrase`, () => {
      expect(refused(pem)).toMatchObject({ code: "key_encrypted", path: "/private_key" });
      expect(refused(pem, "").code).toBe("key_encrypted");
    });

    test(`${name}: passphrase_wrong with a wrong passphrase`, () => {
      expect(refused(pem, "wrong")).toMatchObject({
        code: "passphrase_wrong",
        path: "/passphrase",
      });
    });

    test(`${name}: accepted with the right one, stored unencrypted`, () => {
      const key = parsed(pem, "s3cret");
      expect(key.pkcs8Pem).toStartWith("-----BEGIN PRIVATE KEY-----");
      expect(key.pkcs8Pem).not.toContain("ENCRYPTED");
      expect(createPrivateKey(key.pkcs8Pem).type).toBe("private");
    });
  }

  test("detects an encrypted DER PKCS#8 key", () => {
    const der = openssl([
      "pkcs8",
      "-topk8",
      "-in",
      leafKey,
      "-outform",
      "DER",
      "-passout",
      "pass:s3cret",
    ]);
    expect(refused(new Uint8Array(der)).code).toBe("key_encrypted");
    expect(parsed(new Uint8Array(der), "s3cret").spkiSha256).toBe(reference.spkiSha256);
  });

  test("opens a PKCS#8 key encrypted with an empty passphrase when one is given", () => {
    const pem = text(["pkcs8", "-topk8", "-in", leafKey, "-passout", "pass:"]);
    expect(pem).toStartWith("-----BEGIN ENCRYPTED PRIVATE KEY-----");
    expect(parsed(pem, "").spkiSha256).toBe(reference.spkiSha256);
    const der = openssl([
      "pkcs8",
      "-topk8",
      "-in",
      leafKey,
      "-outform",
      "DER",
      "-passout",
      "pass:",
    ]);
    expect(parsed(new Uint8Array(der), "").spkiSha256).toBe(reference.spkiSha256);
    expect(refused(pem)).toMatchObject({ code: "key_encrypted", path: "/private_key" });
    expect(refused(pem, "x").code).toBe("passphrase_wrong");
  });

  test("says an empty passphrase does not open a key that has a real one", () => {
    const pem = text(["pkcs8", "-topk8", "-in", leafKey, "-passout", "pass:s3cret"]);
    const issue = refused(pem, "");
    expect(issue.code).toBe("key_encrypted");
    expect(issue.message).toContain("the empty passphrase given does not open it");
  });
});

describe("parsePrivateKey: refused keys", () => {
  test("refuses RSA 1024 and 1536 as weak_key (C15)", () => {
    for (const type of ["rsa-1024", "rsa-1536"] as const) {
      const issue = refused(text(["pkey", "-in", pki.key(type)]));
      expect(issue.code).toBe("weak_key");
      expect(issue.message).toContain(type.slice(4) + "-bit");
    }
  });

  test("refuses a curve the listener cannot serve, naming it", () => {
    const issue = refused(text(["ec", "-in", pki.key("ec-secp256k1")]));
    expect(issue.code).toBe("key_unsupported");
    expect(issue.message).toContain("secp256k1");
  });

  test("refuses a file holding two different private keys (C16)", () => {
    const issue = refused(pki.leaf.keyPem + pki.otherKeyPem);
    expect(issue.code).toBe("multiple_private_keys");
    expect(issue.message).toContain("2 different private keys");
  });

  test("accepts the same key pasted twice", () => {
    expect(parsed(pki.leaf.keyPem + pki.leaf.keyPem).spkiSha256).toBe(reference.spkiSha256);
  });

  test("accepts one key sent both as PKCS#1 and as PKCS#8", () => {
    const pkcs1 = text(["pkey", "-in", leafKey, "-traditional"]);
    expect(parsed(pkcs1 + pki.leaf.keyPem).spkiSha256).toBe(reference.spkiSha256);
    const encrypted = text(["pkcs8", "-topk8", "-in", leafKey, "-passout", "pass:s3cret"]);
    expect(parsed(pkcs1 + encrypted, "s3cret").spkiSha256).toBe(reference.spkiSha256);
  });

  test("does not call keys different when one of them cannot be opened", () => {
    const encrypted = text(["pkcs8", "-topk8", "-in", leafKey, "-passout", "pass:s3cret"]);
    const issue = refused(pki.leaf.keyPem + encrypted);
    expect(issue.code).toBe("multiple_private_keys");
    expect(issue.message).toContain("holds 2 private keys (PRIVATE KEY, ENCRYPTED PRIVATE KEY)");
  });

  test("names a certificate given instead of a key", () => {
    const issue = refused(pki.leaf.pem);
    expect(issue.code).toBe("key_missing");
    expect(issue.message).toContain("CERTIFICATE");
  });

  test("refuses a damaged key as key_invalid", () => {
    const lines = pki.leaf.keyPem.split("\n");
    lines[5] = "A".repeat(64);
    expect(refused(lines.join("\n")).code).toBe("key_invalid");
  });

  test("refuses an OpenSSH key with the command that converts it", () => {
    const ssh =
      "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n" +
      "-----END OPENSSH PRIVATE KEY-----\n";
    expect(refused(ssh)).toMatchObject({ code: "key_unsupported" });
    expect(refused(ssh).message).toContain("ssh-keygen");
  });
});
