/**
 * Turns what operators paste or upload into DER: PEM in any line-ending or
 * encoding, bundles with text around the blocks, raw DER bytes, base64 DER.
 *
 * @module
 */
import "reflect-metadata";
import { X509Certificate, X509Certificates } from "@peculiar/x509";
import { isSingleSequence, readElement, children } from "./der.ts";
import { bytesOf, decodeBase64 } from "./encoding.ts";
import { fail, ok, type PkiResult } from "./result.ts";

/** One `-----BEGIN …-----` block. */
export interface PemBlock {
  /** The label, e.g. `CERTIFICATE` or `RSA PRIVATE KEY`. */
  label: string;
  /** RFC 1421 headers such as `Proc-Type` and `DEK-Info`. */
  headers: Record<string, string>;
  /** The base64 body without whitespace. */
  body: string;
}

/** The blocks of a text, and the labels of blocks that never ended. */
export interface PemScan {
  blocks: PemBlock[];
  truncated: string[];
}

const CERTIFICATE_LABELS = new Set(["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"]);
const PKCS7_LABELS = new Set(["PKCS7", "CMS", "PKCS #7 SIGNED DATA"]);
const REQUEST_LABELS = new Set(["CERTIFICATE REQUEST", "NEW CERTIFICATE REQUEST"]);

/** True for every PEM label that holds a private key (any format). */
export function isPrivateKeyLabel(label: string): boolean {
  return /(^|\s)PRIVATE KEY$/.test(label);
}

/**
 * Reads bytes as text: UTF-16 (with its BOM, as Windows "Unicode" saves it)
 * or UTF-8, without the BOM.
 */
export function bytesToText(bytes: Uint8Array): string {
  if (bytes[0] === 0xff && bytes[1] === 0xfe) return new TextDecoder("utf-16le").decode(bytes);
  if (bytes[0] === 0xfe && bytes[1] === 0xff) return new TextDecoder("utf-16be").decode(bytes);
  return new TextDecoder("utf-8").decode(bytes).replace(/^\uFEFF/, "");
}

/** Splits text into trimmed lines whatever the line endings (LF, CRLF, CR). */
export function normalizedLines(text: string): string[] {
  return text
    .replace(/^\uFEFF/, "")
    .split(/\r\n|\r|\n/)
    .map((line) => line.trim());
}

/**
 * Puts back the line breaks of PEM pasted through a single-line field: the
 * breaks became spaces, or were escaped as a literal `\n`. Neither a
 * backslash nor a space can be part of base64, so each escape is a break,
 * and every BEGIN and END line is given a line of its own.
 */
