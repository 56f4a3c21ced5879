/**
 * A real test PKI made with the `openssl` command line, for tests of the pki
 * toolkit and of the plugins that use it: a root CA (RSA 2048), an
 * intermediate (P-256, pathlen:0) and a leaf for `appliance.example.test`
 * (RSA 2048, SAN, EKU serverAuth, CA:FALSE). It is made once per process in a
 * temporary folder; `issue` adds variants (expired, SHA-1, no SAN, …).
 *
 * @example
 * const pki = makeTestPki();
 * const expired = pki.issue({ name: "expired", notAfter: new Date("2021-01-01") });
 *
 * @module
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Runs `openssl` with the arguments; returns stdout, throws with stderr on failure. */
export function openssl(args: string[], options: { cwd?: string; input?: string } = {}): Buffer {
  try {
    return execFileSync("openssl", args, {
      cwd: options.cwd,
      input: options.input,
      stdio: ["pipe", "pipe", "pipe"],
    });
  } catch (error) {
    const stderr = (error as { stderr?: Buffer }).stderr?.toString() ?? "";
    throw new Error(`openssl ${args.join(" ")} failed: ${stderr}`);
  }
}

/** Key types the helper can make. */
export type TestKeyType =
  | "rsa-1024"
  | "rsa-1536"
  | "rsa-2048"
  | "ec-p256"
  | "ec-p384"
  | "ec-secp256k1"
  | "ed25519"
  /** P-256 with explicit curve parameters, as `openssl ecparam -param_enc explicit -genkey` writes it. */
  | "ec-p256-explicit";

/** A certificate and its key, as files and as bytes. */
export interface TestCertificate {
  certPath: string;
  keyPath: string;
  /** The certificate as PEM (LF). */
  pem: string;
  /** The certificate as DER. */
  der: Uint8Array;
  /** The private key as PKCS#8 PEM. */
  keyPem: string;
}

/** How to issue a variant certificate. Defaults give a valid leaf. */
export interface IssueOptions {
  /** File stem in the PKI folder; must be unique. */
  name: string;
  /** Subject DN in openssl's `/CN=…` form. Default is `/CN=<hostname>`. */
  subject?: string;
  /** Who signs it: a PKI member, itself, or an issued CA. Default is `intermediate`. */
  issuer?: "root" | "intermediate" | "self" | TestCertificate;
  /**
   * A named shared key (made once), a key type, or the path of a key file.
   * Default is the leaf's key.
   */
  key?: "leaf" | "other" | TestKeyType | { path: string };
  /** `subjectAltName` value, or null for none. Default is `DNS:<hostname>`. */
  san?: string | null;
  /** `extendedKeyUsage` value, or null for none. Default is `serverAuth`. */
  eku?: string | null;
  /** `basicConstraints` value. Default is `critical,CA:FALSE`. */
  basicConstraints?: string;
  /**
   * `keyUsage` value, or null for none. Default is `critical, keyCertSign,
   * cRLSign` for a CA and none for other certificates.
   */
  keyUsage?: string | null;
  /** More extension lines in openssl's config syntax, e.g. `1.2.3.4 = critical,ASN1:NULL`. */
  extensions?: string[];
  /** Add subject and authority key identifiers. Default is true. */
  keyIdentifiers?: boolean;
  /** Signature digest. Default is `sha256`. */
  md?: "sha256" | "sha384" | "sha1" | "md5";
  /** Default is one hour ago. */
  notBefore?: Date;
  /** Default is notBefore + 365 days. */
  notAfter?: Date;
}

/** The test PKI. */
export interface TestPki {
  dir: string;
  hostname: string;
  root: TestCertificate;
  intermediate: TestCertificate;
  leaf: TestCertificate;
  /** An RSA 2048 private key (PKCS#8 PEM) that matches no certificate. */
  otherKeyPem: string;
  /** A key of the given type, made once per process; returns its file path. */
  key(type: "leaf" | "other" | TestKeyType): string;
  /** Issues a variant certificate. */
  issue(options: IssueOptions): TestCertificate;
  /** Writes a file in the PKI folder and returns its path. */
  write(name: string, content: string | Uint8Array): string;
  /** Reads a file of the PKI folder as bytes. */
  read(name: string): Uint8Array;
}

let cached: TestPki | undefined;

/** Makes the test PKI, once per process. */
export function makeTestPki(): TestPki {
  cached ??= buildPki(mkdtempSync(join(tmpdir(), "portico-pki-")));
  return cached;
}

const HOSTNAME = "appliance.example.test";

