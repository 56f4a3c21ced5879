/**
 * Which service URLs and addresses the outbound client may reach. A service
 * URL an administrator types must not turn the appliance against itself or
 * its neighbours (loopback, link-local metadata services, multicast), while
 * the private ranges AMP Private Cloud lives in stay open.
 *
 * Failures are data, not exceptions: the plugin turns them into problem
 * responses at create and update time, the client into an `OutboundError`.
 *
 * @module
 */

import {
  type Cidr,
  type IpAddress,
  cidrContains,
  formatIp,
  parseCidr,
  parseIp,
  parseLegacyIpv4,
} from "./ip.ts";

/** Stable codes of a refused service URL or address. */
export type PolicyCode = "url_not_https" | "url_invalid" | "address_forbidden" | "dns_failed";

/** A refusal: a stable code and a sentence for the administrator. */
export interface PolicyRefusal {
  ok: false;
  code: PolicyCode;
  message: string;
}

/** The outcome of {@link checkServiceUrl}. */
export type UrlCheck = { ok: true; url: URL } | PolicyRefusal;

/** The outcome of {@link checkAddress}. */
export type AddressCheck = { ok: true; address: string } | PolicyRefusal;

/** The outcome of {@link parseOutboundAllow}. */
export type AllowParse = { ok: true; cidrs: Cidr[] } | { ok: false; message: string };

