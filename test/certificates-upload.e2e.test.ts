/**
 * Certificate uploads the appliance must accept, in the forms operators send
 * them (cases C2, C4–C10, C13, C14 of cases/certificates.md): each is served
 * at once, leaf → intermediate, and a client that trusts only the test root
 * completes a handshake for the appliance's hostname.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { randomBytes } from "node:crypto";
import { readFileSync } from "node:fs";
import { createSealer } from "../src/secrets.ts";
import { makeTestPki, openssl } from "../src/pki/testing/openssl-pki.ts";
import { freePort, startAppliance } from "./helpers/appliance.ts";
import type { CallOptions, RunningAppliance } from "./helpers/appliance.ts";
import { fingerprint, getTrusting, presented } from "./helpers/certificates.ts";
import { query } from "./helpers/database.ts";

const pki = makeTestPki();
const { root, intermediate, leaf } = pki;
const secretKey = randomBytes(32);
let appliance: RunningAppliance;
let adminPort: number;

beforeAll(async () => {
  adminPort = await freePort();
  appliance = await startAppliance({
    PORTICO_ADMIN_PORT: String(adminPort),
    PORTICO_SECRET_KEY: secretKey.toString("base64"),
  });
  appliance.trusted = [root.pem, ...appliance.trusted];
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

const good = { certificate: leaf.pem, private_key: leaf.keyPem, chain: intermediate.pem };

/** Uploads, expects 200, and proves the new chain is served and verifies against the root. */
async function accepted(options: CallOptions, expected = leaf) {
  const answer = await appliance.call("PUT", "/api/v1/tls/clean/certificate", options);
  expect(answer.status).toBe(200);
  expect(answer.json.fingerprint_sha256).toBe(fingerprint(expected.pem));
  expect(answer.json.source).toBe("uploaded");
  expect(presented(appliance.port)).toEqual([
    fingerprint(expected.pem),
    fingerprint(intermediate.pem),
  ]);
  expect((await getTrusting(appliance.port, [root.pem])).json).toEqual({ status: "ok" });
  return answer.json;
}

/** The stored key of the clean interface, opened with the appliance's secret key. */
async function storedKey(): Promise<string> {
  const [row] = await query(
    appliance.dataDir,
    "SELECT private_key_sealed FROM " +
      "tls_certificates WHERE interface = 'clean' AND status = 'active'",
  );
  const sealed = row.private_key_sealed as string;
  expect(sealed).not.toContain("PRIVATE KEY");
  return (await createSealer(new Uint8Array(secretKey), "tls-identity")).open(sealed);
}

function multipart(
  files: Record<string, string | Uint8Array>,
  fields: Record<string, string> = {},
) {
  const form = new FormData();
  for (const [name, content] of Object.entries(files)) {
    form.set(name, new File([content as BlobPart], `${name}.bin`));
  }
  for (const [name, value] of Object.entries(fields)) form.set(name, value);
  return form;
}

