import { describe, expect, test } from "bun:test";
import { buildChain, type BuildChainInput, type BuiltChain } from "./chain.ts";
import { sha256Hex } from "./encoding.ts";
import { parsePrivateKey } from "./keys.ts";
import type { PkiIssue } from "./result.ts";
import { fingerprintSha256 } from "./summary.ts";
import {
  makeTestPki,
  openssl,
  type IssueOptions,
  type TestCertificate,
} from "./testing/openssl-pki.ts";

const pki = makeTestPki();
const { root, intermediate, leaf } = pki;

function spkiOf(keyPem: string): string {
  const key = parsePrivateKey(keyPem);
  if (!key.ok) throw new Error("test key unreadable");
  return key.value.spkiSha256;
}
const leafSpki = spkiOf(leaf.keyPem);

function built(certs: TestCertificate[], extra: Partial<BuildChainInput> = {}): BuiltChain {
  const result = buildChain({
    certificates: certs.map((c) => c.der),
    keySpkiSha256: leafSpki,
    ...extra,
  });
  if (!result.ok) throw new Error(JSON.stringify(result.issues));
  return result.value;
}

function refused(certs: TestCertificate[], keySpkiSha256 = leafSpki): PkiIssue {
  const result = buildChain({ certificates: certs.map((c) => c.der), keySpkiSha256 });
  if (result.ok) throw new Error("expected the chain to be refused");
  return result.issues[0];
}

const served = (chain: BuiltChain) => [chain.leaf, ...chain.intermediates].map(fingerprintSha256);
const sha = (...certs: TestCertificate[]) => certs.map((c) => sha256Hex(c.der));

describe("buildChain", () => {
  test("serves leaf → intermediate in upload order without reporting a reorder", () => {
    const chain = built([leaf, intermediate]);
    expect(served(chain)).toEqual(sha(leaf, intermediate));
    expect(chain.reordered).toBe(false);
    expect(chain.root).toBeUndefined();
    expect(chain.servedPems).toHaveLength(2);
    expect(chain.warnings).toEqual([]);
  });

  test("rejects a private key that does not match the certificate, naming both keys (C1)", () => {
    const otherSpki = spkiOf(pki.otherKeyPem);
    const issue = refused([leaf, intermediate], otherSpki);
    expect(issue.code).toBe("key_mismatch");
    expect(issue.message).toContain(otherSpki);
    expect(issue.message).toContain(leafSpki);
  });

  test("rejects a CA's key uploaded with a server certificate as a key mismatch (C1 kind)", () => {
    const caKey = spkiOf(intermediate.keyPem);
    const issue = refused([leaf, intermediate, root], caKey);
    expect(issue.code).toBe("key_mismatch");
    expect(issue.path).toBe("/private_key");
    expect(issue.message).toContain("belongs to the CA certificate");
    expect(issue.message).toContain(leafSpki);
  });

  test("finds the leaf by its key when root and intermediate come first (C2)", () => {
    const chain = built([root, intermediate, leaf]);
    expect(served(chain)).toEqual(sha(leaf, intermediate));
    expect(chain.root && fingerprintSha256(chain.root)).toBe(sha(root)[0]);
    expect(chain.reordered).toBe(true);
    expect(chain.reorderDescription).toContain("served leaf first");
    expect(chain.reorderDescription).toContain("not served");
  });

  test("reports a reorder when the intermediate precedes the leaf", () => {
    expect(built([intermediate, leaf]).reordered).toBe(true);
  });

  test("refuses a leaf without its intermediate, naming the missing issuer (C3)", () => {
    const issue = refused([leaf]);
    expect(issue.code).toBe("chain_incomplete");
    expect(issue.path).toBe("/chain");
    expect(issue.message).toContain("CN=Portico Test Intermediate CA");
  });

  test("refuses leaf + root when the intermediate between them is missing", () => {
    expect(refused([leaf, root]).code).toBe("chain_incomplete");
  });

  test("accepts a missing issuer with a warning when explicitly allowed", () => {
    const chain = built([leaf], { allowIncomplete: true });
    expect(chain.warnings.map((w) => w.code)).toEqual(["chain_incomplete"]);
  });

  test("drops duplicate certificates, serving each once", () => {
    const chain = built([leaf, intermediate, intermediate, leaf]);
    expect(served(chain)).toEqual(sha(leaf, intermediate));
    expect(chain.warnings.map((w) => w.code)).toEqual([
      "duplicate_certificate",
      "duplicate_certificate",
    ]);
  });

  test("warns about an unrelated certificate and does not serve it", () => {
    const stranger = pki.issue({
      name: "chain-stranger",
      issuer: "self",
      key: "other",
      subject: "/CN=Someone Else CA",
      basicConstraints: "critical,CA:TRUE",
      san: null,
    });
    const chain = built([leaf, stranger, intermediate]);
    expect(served(chain)).toEqual(sha(leaf, intermediate));
    expect(chain.warnings.map((w) => w.code)).toContain("unrelated_certificate");
  });

  test("accepts a self-signed leaf alone", () => {
    const self = pki.issue({ name: "chain-self", issuer: "self" });
    const chain = built([self]);
    expect(served(chain)).toEqual(sha(self));
    expect(chain.root).toBeUndefined();
  });

  test("does not take a certificate with the issuer's name but another key as the issuer", () => {
    const impostor = pki.issue({
      name: "chain-impostor",
      issuer: "self",
      key: "other",
      subject: "/O=Portico Test/CN=Portico Test Intermediate CA",
      basicConstraints: "critical,CA:TRUE",
      san: null,
    });
    const issue = refused([leaf, impostor]);
    expect(issue.code).toBe("chain_incomplete");
    expect(issue.message).toContain("key identifier");
  });

  test("refuses an issuer whose name matches but whose key did not sign the certificate", () => {
    const impostor = pki.issue({
      name: "chain-impostor-no-ski",
      issuer: "self",
      key: "other",
      subject: "/O=Portico Test/CN=Portico Test Intermediate CA",
      basicConstraints: "critical,CA:TRUE",
      san: null,
      keyIdentifiers: false,
    });
    expect(refused([leaf, impostor]).code).toBe("chain_signature_invalid");
  });
});

