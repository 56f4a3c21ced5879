import { describe, expect, test } from "bun:test";
import { decodeCertificates } from "./pem.ts";
import { sha256Hex } from "./encoding.ts";
import { makeTestPki, openssl } from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const leafSha = sha256Hex(pki.leaf.der);

function fingerprints(input: string | Uint8Array, path?: string): string[] {
  const result = decodeCertificates(input, { path });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value.map(sha256Hex);
}

describe("decodeCertificates: PEM text as operators paste it", () => {
  test("accepts CRLF line endings with the same fingerprint as LF (C4)", () => {
    expect(fingerprints(pki.leaf.pem.replace(/\n/g, "\r\n"))).toEqual([leafSha]);
  });

  test("accepts CR-only and mixed line endings", () => {
    expect(fingerprints(pki.leaf.pem.replace(/\n/g, "\r"))).toEqual([leafSha]);
    const lines = pki.leaf.pem.split("\n");
    const mixed = lines.map((line, i) => line + ["\n", "\r\n", "\r"][i % 3]).join("");
    expect(fingerprints(mixed)).toEqual([leafSha]);
  });

  test("accepts trailing spaces and tabs on every line (C5)", () => {
    expect(fingerprints(pki.leaf.pem.replace(/\n/g, " \t  \n"))).toEqual([leafSha]);
  });

  const flattened = {
    "spaces for line breaks": (pem: string) => pem.replace(/\n/g, " "),
    "literal \\n sequences": (pem: string) => pem.replace(/\n/g, "\\n"),
    "literal \\r\\n sequences": (pem: string) => pem.replace(/\n/g, "\\r\\n"),
    "no line breaks at all": (pem: string) => pem.replace(/\n/g, ""),
  };

  for (const [kind, flatten] of Object.entries(flattened)) {
    test(`accepts PEM whose line breaks were lost in a paste: ${kind}`, () => {
      const text = flatten(pki.leaf.pem + pki.intermediate.pem);
      expect(text).not.toContain("\n");
      expect(fingerprints(text)).toEqual([leafSha, sha256Hex(pki.intermediate.der)]);
    });
  }

  test("accepts a UTF-8 byte-order mark and a UTF-16 file", () => {
    expect(fingerprints("\uFEFF" + pki.leaf.pem)).toEqual([leafSha]);
    const utf16 = new Uint8Array([0xff, 0xfe, ...Buffer.from(pki.leaf.pem, "utf16le")]);
    expect(fingerprints(utf16)).toEqual([leafSha]);
  });

  test("reads a bundle with openssl's Bag Attributes and subject= lines around blocks", () => {
    const bundle = openssl([
      "pkcs12",
      "-export",
      "-in",
      pki.leaf.certPath,
      "-inkey",
      pki.leaf.keyPath,
      "-certfile",
      pki.intermediate.certPath,
      "-passout",
      "pass:x",
    ]);
    const p12 = pki.write("bag.p12", bundle);
    const text = openssl(["pkcs12", "-in", p12, "-nokeys", "-passin", "pass:x"]).toString();
    expect(text).toContain("Bag Attributes");
    expect(fingerprints(text).sort()).toEqual([leafSha, sha256Hex(pki.intermediate.der)].sort());
  });

  test("keeps every block of a bundle in file order", () => {
    const bundle = pki.root.pem + "\n" + pki.intermediate.pem + pki.leaf.pem;
    expect(fingerprints(bundle)).toEqual(
      [pki.root.der, pki.intermediate.der, pki.leaf.der].map(sha256Hex),
    );
  });

  test("reads a PKCS#7 (.p7b) bundle in PEM and DER", () => {
    const pem = openssl([
      "crl2pkcs7",
      "-nocrl",
      "-certfile",
      pki.leaf.certPath,
      "-certfile",
      pki.intermediate.certPath,
    ]).toString();
    expect(pem).toContain("BEGIN PKCS7");
    expect(fingerprints(pem)).toHaveLength(2);
    const der = openssl(["crl2pkcs7", "-nocrl", "-certfile", pki.leaf.certPath, "-outform", "DER"]);
    expect(fingerprints(new Uint8Array(der))).toEqual([leafSha]);
  });
});

describe("decodeCertificates: DER where PEM is expected (C6)", () => {
  test("accepts binary DER bytes", () => {
    expect(fingerprints(pki.leaf.der)).toEqual([leafSha]);
  });

  test("accepts base64 of DER without PEM armour, with or without line breaks", () => {
    const base64 = Buffer.from(pki.leaf.der).toString("base64");
    expect(fingerprints(base64)).toEqual([leafSha]);
    expect(fingerprints(base64.replace(/(.{76})/g, "$1\r\n"))).toEqual([leafSha]);
  });

  test("accepts DER bytes that were read as Latin-1 text", () => {
    expect(fingerprints(Buffer.from(pki.leaf.der).toString("latin1"))).toEqual([leafSha]);
  });

  test("says DER when binary DER was decoded as UTF-8 and damaged", () => {
    const garbled = new TextDecoder().decode(pki.leaf.der);
    const result = decodeCertificates(garbled);
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0].code).toBe("der_garbled");
    expect(result.issues[0].message).toContain("DER");
    expect(result.issues[0].path).toBe("/certificate");
  });

  test("says DER when DER bytes are truncated", () => {
    const result = decodeCertificates(pki.leaf.der.subarray(0, 300));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.issues[0].code).toBe("certificate_invalid");
    expect(result.issues[0].message).toContain("DER");
  });
});

describe("decodeCertificates: the wrong thing in the certificate field", () => {
  function issueOf(input: string | Uint8Array) {
    const result = decodeCertificates(input);
    if (result.ok) throw new Error("expected a failure");
    return result.issues[0];
  }

  test("names a private key given instead of a certificate (C16)", () => {
    const issue = issueOf(pki.leaf.keyPem);
    expect(issue.code).toBe("certificate_missing");
    expect(issue.message).toContain("private key");
  });

  test("names a DER private key given instead of a certificate", () => {
    const der = openssl(["pkey", "-in", pki.leaf.keyPath, "-outform", "DER"]);
    const issue = issueOf(new Uint8Array(der));
    expect(issue.code).toBe("certificate_missing");
    expect(issue.message).toContain("private key");
  });

  test("names a certificate signing request", () => {
    const csr = new TextDecoder().decode(pki.read("leaf.csr"));
    expect(issueOf(csr).message).toContain("signing request");
  });

  test("reports a PEM block cut off before its END line", () => {
    const cut = pki.leaf.pem.split("\n").slice(0, 8).join("\n");
    expect(issueOf(cut).code).toBe("pem_truncated");
  });

  test("reports a damaged PEM body with its block number", () => {
    const lines = pki.leaf.pem.split("\n");
    lines[3] = lines[3].slice(0, 30) + "!!" + lines[3].slice(30);
    const damaged = pki.root.pem + lines.join("\n");
    const issue = issueOf(damaged);
    expect(issue.code).toBe("certificate_invalid");
    expect(issue.message).toContain("PEM block 2");
  });

  test("refuses empty input and free text with the field path", () => {
    expect(issueOf("  \n").code).toBe("certificate_missing");
    const issue = decodeCertificates("hello, this is my cert", { path: "/chain" });
    expect(issue.ok ? undefined : issue.issues[0]).toMatchObject({
      code: "certificate_invalid",
      path: "/chain",
    });
  });
});