function buildPki(dir: string): TestPki {
  mkdirSync(join(dir, "newcerts"));
  writeFileSync(join(dir, "index.txt"), "");
  writeFileSync(join(dir, "ca.cnf"), caConfig(dir));
  const keys = new Map<string, string>();

  const key = (type: "leaf" | "other" | TestKeyType): string => {
    const name = type === "leaf" || type === "other" ? "rsa-2048-" + type : type;
    const path = join(dir, `${name}.key`);
    if (!keys.has(name)) {
      if (type === "ec-p256-explicit") {
        const curve = ["-name", "prime256v1", "-param_enc", "explicit"];
        openssl(["ecparam", ...curve, "-genkey", "-out", path]);
      } else {
        openssl(["genpkey", ...keyArgs(type), "-out", path]);
      }
      keys.set(name, path);
    }
    return path;
  };

  const signers: Record<string, { cert: string; key: string }> = {};
  const issue = (options: IssueOptions): TestCertificate => {
    const keyPath = typeof options.key === "object" ? options.key.path : key(options.key ?? "leaf");
    const stem = join(dir, options.name);
    const notBefore = options.notBefore ?? new Date(Date.now() - 3600_000);
    const notAfter = options.notAfter ?? new Date(notBefore.getTime() + 365 * 86400_000);
    const lines = [
      "[ext]",
      `basicConstraints = ${options.basicConstraints ?? "critical,CA:FALSE"}`,
      `subjectKeyIdentifier = ${options.keyIdentifiers === false ? "none" : "hash"}`,
    ];
    if (options.issuer !== "self" && options.keyIdentifiers !== false) {
      lines.push("authorityKeyIdentifier = keyid");
    }
    const san = options.san === undefined ? `DNS:${HOSTNAME}` : options.san;
    if (san !== null) lines.push(`subjectAltName = ${san}`);
    const eku = options.eku === undefined ? "serverAuth" : options.eku;
    if (eku !== null) lines.push(`extendedKeyUsage = ${eku}`);
    const caUsage = /CA:TRUE/.test(options.basicConstraints ?? "")
      ? "critical, keyCertSign, cRLSign"
      : null;
    const keyUsage = options.keyUsage === undefined ? caUsage : options.keyUsage;
    if (keyUsage !== null) lines.push(`keyUsage = ${keyUsage}`);
    lines.push(...(options.extensions ?? []));
    writeFileSync(`${stem}.ext`, lines.join("\n") + "\n");

    openssl([
      "req",
      "-new",
      "-key",
      keyPath,
      "-subj",
      options.subject ?? `/CN=${HOSTNAME}`,
      "-out",
      `${stem}.csr`,
    ]);
    const signer =
      typeof options.issuer === "object"
        ? { cert: options.issuer.certPath, key: options.issuer.keyPath }
        : options.issuer === "self"
          ? undefined
          : signers[options.issuer ?? "intermediate"];
    openssl([
      "ca",
      "-batch",
      "-notext",
      "-config",
      join(dir, "ca.cnf"),
      "-in",
      `${stem}.csr`,
      "-out",
      `${stem}.crt`,
      "-md",
      options.md ?? "sha256",
      "-startdate",
      asn1Time(notBefore),
      "-enddate",
      asn1Time(notAfter),
      "-extfile",
      `${stem}.ext`,
      "-extensions",
      "ext",
      ...(signer
        ? ["-cert", signer.cert, "-keyfile", signer.key]
        : ["-selfsign", "-keyfile", keyPath]),
    ]);
    return certificate(`${stem}.crt`, keyPath);
  };

  const ca = "critical,CA:TRUE";
  const root = issue({
    name: "root",
    subject: "/O=Portico Test/CN=Portico Test Root CA",
    issuer: "self",
    key: "rsa-2048",
    san: null,
    eku: null,
    basicConstraints: ca,
    notAfter: new Date(Date.now() + 3650 * 86400_000),
  });
  signers.root = { cert: root.certPath, key: root.keyPath };
  const intermediate = issue({
    name: "intermediate",
    issuer: "root",
    key: "ec-p256",
    subject: "/O=Portico Test/CN=Portico Test Intermediate CA",
    san: null,
    eku: null,
    basicConstraints: `${ca},pathlen:0`,
    notAfter: new Date(Date.now() + 1825 * 86400_000),
  });
  signers.intermediate = { cert: intermediate.certPath, key: intermediate.keyPath };
  const leaf = issue({ name: "leaf" });

  return {
    dir,
    hostname: HOSTNAME,
    root,
    intermediate,
    leaf,
    otherKeyPem: readFileSync(key("other"), "utf8"),
    key,
    issue,
    write(name, content) {
      const path = join(dir, name);
      writeFileSync(path, content);
      return path;
    },
    read: (name) => new Uint8Array(readFileSync(join(dir, name))),
  };
}

function certificate(certPath: string, keyPath: string): TestCertificate {
  const der = openssl(["x509", "-in", certPath, "-outform", "DER"]);
  return {
    certPath,
    keyPath,
    pem: openssl(["x509", "-in", certPath]).toString(),
    der: new Uint8Array(der),
    keyPem: readFileSync(keyPath, "utf8"),
  };
}

function keyArgs(type: "leaf" | "other" | TestKeyType): string[] {
  if (type === "leaf" || type === "other") type = "rsa-2048";
  if (type.startsWith("rsa-")) {
    return ["-algorithm", "RSA", "-pkeyopt", `rsa_keygen_bits:${type.slice(4)}`];
  }
  if (type === "ed25519") return ["-algorithm", "ed25519"];
  const curves: Record<string, string> = {
    "ec-p256": "P-256",
    "ec-p384": "P-384",
    "ec-secp256k1": "secp256k1",
  };
  const curve = curves[type];
  return ["-algorithm", "EC", "-pkeyopt", `ec_paramgen_curve:${curve}`];
}

/** UTCTime for `openssl ca -startdate/-enddate` (years 1950–2049). */
function asn1Time(date: Date): string {
  return date.toISOString().replace(/[-:T]/g, "").slice(2, 14) + "Z";
}

function caConfig(dir: string): string {
  return [
    "[ca]",
    "default_ca = test_ca",
    "[test_ca]",
    `database = ${join(dir, "index.txt")}`,
    `new_certs_dir = ${join(dir, "newcerts")}`,
    "rand_serial = yes",
    "unique_subject = no",
    "policy = any_name",
    "email_in_dn = no",
    "preserve = yes",
    "[any_name]",
    "organizationName = optional",
    "commonName = optional",
    "",
  ].join("\n");
}