describe("an accepted upload is served at once and verifies against the CA", () => {
  test("serves leaf → intermediate from PEM fields and stores the key sealed as PKCS#8", async () => {
    const details = await accepted({ json: good });
    expect(details.chain.map((c: { fingerprint_sha256: string }) => c.fingerprint_sha256)).toEqual([
      fingerprint(intermediate.pem),
    ]);
    expect(details).toMatchObject({ hostname_matches: true, reordered: false, warnings: [] });
    expect(await storedKey()).toStartWith("-----BEGIN PRIVATE KEY-----");
  });

  test("reorders a bundle with the root and intermediate before the leaf, and says so (C2)", async () => {
    const details = await accepted({
      json: { certificate: root.pem + intermediate.pem + leaf.pem, private_key: leaf.keyPem },
    });
    expect(details.reordered).toBe(true);
    expect(details.reorder_description).toContain("leaf first");
    expect(details.reorder_description).toContain("is not served");
  });

  test("accepts CRLF line endings with the same fingerprint as LF (C4)", async () => {
    await accepted({
      json: {
        certificate: leaf.pem.replaceAll("\n", "\r\n"),
        private_key: leaf.keyPem.replaceAll("\n", "\r\n"),
        chain: intermediate.pem.replaceAll("\n", "\r\n"),
      },
    });
  });

  test("accepts PEM lines with trailing spaces and tabs (C5)", async () => {
    const padded = (pem: string) => pem.replaceAll("\n", " \t \n");
    await accepted({
      json: {
        certificate: padded(leaf.pem),
        private_key: padded(leaf.keyPem),
        chain: padded(intermediate.pem),
      },
    });
  });

  test("accepts PEM whose line breaks became spaces or literal \\n in a single-line field", async () => {
    await accepted({
      json: {
        certificate: leaf.pem.replaceAll("\n", " "),
        private_key: leaf.keyPem.replaceAll("\n", "\\n"),
        chain: intermediate.pem.replaceAll("\n", "\\n"),
      },
    });
  });

  test("accepts binary DER files in a multipart form and base64 DER in JSON (C6)", async () => {
    await accepted({
      multipart: multipart({
        certificate: leaf.der,
        private_key: leaf.keyPem,
        chain: intermediate.der,
      }),
    });
    const b64 = (der: Uint8Array) => Buffer.from(der).toString("base64");
    await accepted({ json: { ...good, certificate: b64(leaf.der), chain: b64(intermediate.der) } });
  });

  test("accepts an RSA key as PKCS#1 and stores it as PKCS#8 (C7)", async () => {
    const pkcs1 = openssl(["rsa", "-in", leaf.keyPath, "-traditional"]).toString();
    expect(pkcs1).toStartWith("-----BEGIN RSA PRIVATE KEY-----");
    await accepted({ json: { ...good, private_key: pkcs1 } });
    expect(await storedKey()).toStartWith("-----BEGIN PRIVATE KEY-----");
  });

  test("accepts an EC P-256 key as SEC1 (C8)", async () => {
    const ecLeaf = pki.issue({ name: "e2e-ec-leaf", key: "ec-p256" });
    const sec1 = openssl(["ec", "-in", pki.key("ec-p256")]).toString();
    expect(sec1).toStartWith("-----BEGIN EC PRIVATE KEY-----");
    const details = await accepted(
      { json: { ...good, certificate: ecLeaf.pem, private_key: sec1 } },
      ecLeaf,
    );
    expect(details.key_algorithm).toBe("ecdsa-p256");
  });

  test("serves an EC key written with explicit curve parameters, stored on its named curve", async () => {
    const explicitPath = pki.key("ec-p256-explicit");
    const named = pki.write(
      "e2e-named-curve.key",
      openssl(["ec", "-in", explicitPath, "-param_enc", "named_curve"]),
    );
    const ecLeaf = pki.issue({ name: "e2e-named-curve-leaf", key: { path: named } });
    const explicit = readFileSync(explicitPath, "utf8");
    expect(explicit).toStartWith("-----BEGIN EC PARAMETERS-----");
    await accepted({ json: { ...good, certificate: ecLeaf.pem, private_key: explicit } }, ecLeaf);
    const stored = openssl(["pkey", "-noout", "-text"], { input: await storedKey() }).toString();
    expect(stored).toContain("ASN1 OID: prime256v1");
  });

  test("accepts encrypted keys with the right passphrase and stores them unencrypted (C9)", async () => {
    const pkcs8 = openssl([
      "pkcs8",
      "-topk8",
      "-in",
      leaf.keyPath,
      "-v2",
      "aes-256-cbc",
      "-passout",
      "pass:s3cret",
    ]).toString();
    const legacy = openssl([
      "rsa",
      "-in",
      leaf.keyPath,
      "-traditional",
      "-aes256",
      "-passout",
      "pass:s3cret",
    ]).toString();
    for (const key of [pkcs8, legacy]) {
      await accepted({ json: { ...good, private_key: key, passphrase: "s3cret" } });
      expect(await storedKey()).toStartWith("-----BEGIN PRIVATE KEY-----");
    }
  });

  test("accepts a key encrypted with an empty passphrase when an empty one is sent", async () => {
    const key = openssl(["pkcs8", "-topk8", "-in", leaf.keyPath, "-passout", "pass:"]).toString();
    await accepted({ json: { ...good, private_key: key, passphrase: "" } });
    await accepted({ multipart: multipart({ ...good, private_key: key }, { passphrase: "" }) });
    expect(await storedKey()).toStartWith("-----BEGIN PRIVATE KEY-----");
  });

  test("reads several chain parts of a form as one bundle", async () => {
    const form = multipart({ certificate: leaf.pem, private_key: leaf.keyPem });
    form.append("chain", new File([root.der as BlobPart], "root.cer"));
    form.append("chain", new File([intermediate.pem], "intermediate.pem"));
    const details = await accepted({ multipart: form });
    expect(details.reordered).toBe(true);
  });

  /** The test leaf, its key and the intermediate, as `openssl pkcs12 -export` makes them. */
  const exportPkcs12 = (passphrase: string) =>
    openssl([
      "pkcs12",
      "-export",
      "-inkey",
      leaf.keyPath,
      "-in",
      leaf.certPath,
      "-certfile",
      intermediate.certPath,
      "-passout",
      `pass:${passphrase}`,
    ]);

  test("accepts PKCS#12 from openssl, as base64 JSON and as a multipart file", async () => {
    const p12 = exportPkcs12("right");
    await accepted({ json: { pkcs12: p12.toString("base64"), passphrase: "right" } });
    await accepted({
      multipart: multipart({ pkcs12: new Uint8Array(p12) }, { passphrase: "right" }),
    });
  });

  test("accepts an OpenSSL 3 PKCS#12 (PBES2/AES) whose passphrase is not ASCII", async () => {
    const p12 = exportPkcs12("pässwörd");
    await accepted({ json: { pkcs12: p12.toString("base64"), passphrase: "pässwörd" } });
    await accepted({
      multipart: multipart({ pkcs12: new Uint8Array(p12) }, { passphrase: "pässwörd" }),
    });
  });

  test("serves a repeated intermediate once and warns about the copy (C14)", async () => {
    const details = await accepted({
      json: { ...good, chain: intermediate.pem + intermediate.pem },
    });
    expect(details.warnings.map((w: { code: string }) => w.code)).toEqual([
      "duplicate_certificate",
    ]);
  });

  test("accepts a wildcard certificate for one label below its domain (C13)", async () => {
    const wildcard = pki.issue({
      name: "e2e-wildcard",
      subject: "/CN=*.example.test",
      san: "DNS:*.example.test",
    });
    const details = await accepted({ json: { ...good, certificate: wildcard.pem } }, wildcard);
    expect(details.hostname_matches).toBe(true);
  });

  test("warns about a validity over 825 days but serves the certificate", async () => {
    const long = pki.issue({ name: "e2e-long", notAfter: new Date(Date.now() + 900 * 86_400_000) });
    const details = await accepted({ json: { ...good, certificate: long.pem } }, long);
    expect(details.warnings.map((w: { code: string }) => w.code)).toEqual(["validity_too_long"]);
  });
});

