import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { createHash } from "node:crypto";
import { type TestPki, makeTestPki } from "../../src/pki/testing/openssl-pki.ts";
import { type RunningAppliance, startAppliance } from "../../test/helpers/appliance.ts";
import { queryDatabase } from "../../test/helpers/syndication.ts";

let app: RunningAppliance;
let pki: TestPki;

beforeAll(async () => {
  pki = makeTestPki();
  app = await startAppliance();
});

afterAll(async () => {
  await app.stop();
  app.cleanup();
});

const sha256 = (der: Uint8Array) => createHash("sha256").update(der).digest("hex");
const list = async () => (await app.call("GET", "/api/v1/ca-certificates")).json.items as any[];
const remove = (sha: string) => app.call("DELETE", `/api/v1/ca-certificates/${sha}`);
async function postRaw(body: string | Uint8Array, type: string) {
  const { verifiedRequest } = await import("../../test/helpers/https.ts");
  return verifiedRequest(
    { hostname: "appliance.example.test", address: "127.0.0.1", port: app.port, ca: app.trusted },
    "/api/v1/ca-certificates",
    {
      method: "POST",
      headers: { authorization: `Bearer ${app.adminKey}`, "content-type": type },
      body,
    },
  );
}

describe("adding CA certificates", () => {
  test("C4: a PEM with CRLF line endings is the same certificate as the LF file", async () => {
    const crlf = pki.root.pem.replace(/\n/g, "\r\n");
    const res = await app.call("POST", "/api/v1/ca-certificates", { json: { pem: crlf } });
    expect(res.status).toBe(201);
    expect(res.json.added[0].sha256).toBe(sha256(pki.root.der));
    expect(res.json.added[0].kind).toBe("ca");
    const again = await app.call("POST", "/api/v1/ca-certificates", {
      json: { pem: pki.root.pem },
    });
    expect(again.status).toBe(200);
    expect(again.json.added).toEqual([]);
    expect(again.json.already_trusted[0].reason).toBe("in_store");
    await remove(sha256(pki.root.der));
  });

  test("a PEM pasted through a single-line field (spaces, literal \\n) is read as the CA", async () => {
    for (const pem of [pki.root.pem.replaceAll("\n", " "), pki.root.pem.replaceAll("\n", "\\n")]) {
      const res = await app.call("POST", "/api/v1/ca-certificates", { json: { pem } });
      expect(res.status).toBe(201);
      expect(res.json.added[0].sha256).toBe(sha256(pki.root.der));
      await remove(sha256(pki.root.der));
    }
  });

  test("C6: binary DER as the body and base64 DER in JSON are read as DER", async () => {
    const binary = await postRaw(pki.root.der, "application/pkix-cert");
    expect(binary.status).toBe(201);
    expect(binary.json.added[0].sha256).toBe(sha256(pki.root.der));
    await remove(sha256(pki.root.der));
    const base64 = Buffer.from(pki.root.der).toString("base64");
    const json = await app.call("POST", "/api/v1/ca-certificates", { json: { der: base64 } });
    expect(json.status).toBe(201);
    expect(json.json.added[0].sha256).toBe(sha256(pki.root.der));
    await remove(sha256(pki.root.der));
  });

  test("C14: a two-copy bundle adds one entry; PEM then DER says already trusted", async () => {
    const bundle = pki.root.pem + pki.root.pem;
    const res = await app.call("POST", "/api/v1/ca-certificates", { json: { pem: bundle } });
    expect(res.status).toBe(201);
    expect(res.json.added.length).toBe(1);
    expect(res.json.already_trusted).toEqual([
      {
        sha256: sha256(pki.root.der),
        subject: res.json.added[0].subject,
        reason: "repeated_in_input",
      },
    ]);
    const der = await postRaw(pki.root.der, "application/octet-stream");
    expect(der.status).toBe(200);
    expect(der.json.already_trusted[0].reason).toBe("in_store");
    expect((await list()).filter((c) => c.sha256 === sha256(pki.root.der)).length).toBe(1);
    await remove(sha256(pki.root.der));
  });

  test("accepts a self-signed server certificate as a pinned anchor", async () => {
    const pinned = pki.issue({ name: "pinned-amp", issuer: "self", san: "DNS:amp.example.test" });
    const res = await postRaw(pinned.pem, "application/x-pem-file");
    expect(res.status).toBe(201);
    expect(res.json.added[0]).toMatchObject({ kind: "pinned", pinned: true, active: true });
    await remove(res.json.added[0].sha256);
  });

  test("warns of an intermediate without its root, not of one with it", async () => {
    const alone = await app.call("POST", "/api/v1/ca-certificates", {
      json: { pem: pki.intermediate.pem },
    });
    expect(alone.status).toBe(201);
    expect(alone.json.warnings.map((w: any) => w.code)).toEqual(["intermediate_without_root"]);
    await remove(sha256(pki.intermediate.der));
    const both = await app.call("POST", "/api/v1/ca-certificates", {
      json: { pem: pki.intermediate.pem + pki.root.pem },
    });
    expect(both.json.warnings).toEqual([]);
    await remove(sha256(pki.intermediate.der));
    await remove(sha256(pki.root.der));
  });

  test("an expired CA is kept, flagged expired and left out of the active set", async () => {
    const expired = pki.issue({
      name: "expired-ca",
      subject: "/CN=Expired Test CA",
      issuer: "self",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE",
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
    const res = await app.call("POST", "/api/v1/ca-certificates", { json: { pem: expired.pem } });
    expect(res.status).toBe(201);
    expect(res.json.added[0]).toMatchObject({ expired: true, active: false });
    expect(res.json.warnings.map((w: any) => w.code)).toContain("anchor_expired");
    await remove(res.json.added[0].sha256);
  });
});

describe("forms, leaves and weak signatures", () => {
  const form = (fields: Record<string, string | File>) => {
    const data = new FormData();
    for (const [name, value] of Object.entries(fields)) data.append(name, value);
    return app.call("POST", "/api/v1/ca-certificates", { multipart: data });
  };
  const file = (bytes: Uint8Array | string, name: string) =>
    new File([bytes as Uint8Array<ArrayBuffer>], name);

  test("reads a DER file part as bytes, under each documented field name", async () => {
    for (const field of ["file", "certificate", "der", "pem"]) {
      const res = await form({ [field]: file(pki.root.der, "root.der") });
      expect(res.status).toBe(201);
      expect(res.json.added.map((a: any) => a.sha256)).toEqual([sha256(pki.root.der)]);
      await remove(sha256(pki.root.der));
    }
  });

  test("reads a PEM file part and a PEM text field of a form", async () => {
    const filed = await form({ file: file(pki.root.pem, "root.pem") });
    expect(filed.status).toBe(201);
    expect(filed.json.added[0].sha256).toBe(sha256(pki.root.der));
    await remove(sha256(pki.root.der));
    const typed = await form({ pem: pki.root.pem });
    expect(typed.status).toBe(201);
    expect(typed.json.added[0].sha256).toBe(sha256(pki.root.der));
    await remove(sha256(pki.root.der));
  });

  test("refuses a form without one certificate field, naming the fields it takes", async () => {
    const res = await form({ upload: file(pki.root.der, "root.der") });
    expect(res.status).toBe(400);
    expect(res.json.code).toBe("invalid_request");
    expect(res.json.errors).toEqual([
      {
        path: "/upload",
        message: "is not a field of this form: send one of file, certificate, pem, der",
      },
      {
        path: "/",
        message:
          "send exactly one of file, certificate, pem, der: the certificate file (PEM or DER)",
      },
    ]);
    expect(await list()).toEqual([]);
  });

  test("refuses a server certificate issued by a CA, even expired, as not_an_anchor", async () => {
    const expiredLeaf = pki.issue({
      name: "expired-leaf",
      issuer: "intermediate",
      notBefore: new Date("2020-01-01T00:00:00Z"),
      notAfter: new Date("2021-01-01T00:00:00Z"),
    });
    for (const leaf of [expiredLeaf, pki.leaf]) {
      const res = await app.call("POST", "/api/v1/ca-certificates", {
        json: { pem: leaf.pem + pki.root.pem },
      });
      expect(res.status).toBe(422);
      expect(res.json.code).toBe("not_an_anchor");
      expect(res.json.errors.length).toBe(1);
      expect(res.json.errors[0].path).toBe("/pem");
      expect(res.json.errors[0].message).toContain("is a server certificate (CA:FALSE) issued by");
      expect(res.json.detail).toEndWith("Nothing was added.");
      expect(await list()).toEqual([]);
    }
  });

  test("adds a SHA-1 signed intermediate CA with a weak_signature warning", async () => {
    const weak = pki.issue({
      name: "sha1-intermediate",
      subject: "/CN=SHA-1 Test Intermediate",
      issuer: "root",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE",
      md: "sha1",
    });
    const res = await app.call("POST", "/api/v1/ca-certificates", {
      json: { pem: weak.pem + pki.root.pem },
    });
    expect(res.status).toBe(201);
    expect(res.json.added.map((a: any) => a.kind).sort()).toEqual(["ca", "intermediate"]);
    expect(res.json.warnings.map((w: any) => w.code)).toEqual(["weak_signature"]);
    expect(res.json.warnings[0].message).toContain("is signed with sha1WithRSAEncryption");
    expect(res.json.warnings[0].message).toContain("trusting it is your call");
    await remove(sha256(weak.der));
    await remove(sha256(pki.root.der));
  });

  test("adds an RSA 1024 root with a weak_key warning", async () => {
    const root = pki.issue({
      name: "rsa1024-root",
      subject: "/CN=RSA 1024 Test Root",
      issuer: "self",
      key: "rsa-1024",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE",
    });
    const res = await app.call("POST", "/api/v1/ca-certificates", { json: { pem: root.pem } });
    expect(res.status).toBe(201);
    expect(res.json.added[0].kind).toBe("ca");
    expect(res.json.warnings.map((w: any) => w.code)).toEqual(["weak_key"]);
    expect(res.json.warnings[0].message).toContain('"CN=RSA 1024 Test Root"');
    expect(res.json.warnings[0].message).toContain("1024-bit RSA key");
    await remove(sha256(root.der));
    const strong = await app.call("POST", "/api/v1/ca-certificates", {
      json: { pem: pki.root.pem },
    });
    expect(strong.json.warnings).toEqual([]);
    await remove(sha256(pki.root.der));
  });

  test("gives a SHA-1 self-signed root no weak_signature: none checks its signature", async () => {
    const root = pki.issue({
      name: "sha1-root",
      subject: "/CN=SHA-1 Test Root",
      issuer: "self",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE",
      md: "sha1",
    });
    const res = await app.call("POST", "/api/v1/ca-certificates", { json: { pem: root.pem } });
    expect(res.status).toBe(201);
    expect(res.json.warnings).toEqual([]);
    await remove(sha256(root.der));
  });
});

describe("refusals", () => {
  const cases: [string, () => Promise<{ status: number; json: any }>, number, string][] = [
    [
      "a malformed PEM",
      () =>
        app.call("POST", "/api/v1/ca-certificates", {
          json: { pem: "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n" },
        }),
      422,
      "certificate_invalid",
    ],
    [
      "an unknown field",
      () => app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root.pem, x: 1 } }),
      400,
      "invalid_request",
    ],
    [
      "both pem and der",
      () => app.call("POST", "/api/v1/ca-certificates", { json: { pem: "a", der: "b" } }),
      400,
      "invalid_request",
    ],
    [
      "an empty raw body",
      () => postRaw(new Uint8Array(), "application/pkix-cert"),
      400,
      "certificate_missing",
    ],
  ];
  for (const [what, send, status, code] of cases) {
    test(`refuses ${what} with ${status} and saves nothing`, async () => {
      const res = await send();
      expect(res.status).toBe(status);
      expect(res.json.code).toBe(code);
      expect(res.json.detail.length).toBeGreaterThan(20);
      expect(await list()).toEqual([]);
    });
  }

  test("a private key posted as the body is refused in the CA store's words", async () => {
    const res = await postRaw(pki.root.keyPem, "application/x-pem-file");
    expect(res.status).toBe(422);
    expect(res.json.code).toBe("certificate_missing");
    expect(res.json.detail).toStartWith("The request body holds a private key but no certificate");
    expect(res.json.detail).toContain("the CA store takes CA certificates only");
    expect(res.json.detail).not.toContain("/private_key");
    expect(res.json.errors[0].path).toBe("/");
    expect(await list()).toEqual([]);
  });

  test("deleting an unknown certificate answers 404", async () => {
    const res = await remove("ab".repeat(32));
    expect(res.status).toBe(404);
    expect(res.json.code).toBe("ca_certificate_not_found");
  });

  test("every change was audited", async () => {
    const rows = await queryDatabase(
      app,
      "SELECT action, outcome FROM audit_events WHERE action LIKE 'ca_certificate.%'",
    );
    expect(rows.some((r) => r.action === "ca_certificate.add" && r.outcome === "success")).toBe(
      true,
    );
    expect(rows.some((r) => r.action === "ca_certificate.add" && r.outcome === "unchanged")).toBe(
      true,
    );
    expect(rows.filter((r) => r.action === "ca_certificate.delete").length).toBeGreaterThanOrEqual(
      9,
    );
  });
});