/** What `openssl verify -purpose sslserver` says of the chain, trusting only the test root. */
function opensslVerdict(leafCert: TestCertificate, chain: TestCertificate[]): string {
  const untrusted = pki.write(
    `verify-${sha256Hex(leafCert.der).slice(0, 12)}.pem`,
    chain.map((c) => c.pem).join(""),
  );
  const args = ["verify", "-purpose", "sslserver", "-CAfile", root.certPath];
  try {
    return openssl([...args, "-untrusted", untrusted, leafCert.certPath])
      .toString()
      .trim();
  } catch (error) {
    return (error as Error).message;
  }
}

describe("buildChain refuses chains that clients cannot verify (RFC 5280 §6.1.4)", () => {
  const subCa = (name: string, extra: Partial<IssueOptions> = {}) =>
    pki.issue({
      name,
      issuer: "intermediate",
      key: "ec-p384",
      subject: `/O=Portico Test/CN=${name}`,
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE",
      ...extra,
    });

  test("refuses a CA below an intermediate with pathlen:0, naming the intermediate", () => {
    const sub = subCa("Chain Sub CA");
    const below = pki.issue({ name: "chain-below-sub", issuer: sub });
    expect(opensslVerdict(below, [sub, intermediate])).toContain("path length constraint exceeded");

    const issue = refused([below, sub, intermediate, root]);
    expect(issue).toMatchObject({ code: "chain_invalid", path: "/chain" });
    expect(issue.message).toContain('"O=Portico Test, CN=Portico Test Intermediate CA"');
    expect(issue.message).toContain("pathlen:0");
    expect(issue.message).toContain('"O=Portico Test, CN=Chain Sub CA"');
    expect(issue.message).toContain("path length exceeded");
    expect(refused([below, sub, intermediate]).code).toBe("chain_invalid");
  });

  test("refuses a leaf issued by a certificate with CA:FALSE, naming that issuer", () => {
    const notCa = pki.issue({
      name: "chain-not-a-ca",
      key: "ec-p384",
      subject: "/CN=server.example.test",
      san: "DNS:server.example.test",
    });
    const below = pki.issue({ name: "chain-below-not-a-ca", issuer: notCa });
    expect(opensslVerdict(below, [notCa, intermediate])).toContain("invalid CA certificate");

    const issue = refused([below, notCa, intermediate]);
    expect(issue).toMatchObject({ code: "chain_invalid", path: "/chain" });
    expect(issue.message).toStartWith('The issuer certificate "CN=server.example.test"');
    expect(issue.message).toContain("is not a CA (basicConstraints CA:FALSE");
    expect(issue.message).toContain("§4.2.1.9");
  });

  test("refuses an issuer whose keyUsage lacks keyCertSign", () => {
    const sub = pki.issue({
      name: "chain-no-cert-sign",
      issuer: "root",
      key: "ec-p384",
      subject: "/O=Portico Test/CN=No keyCertSign CA",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE,pathlen:0",
      keyUsage: "critical, digitalSignature, cRLSign",
    });
    const below = pki.issue({ name: "chain-below-no-cert-sign", issuer: sub });
    expect(opensslVerdict(below, [sub])).toContain(
      "key usage does not include certificate signing",
    );

    const issue = refused([below, sub, root]);
    expect(issue.code).toBe("chain_invalid");
    expect(issue.message).toContain('"O=Portico Test, CN=No keyCertSign CA"');
    expect(issue.message).toContain("without keyCertSign (digitalSignature, cRLSign)");
    expect(issue.message).toContain("§4.2.1.3");
  });

  test("accepts a CA below an intermediate whose pathlen allows it", () => {
    const roomy = pki.issue({
      name: "chain-pathlen-1",
      issuer: "root",
      key: "ec-p384",
      subject: "/O=Portico Test/CN=Pathlen 1 CA",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE,pathlen:1",
    });
    const sub = pki.issue({
      name: "chain-under-pathlen-1",
      issuer: roomy,
      key: "other",
      subject: "/O=Portico Test/CN=Under Pathlen 1",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE,pathlen:0",
    });
    const below = pki.issue({ name: "chain-below-pathlen-1", issuer: sub });
    expect(opensslVerdict(below, [sub, roomy])).toEndWith(": OK");
    expect(served(built([below, sub, roomy, root]))).toEqual(sha(below, sub, roomy));
  });

  test("the test chain itself verifies with openssl, as the accepting tests assume", () => {
    expect(opensslVerdict(leaf, [intermediate])).toEndWith(": OK");
  });
});