describe("warnings that do not stop an upload (on the admin interface)", () => {
  const upload = (json: unknown) =>
    appliance.call("PUT", "/api/v1/tls/admin/certificate", { json });
  const codes = (json: { warnings: { code: string }[] }) => json.warnings.map((w) => w.code);

  test("serves a certificate that is not valid until tomorrow, with a warning (C10)", async () => {
    const future = pki.issue({ name: "e2e-future", notBefore: new Date(Date.now() + 86_400_000) });
    const answer = await upload({ ...good, certificate: future.pem });
    expect(answer.status).toBe(200);
    expect(codes(answer.json)).toEqual(["not_yet_valid"]);
    expect(presented(adminPort)[0]).toBe(fingerprint(future.pem));
  });

  test("serves a certificate for another hostname, with a warning", async () => {
    const other = pki.issue({
      name: "e2e-other-host",
      subject: "/CN=other.example.test",
      san: "DNS:other.example.test",
    });
    const answer = await upload({ ...good, certificate: other.pem });
    expect(answer.status).toBe(200);
    expect(codes(answer.json)).toEqual(["hostname_mismatch"]);
    expect(answer.json.hostname_matches).toBe(false);
    expect(presented(adminPort)[0]).toBe(fingerprint(other.pem));
  });

  test("serves a leaf without its intermediate when the override is given, then the fixed chain (C3)", async () => {
    const answer = await upload({
      certificate: leaf.pem,
      private_key: leaf.keyPem,
      allow_incomplete_chain: true,
    });
    expect(answer.status).toBe(200);
    expect(codes(answer.json)).toEqual(["chain_incomplete"]);
    expect(presented(adminPort)).toEqual([fingerprint(leaf.pem)]);
    await expect(getTrusting(adminPort, [root.pem])).rejects.toThrow();

    const fixed = await upload(good);
    expect(fixed.status).toBe(200);
    expect(presented(adminPort)).toEqual([fingerprint(leaf.pem), fingerprint(intermediate.pem)]);
    expect((await getTrusting(adminPort, [root.pem])).status).toBe(200);
  });
});

describe("after a restart", () => {
  test("the uploaded chain is still served from the stored key", async () => {
    await accepted({ json: good });
    await appliance.restart();
    expect(presented(appliance.port)).toEqual([
      fingerprint(leaf.pem),
      fingerprint(intermediate.pem),
    ]);
    expect((await getTrusting(appliance.port, [root.pem])).status).toBe(200);
  });
});