const range = (text: string): Cidr => {
  const parsed = parseCidr(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidr;
};

/** Ranges refused unless allowed; the first match names the reason. */
const FORBIDDEN: ReadonlyArray<{ range: Cidr; why: string }> = [
  { range: range("169.254.169.254/32"), why: "the cloud metadata address (link-local)" },
  { range: range("100.100.100.200/32"), why: "Alibaba Cloud's metadata address" },
  { range: range("fd00:ec2::254/128"), why: "AWS's IPv6 instance metadata address" },
  { range: range("0.0.0.0/8"), why: "an unspecified address" },
  { range: range("127.0.0.0/8"), why: "a loopback address (this appliance itself)" },
  { range: range("169.254.0.0/16"), why: "a link-local address" },
  { range: range("224.0.0.0/4"), why: "a multicast address" },
  { range: range("255.255.255.255/32"), why: "the broadcast address" },
  { range: range("240.0.0.0/4"), why: "a reserved address" },
  { range: range("::/128"), why: "an unspecified address" },
  { range: range("::1/128"), why: "a loopback address (this appliance itself)" },
  { range: range("fe80::/10"), why: "a link-local address" },
  { range: range("ff00::/8"), why: "a multicast address" },
];

/**
 * IPv6 ranges whose addresses carry an IPv4 address that traffic to them
 * reaches; the embedded address is judged by the IPv4 rules, so no IPv6
 * spelling opens what the IPv4 one refuses.
 */
const EMBEDDING_IPV4: ReadonlyArray<{ range: Cidr; ipv4: (value: bigint) => bigint }> = [
  // Mapped (RFC 4291), the deprecated compatible form, SIIT (RFC 7915) and
  // NAT64 (RFC 6052, the well-known and the local-use prefix): the last 32 bits.
  { range: range("::ffff:0:0/96"), ipv4: (v) => v },
  { range: range("::/96"), ipv4: (v) => v },
  { range: range("::ffff:0:0:0/96"), ipv4: (v) => v },
  { range: range("64:ff9b::/96"), ipv4: (v) => v },
  { range: range("64:ff9b:1::/48"), ipv4: (v) => v },
  // 6to4 (RFC 3056): the 32 bits after 2002::/16.
  { range: range("2002::/16"), ipv4: (v) => v >> 80n },
  // Teredo (RFC 4380): the client's address, its bits inverted, in the last 32 bits.
  { range: range("2001::/32"), ipv4: (v) => ~v },
];

/** ISATAP (RFC 5214) interface identifiers, any prefix: `::0:5efe:a.b.c.d`, `::200:5efe:…`. */
const ISATAP_IDS: ReadonlySet<bigint> = new Set([0x00005efen, 0x02005efen]);

const OPEN_HINT = "add a range that covers it to PORTICO_OUTBOUND_ALLOW to open it";

/**
 * Parses `PORTICO_OUTBOUND_ALLOW`: comma-separated CIDR ranges (a bare
 * address means that one address). Empty or unset means no extra ranges.
 *
 * @example
 * parseOutboundAllow("127.0.0.0/8, ::1") // { ok: true, cidrs: [...] }
 */
export function parseOutboundAllow(value: string | undefined): AllowParse {
  const entries = (value ?? "")
    .split(",")
    .map((e) => e.trim())
    .filter((e) => e !== "");
  const cidrs: Cidr[] = [];
  const problems: string[] = [];
  for (const entry of entries) {
    const parsed = parseCidr(entry);
    if (parsed.ok) cidrs.push(parsed.cidr);
    else problems.push(parsed.message);
  }
  if (problems.length > 0) {
    return { ok: false, message: `PORTICO_OUTBOUND_ALLOW: ${problems.join("; ")}` };
  }
  return { ok: true, cidrs };
}

/**
 * Checks one IP address (as resolved, or as written in a URL) against the
 * policy. Used again at connect time for every resolved address.
 *
 * @param ip An IPv4 or IPv6 address; brackets around IPv6 are allowed.
 * @param allow Extra ranges from `PORTICO_OUTBOUND_ALLOW`; they win over the refusals.
 */
export function checkAddress(ip: string, allow: readonly Cidr[]): AddressCheck {
  const parsed = parseIp(ip);
  if (!parsed) {
    return { ok: false, code: "address_forbidden", message: `${ip} is not an IP address` };
  }
  return judge(parsed, allow);
}

function judge(ip: IpAddress, allow: readonly Cidr[]): AddressCheck {
  const address = formatIp(ip);
  const embedded = embeddedIpv4(ip);
  const candidates = embedded ? [ip, embedded] : [ip];
  if (allow.some((cidr) => candidates.some((c) => cidrContains(cidr, c)))) {
    return { ok: true, address };
  }

  const hit = FORBIDDEN.find((f) => cidrContains(f.range, ip));
  const embeddedHit = embedded && FORBIDDEN.find((f) => cidrContains(f.range, embedded));
  if (hit) return refuseAddress(address, hit.why);
  if (embedded && embeddedHit) {
    const why = `an IPv6 form of ${formatIp(embedded)}, ${embeddedHit.why}`;
    return refuseAddress(address, why);
  }
  return { ok: true, address };
}

function embeddedIpv4(ip: IpAddress): IpAddress | undefined {
  if (ip.family !== 6) return undefined;
  const form = EMBEDDING_IPV4.find((e) => cidrContains(e.range, ip));
  if (form) return { family: 4, value: form.ipv4(ip.value) & 0xffffffffn };
  if (ISATAP_IDS.has((ip.value >> 32n) & 0xffffffffn)) {
    return { family: 4, value: ip.value & 0xffffffffn };
  }
  return undefined;
}

function refuseAddress(address: string, why: string): PolicyRefusal {
  const message = `${address} is ${why}; outbound connections to it are refused (${OPEN_HINT})`;
  return { ok: false, code: "address_forbidden", message };
}

/**
 * Checks a disposition service URL when it is created or updated: `https`
 * only, no user or password inside the URL, a port other than 0, and a host
 * that is not a forbidden address literal (in any spelling) nor a
 * `localhost` name.
 * Names are resolved and checked again at connect time.
 *
 * The message never repeats the URL, which may carry a password.
 *
 * @param url The URL as the administrator typed it.
 * @param allow Extra ranges from `PORTICO_OUTBOUND_ALLOW`.
 */
export function checkServiceUrl(url: string, allow: readonly Cidr[]): UrlCheck {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return refuse("url_invalid", "The service URL is not a valid absolute URL");
  }

  if (parsed.protocol !== "https:") {
    const message = `The service URL must use https://, not ${parsed.protocol}//`;
    return refuse("url_not_https", message);
  }
  if (parsed.username !== "" || parsed.password !== "") {
    const message =
      "The service URL must not contain a user or password; " +
      "give them as the service's username and password instead";
    return refuse("url_invalid", message);
  }

  if (parsed.port === "0") {
    return refuse("url_invalid", "The service URL names port 0, which no service listens on");
  }

  const host = hostOf(parsed);
  if (host === "") return refuse("url_invalid", "The service URL has no host");
  if (host === "localhost" || host.endsWith(".localhost")) {
    const message =
      `${host} names this appliance itself (RFC 6761) and is always refused; for a lab ` +
      "service on this machine use its address (e.g. https://127.0.0.1:<port>/) and " +
      `${OPEN_HINT}`;
    return refuse("address_forbidden", message);
  }

  const literal = parseIp(host) ?? parseLegacyIpv4(host);
  if (literal) {
    const verdict = judge(literal, allow);
    if (!verdict.ok) return verdict;
  }
  return { ok: true, url: parsed };
}

/**
 * The host of a URL as the policy and the connection see it: lower case,
 * without IPv6 brackets or a trailing root dot.
 */
export function hostOf(url: URL): string {
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  return host.startsWith("[") && host.endsWith("]") ? host.slice(1, -1) : host;
}

function refuse(code: PolicyCode, message: string): PolicyRefusal {
  return { ok: false, code, message };
}