function restoreLineBreaks(text: string): string {
  return text
    .replace(/\\+r\\+n|\\+[nr]/g, "\n")
    .replace(/-----(?:BEGIN|END) [A-Z0-9 #]+-----/g, "\n$&\n");
}

/**
 * Reads RFC 1421 headers (`Proc-Type: 4,ENCRYPTED`) off the start of a
 * line into `headers`; returns what follows them. Values hold no spaces,
 * so headers flattened onto one line with the body come apart too.
 */
function takeHeaders(line: string, headers: Record<string, string>): string {
  let rest = line;
  for (let header = HEADER.exec(rest); header; header = HEADER.exec(rest)) {
    headers[header[1]] = header[2];
    rest = header[3];
  }
  return rest;
}

const HEADER = /^([A-Za-z][A-Za-z-]*):\s*(\S*)\s*(.*)$/;

/**
 * Finds every PEM block in a text; text between blocks is ignored. Line
 * breaks lost in a paste (spaces or literal `\n` instead) are put back.
 */
export function scanPem(text: string): PemScan {
  const blocks: PemBlock[] = [];
  const truncated: string[] = [];
  let open: { label: string; headers: Record<string, string>; body: string[] } | undefined;

  for (const line of normalizedLines(restoreLineBreaks(text))) {
    const begin = /^-----BEGIN ([A-Z0-9 #]+)-----$/.exec(line);
    if (begin) {
      if (open) truncated.push(open.label);
      open = { label: begin[1], headers: {}, body: [] };
      continue;
    }
    if (!open) continue;
    const end = /^-----END ([A-Z0-9 #]+)-----$/.exec(line);
    if (end) {
      if (end[1] === open.label) {
        blocks.push({ label: open.label, headers: open.headers, body: open.body.join("") });
      } else {
        truncated.push(open.label);
      }
      open = undefined;
      continue;
    }
    const body = open.body.length === 0 ? takeHeaders(line, open.headers) : line;
    if (body !== "") open.body.push(body.replace(/\s+/g, ""));
  }
  if (open) truncated.push(open.label);
  return { blocks, truncated };
}

/** Labels of the private-key PEM blocks in a field (none for DER or other input). */
export function privateKeyLabels(input: string | Uint8Array): string[] {
  const raw = classifyInput(input);
  if (raw.kind !== "pem") return [];
  return scanPem(raw.text)
    .blocks.map((block) => block.label)
    .filter(isPrivateKeyLabel);
}

/** Rebuilds a block as clean PEM text (LF, 64 columns, headers kept). */
export function blockToPem(block: PemBlock): string {
  const headers = Object.entries(block.headers).map(([name, value]) => `${name}: ${value}\n`);
  const body = block.body.replace(/(.{64})/g, "$1\n").replace(/\n$/, "");
  const head = headers.length > 0 ? `${headers.join("")}\n` : "";
  return `-----BEGIN ${block.label}-----\n${head}${body}\n-----END ${block.label}-----\n`;
}

/** What kind of data a certificate or key field holds, before parsing. */
export type RawInput =
  | { kind: "pem"; text: string }
  | { kind: "der"; der: Uint8Array; from: "bytes" | "base64" | "text" }
  | { kind: "garbled" }
  | { kind: "empty" }
  | { kind: "unknown" };

/**
 * Decides whether a field holds PEM, DER (bytes, base64, or binary that was
 * read as text) or something unreadable.
 */
export function classifyInput(input: string | Uint8Array): RawInput {
  if (typeof input !== "string") {
    const bytes = bytesOf(input);
    if (bytes.length === 0) return { kind: "empty" };
    // A SEQUENCE with a long-form length: DER, even when truncated.
    if (bytes[0] === 0x30 && (readElement(bytes) || (bytes[1] >= 0x81 && bytes[1] <= 0x84))) {
      return { kind: "der", der: bytes, from: "bytes" };
    }
    return classifyInput(bytesToText(bytes));
  }
  const text = input.replace(/^\uFEFF/, "");
  if (text.trim() === "") return { kind: "empty" };
  if (text.includes("-----BEGIN ")) return { kind: "pem", text };
  // A binary file pasted or decoded as text: control characters, or U+FFFD
  // where invalid UTF-8 was replaced (then the bytes are lost for good).
  if (
    /[\u0000-\u0008\u000e-\u001f\ufffd]/.test(text) ||
    (text.charCodeAt(0) === 0x30 && /[\u0080-\u00ff]/.test(text.slice(0, 4)))
  ) {
    if (/[^\u0000-\u00ff]/.test(text)) return { kind: "garbled" };
    const der = new Uint8Array(Buffer.from(text, "latin1"));
    return readElement(der) ? { kind: "der", der, from: "text" } : { kind: "garbled" };
  }
  const decoded = decodeBase64(text);
  if (!decoded) return { kind: "unknown" };
  if (decoded[0] !== 0x30) {
    const inner = bytesToText(decoded);
    return inner.includes("-----BEGIN ") ? { kind: "pem", text: inner } : { kind: "unknown" };
  }
  return { kind: "der", der: decoded, from: "base64" };
}

const HOW_TO_SEND = "send PEM text, base64 of the DER bytes, or upload the file itself";

/** Where certificates come from, so that refusals name it in the operator's terms. */
export interface CertificateSource {
  /** JSON pointer named in issues. Default is `/certificate`. */
  path?: string;
  /** How sentences name the input. Default is `the <path> field`. */
  name?: string;
  /**
   * What to tell an operator who sent a private key instead. Default is the
   * upload's: put the key in /private_key and the certificate here.
   */
  keyAdvice?: string;
}

/** A {@link CertificateSource} with its defaults filled in. */
interface Source {
  path: string;
  /** Starts with a capital, for the start of a sentence. */
  name: string;
  keyAdvice: string;
}

/**
 * Extracts every certificate from a certificate field (PEM block, bundle,
 * PKCS#7, DER bytes or base64 DER) as DER. Private-key blocks are ignored
 * here; see `parsePrivateKey` and `privateKeyLabels`.
 */
export function decodeCertificates(
  input: string | Uint8Array,
  from: CertificateSource = {},
): PkiResult<Uint8Array[]> {
  const path = from.path ?? "/certificate";
  const name = from.name ?? `the ${path} field`;
  const source: Source = {
    path,
    name: name.charAt(0).toUpperCase() + name.slice(1),
    keyAdvice: from.keyAdvice ?? "put the key in /private_key and the certificate here",
  };
  const raw = classifyInput(input);
  switch (raw.kind) {
    case "empty":
      return fail("certificate_missing", `${source.name} is empty: ${HOW_TO_SEND}.`, path);
    case "garbled":
      return fail(
        "der_garbled",
        `${source.name} holds binary data that is not readable as ` +
          "DER: a binary DER (.cer/.der) file was probably pasted or decoded as text, which " +
          "damages it. Upload the DER file as a file, send it as base64, or convert it to PEM " +
          "with `openssl x509 -inform DER -in cert.cer -out cert.pem`.",
        path,
      );
    case "unknown":
      return fail(
        "certificate_invalid",
        `${source.name} is neither PEM (no "-----BEGIN ` +
          `CERTIFICATE-----" line) nor base64 of DER: ${HOW_TO_SEND}.`,
        path,
      );
    case "der":
      return decodeDerCertificates(raw.der, raw.from, source);
    case "pem":
      return decodePemCertificates(raw.text, source);
  }
}

function decodeDerCertificates(
  der: Uint8Array,
  from: "bytes" | "base64" | "text",
  { path, name, keyAdvice }: Source,
): PkiResult<Uint8Array[]> {
  const source = from === "base64" ? "base64 DER" : "binary DER";
  if (isSingleSequence(der) && looksLikePrivateKey(der)) {
    return fail(
      "certificate_missing",
      `${name} holds ${source} that is a private key, not a certificate: ${keyAdvice}.`,
      path,
    );
  }
  const found: Uint8Array[] = [];
  let offset = 0;
  while (offset < der.length) {
    const element = readElement(der, offset);
    if (!element || element.tag !== 0x30) {
      const what = offset === 0 ? "is not valid DER" : `has trailing bytes at offset ${offset}`;
      return fail(
        "certificate_invalid",
        `${name} was read as ${source} but ${what} ` +
          "(the file may be truncated or not a certificate); re-export the certificate as DER " +
          "or PEM.",
        path,
      );
    }
    const item = der.subarray(offset, element.end);
    const certs = parseCertificateOrPkcs7(item);
    if (!certs) {
      return fail(
        "certificate_invalid",
        `${name} was read as ${source} but the DER ` +
          "structure is not an X.509 certificate or a PKCS#7 certificate bundle; re-export the " +
          "certificate as DER or PEM.",
        path,
      );
    }
    found.push(...certs);
    offset = element.end;
  }
  return ok(found);
}

function decodePemCertificates(
  text: string,
  { path, name, keyAdvice }: Source,
): PkiResult<Uint8Array[]> {
  const { blocks, truncated } = scanPem(text);
  const found: Uint8Array[] = [];
  for (const [index, block] of blocks.entries()) {
    const isCertificate = CERTIFICATE_LABELS.has(block.label);
    if (!isCertificate && !PKCS7_LABELS.has(block.label)) continue;
    const der = decodeBase64(block.body);
    const item = der && readElement(der) ? der.subarray(0, readElement(der)!.end) : undefined;
    const certs = item && (isCertificate ? parseCertificate(item) : parseCertificateOrPkcs7(item));
    if (!certs) {
      return fail(
        "certificate_invalid",
        `PEM block ${index + 1} (${block.label}) in ${lowerFirst(name)} ` +
          "is damaged: its base64 body does not decode to a certificate. Copy the block again " +
          "from the original file, including every line.",
        path,
      );
    }
    found.push(...certs);
  }
  if (found.length > 0) return ok(found);

  if (truncated.length > 0) {
    return fail(
      "pem_truncated",
      `${name} has a "-----BEGIN ${truncated[0]}-----" ` +
        "line without its matching END line: the paste was cut off. Copy the whole block.",
      path,
    );
  }
  const labels = blocks.map((block) => block.label);
  if (labels.some(isPrivateKeyLabel)) {
    return fail(
      "certificate_missing",
      `${name} holds a private key but no certificate: ${keyAdvice}.`,
      path,
    );
  }
  if (labels.some((label) => REQUEST_LABELS.has(label))) {
    return fail(
      "certificate_missing",
      `${name} holds a certificate signing request ` +
        "(CSR), not a certificate: upload the certificate your CA issued for that request.",
      path,
    );
  }
  const seen = labels.length > 0 ? ` (found: ${labels.join(", ")})` : "";
  return fail(
    "certificate_missing",
    `${name} has no "-----BEGIN CERTIFICATE-----" block${seen}: ${HOW_TO_SEND}.`,
    path,
  );
}

function lowerFirst(text: string): string {
  return text.charAt(0).toLowerCase() + text.slice(1);
}

function parseCertificate(der: Uint8Array): Uint8Array[] | undefined {
  try {
    new X509Certificate(der as Uint8Array<ArrayBuffer>);
    return [der];
  } catch {
    return undefined;
  }
}

/**
 * True for DER shaped like a private key: PKCS#1, SEC1 and PKCS#8 start with
 * a version INTEGER; an encrypted PKCS#8 is an AlgorithmIdentifier and an
 * OCTET STRING (RFC 5958), which no certificate is.
 */
export function looksLikePrivateKey(der: Uint8Array): boolean {
  const top = readElement(der);
  if (!top || top.tag !== 0x30) return false;
  const parts = children(der, top);
  if (parts[0]?.tag === 0x02) return true;
  return parts.length === 2 && parts[0].tag === 0x30 && parts[1].tag === 0x04;
}

/** True for encrypted PKCS#8 DER (EncryptedPrivateKeyInfo). */
export function isEncryptedPkcs8(der: Uint8Array): boolean {
  const top = readElement(der);
  if (!top || top.tag !== 0x30) return false;
  const parts = children(der, top);
  return parts.length === 2 && parts[0].tag === 0x30 && parts[1].tag === 0x04;
}

function looksLikePkcs7(der: Uint8Array): boolean {
  const top = readElement(der);
  return top !== undefined && children(der, top)[0]?.tag === 0x06;
}

function parseCertificateOrPkcs7(der: Uint8Array): Uint8Array[] | undefined {
  const single = parseCertificate(der);
  if (single) return single;
  if (!looksLikePkcs7(der)) return undefined;
  try {
    const bundle = new X509Certificates(der as Uint8Array<ArrayBuffer>);
    return bundle.length > 0 ? bundle.map((cert) => new Uint8Array(cert.rawData)) : undefined;
  } catch {
    return undefined;
  }
}