describe("buildChain refuses certificates with critical extensions clients do not understand", () => {
  test("refuses a leaf with an unknown critical extension, as openssl verify does", () => {
    const odd = pki.issue({
      name: "chain-odd-critical",
      extensions: ["1.2.3.4 = critical,ASN1:NULL"],
    });
    expect(opensslVerdict(odd, [intermediate])).toContain("unhandled critical extension");
    const issue = refused([odd, intermediate]);
    expect(issue).toMatchObject({ code: "chain_invalid", path: "/certificate" });
    expect(issue.message).toContain("critical extension(s) 1.2.3.4");
  });

  test("names a Certificate Transparency precertificate for what it is", () => {
    const poison = "1.3.6.1.4.1.11129.2.4.3 = critical,ASN1:NULL";
    const pre = pki.issue({ name: "chain-precertificate", extensions: [poison] });
    expect(opensslVerdict(pre, [intermediate])).toContain("unhandled critical extension");
    expect(refused([pre, intermediate]).message).toContain("precertificate (RFC 6962)");
  });

  test("refuses an intermediate with an unknown critical extension", () => {
    const sub = pki.issue({
      name: "chain-odd-critical-ca",
      issuer: "root",
      key: "ec-p384",
      subject: "/O=Portico Test/CN=Odd Critical CA",
      san: null,
      eku: null,
      basicConstraints: "critical,CA:TRUE,pathlen:0",
      extensions: ["1.2.3.5 = critical,ASN1:NULL"],
    });
    const below = pki.issue({ name: "chain-below-odd-critical", issuer: sub });
    expect(opensslVerdict(below, [sub])).toContain("unhandled critical extension");
    const issue = refused([below, sub, root]);
    expect(issue).toMatchObject({ code: "chain_invalid", path: "/chain" });
    expect(issue.message).toContain('"O=Portico Test, CN=Odd Critical CA"');
  });

  test("accepts the same extension when it is not critical", () => {
    const mild = pki.issue({ name: "chain-odd-noncritical", extensions: ["1.2.3.4 = ASN1:NULL"] });
    expect(opensslVerdict(mild, [intermediate])).toEndWith(": OK");
    expect(served(built([mild, intermediate]))).toEqual(sha(mild, intermediate));
  });
});
