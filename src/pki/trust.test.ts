import { describe, expect, test } from "bun:test";
import { sha256Hex } from "./encoding.ts";
import { parseTrustAnchors, type TrustAnchorSet } from "./trust.ts";
import { makeTestPki, openssl } from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const rootSha = sha256Hex(pki.root.der);

function anchors(input: string | Uint8Array, trusted?: string[]): TrustAnchorSet {
  const result = parseTrustAnchors(input, { trusted });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

describe("parseTrustAnchors", () => {
  test("keeps one entry for a CA given twice in one bundle, reporting the repeat (C14)", () => {
    const set = anchors(pki.root.pem + pki.root.pem.replace(/\n/g, "\r\n"));
    expect(set.anchors.map((a) => [a.sha256, a.kind])).toEqual([[rootSha, "ca"]]);
    expect(set.already_trusted).toEqual([
      {
        sha256: rootSha,
        subject: "O=Portico Test, CN=Portico Test Root CA",
        reason: "repeated_in_input",
      },
    ]);
  });

  test("reads a CA bundle whose line breaks were lost in a paste", () => {
    const text = (pki.root.pem + pki.intermediate.pem).replace(/\n/g, "\\n");
    expect(anchors(text).anchors.map((a) => a.sha256)).toEqual([
      rootSha,
      sha256Hex(pki.intermediate.der),
    ]);
    expect(anchors(pki.root.pem.replace(/\n/g, " ")).anchors[0].sha256).toBe(rootSha);
  });

  test("warns that a private key given with the CA was ignored, storing only the CA", () => {
    const set = anchors(pki.root.pem + pki.root.keyPem);
    expect(set.anchors.map((a) => a.sha256)).toEqual([rootSha]);
    expect(set.warnings.map((w) => w.code)).toEqual(["private_key_ignored"]);
    expect(set.warnings[0].message).toContain("(PRIVATE KEY), which was ignored and not stored");
  });

  test("speaks of the CA store, not of the certificate upload, when it refuses input", () => {
    const key = parseTrustAnchors(pki.root.keyPem, { path: "/" });
    const issue = key.ok ? undefined : key.issues[0];
    expect(issue).toMatchObject({ code: "certificate_missing", path: "/" });
    expect(issue?.message).toStartWith("The request body holds a private key but no certificate");
    expect(issue?.message).toContain("the CA store takes CA certificates only");
    expect(issue?.message).not.toContain("/private_key");
    const der = openssl(["pkey", "-in", pki.root.keyPath, "-outform", "DER"]);
    const derKey = parseTrustAnchors(new Uint8Array(der), { path: "/file" });
    const derIssue = derKey.ok ? undefined : derKey.issues[0];
    expect(derIssue?.message).toStartWith("The /file field holds binary DER that is a private key");
    expect(derIssue?.message).not.toContain("/private_key");
    const text = parseTrustAnchors("not a certificate", { path: "/" });
    expect(text.ok ? undefined : text.issues[0].message).toStartWith(
      "The request body is neither PEM",
    );
  });

  test("gives the same identity to the PEM and the DER of a CA, DER bytes accepted (C6, C14)", () => {
    expect(anchors(pki.root.pem).anchors[0].sha256).toBe(rootSha);
    expect(anchors(pki.root.der).anchors[0].sha256).toBe(rootSha);
  });

  test("reports a CA already in the store as already trusted, adding nothing (C14)", () => {
    const set = anchors(pki.root.der, [rootSha.toUpperCase()]);
    expect(set.anchors).toEqual([]);
    expect(set.already_trusted.map((a) => a.reason)).toEqual(["in_store"]);
  });

  test("pins a self-signed server certificate", () => {
    const server = pki.issue({
      name: "trust-pinned",
      issuer: "self",
      subject: "/CN=amp.test",
      san: "DNS:amp.test",
    });
    const set = anchors(server.pem);
    expect(set.anchors[0].kind).toBe("pinned");
    expect(set.warnings).toEqual([]);
  });

  test("warns that an intermediate without its root cannot anchor a chain alone", () => {
    const set = anchors(pki.intermediate.pem);
    expect(set.anchors[0].kind).toBe("intermediate");
    expect(set.warnings.map((w) => w.code)).toEqual(["intermediate_without_root"]);
    expect(anchors(pki.intermediate.pem + pki.root.pem).warnings).toEqual([]);
  });

  test("warns that a CA-issued server certificate is not an anchor", () => {
    expect(anchors(pki.leaf.pem).warnings.map((w) => w.code)).toEqual(["not_an_anchor"]);
  });

  test("flags an expired anchor", () => {
    const old = pki.issue({
      name: "trust-expired",
      issuer: "self",
      subject: "/CN=Old CA",
      basicConstraints: "critical,CA:TRUE",
      san: null,
      eku: null,
      notBefore: new Date("2015-01-01"),
      notAfter: new Date("2020-01-01"),
    });
    const set = anchors(old.pem);
    expect(set.anchors[0]).toMatchObject({ kind: "ca", expired: true });
    expect(set.warnings.map((w) => w.code)).toEqual(["anchor_expired"]);
  });

  test("refuses a garbled DER paste with a message that says DER", () => {
    const result = parseTrustAnchors(new TextDecoder().decode(pki.root.der));
    expect(result.ok ? "" : result.issues[0].message).toContain("DER");
    expect(result.ok ? "" : result.issues[0].path).toBe("/pem");
  });
});
