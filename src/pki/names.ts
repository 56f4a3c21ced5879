/**
 * Hostnames: normalising what the operator types, reading the names a
 * certificate carries, and matching them per RFC 6125.
 *
 * @module
 */
import "reflect-metadata";
import { SubjectAlternativeNameExtension, type X509Certificate } from "@peculiar/x509";
import { domainToASCII } from "node:url";
import { fail, ok, type PkiResult } from "./result.ts";

/** The DNS names and IP addresses of a certificate's subjectAltName. */
export interface CertificateNames {
  dns: string[];
  ip: string[];
}

const LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;
const IPV4 = /^\d{1,3}(?:\.\d{1,3}){3}$/;
const IP_REFUSED =
  "is an IP address: a hostname is required, because devices and " +
  "certificates name the appliance by DNS name";

/**
 * Normalises a hostname: IDNA to ASCII, lower case, one trailing dot
 * removed. IP addresses (in any notation), URLs and invalid names are refused
 * with a message that says why.
 *
 * @example
 * normalizeHostname("Appliance.Example.TEST.") // { ok: true, value: "appliance.example.test" }
 */
export function normalizeHostname(input: string, path = "/hostname"): PkiResult<string> {
  const raw = input.trim();
  const refuse = (why: string) => fail("hostname_invalid", `The ${path} "${input}" ${why}.`, path);

  if (raw === "") return refuse("is empty: give the name devices use to reach the appliance");
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(raw) || /[/?#@]/.test(raw)) {
    return refuse("looks like a URL: give only the hostname, without scheme, port or path");
  }
  if (raw.startsWith("[") || raw.split(":").length > 2 || isIpv6(raw)) {
    return refuse("is an IPv6 address: a hostname is required");
  }
  if (raw.includes(":")) return refuse("contains ':': give only the hostname, without a port");
  const name = raw.endsWith(".") ? raw.slice(0, -1) : raw;
  if (name.split(".").some((label) => label === "")) {
    return refuse("has an empty label (two dots in a row, or a leading dot)");
  }
  const bad = /[\u0000-\u002c\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007f]/.exec(name);
  if (bad) {
    return refuse(
      `contains the character ${JSON.stringify(bad[0])}: letters, digits, ` +
        "hyphens and dots only",
    );
  }
  if (/^(?:0x[0-9a-f]*|\d+)$/i.test(name.split(".").at(-1)!) && !IPV4.test(name)) {
    const looksIp = /^[0-9a-fx.]+$/i.test(name);
    return refuse(
      looksIp ? IP_REFUSED : "ends in an all-numeric label, which is not a valid top-level domain",
    );
  }

  // The WHATWG host parser reads "2130706433", "0x7f.1" and "127.1" as IPv4.
  const ascii = domainToASCII(name);
  if (IPV4.test(ascii) || IPV4.test(name)) {
    return refuse(IP_REFUSED);
  }
  if (ascii === "") return refuse("is not a valid internationalised domain name");
  if (ascii.length > 253) return refuse(`is ${ascii.length} characters long; at most 253`);
  for (const label of ascii.split(".")) {
    if (label.length > 63) return refuse(`has a label of ${label.length} characters; at most 63`);
    if (!LABEL.test(label)) {
      return refuse(`has an invalid label "${label}": letters, digits and inner hyphens only`);
    }
  }
  return ok(ascii);
}

/** The subjectAltName DNS names (lower case) and IP addresses of a certificate. */
export function certificateNames(cert: X509Certificate): CertificateNames {
  const names: CertificateNames = { dns: [], ip: [] };
  const san = cert.getExtension(SubjectAlternativeNameExtension);
  if (!san) return names;
  for (const item of san.names.items) {
    if (item.type === "dns") names.dns.push(item.value.toLowerCase());
    if (item.type === "ip") names.ip.push(item.value);
  }
  return names;
}

/**
 * Whether a certificate is valid for a hostname (RFC 6125 §6.4): only the
 * subjectAltName counts (the CN is ignored, as modern clients do); a
 * wildcard is the whole left-most label, stands for exactly one label, and
 * needs at least two labels after it.
 */
export function matchesHostname(cert: X509Certificate, hostname: string): boolean {
  const names = certificateNames(cert);
  const ip = ipLiteral(hostname);
  if (ip !== undefined) return names.ip.some((value) => ipLiteral(value) === ip);
  const host = normalizeHostname(hostname);
  if (!host.ok) return false;
  return names.dns.some((pattern) => matchesPattern(pattern, host.value));
}

/**
 * Matches one DNS name pattern from a certificate against a normalised
 * hostname. Exported for tests and for explaining mismatches. A pattern
 * ending in a dot never matches: OpenSSL (so Python's ssl and curl) takes
 * the dot as part of the name, although it ignores one on the hostname.
 */
export function matchesPattern(pattern: string, hostname: string): boolean {
  if (pattern.endsWith(".")) return false;
  const labels = pattern.toLowerCase().split(".");
  if (labels[0] !== "*") {
    const ascii = domainToASCII(labels.join("."));
    return ascii !== "" && ascii === hostname;
  }
  const rest = labels.slice(1);
  // "*.com" would cover a whole public suffix: never honoured.
  if (rest.length < 2 || rest.some((label) => label === "" || label.includes("*"))) return false;
  const suffix = domainToASCII(rest.join("."));
  const hostLabels = hostname.split(".");
  return (
    suffix !== "" &&
    hostLabels.length === rest.length + 1 &&
    hostLabels[0] !== "" &&
    hostLabels.slice(1).join(".") === suffix
  );
}

function isIpv6(text: string): boolean {
  try {
    const host = new URL(`http://${text.startsWith("[") ? text : `[${text}]`}/`).hostname;
    return host.startsWith("[");
  } catch {
    return false;
  }
}

/** Canonical text of an IP literal (IPv4 or IPv6, bracketed or not), else undefined. */
function ipLiteral(text: string): string | undefined {
  const bare = text.trim().replace(/^\[(.*)\]$/, "$1");
  if (bare.includes(":")) {
    try {
      return new URL(`http://[${bare}]/`).hostname;
    } catch {
      return undefined;
    }
  }
  return IPV4.test(bare) ? bare.split(".").map(Number).join(".") : undefined;
}
