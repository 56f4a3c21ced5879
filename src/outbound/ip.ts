/**
 * IP addresses and CIDR ranges as numbers, so that ranges can be compared
 * without string tricks. Both families are held as `bigint`.
 *
 * @module
 */

/** An IPv4 or IPv6 address as a number. */
export interface IpAddress {
  family: 4 | 6;
  /** The address as an unsigned 32-bit (IPv4) or 128-bit (IPv6) number. */
  value: bigint;
}

/** A parsed CIDR range such as `127.0.0.0/8` or `fe80::/10`. */
export interface Cidr {
  family: 4 | 6;
  /** The first address of the range. */
  base: bigint;
  /** The prefix length: 0–32 for IPv4, 0–128 for IPv6. */
  prefix: number;
  /** The range as the administrator wrote it, normalised (e.g. `127.0.0.0/8`). */
  text: string;
}

/** The outcome of parsing one CIDR: the range, or a sentence saying what is wrong. */
export type CidrResult = { ok: true; cidr: Cidr } | { ok: false; message: string };

const BITS = { 4: 32, 6: 128 } as const;

/**
 * Parses a dotted-quad IPv4 address (`192.0.2.1`). Legacy forms (`127.1`,
 * `0x7f000001`) are not accepted here; see {@link parseLegacyIpv4}.
 */
export function parseIpv4(text: string): IpAddress | undefined {
  const parts = text.split(".");
  if (parts.length !== 4) return undefined;

  let value = 0n;
  for (const part of parts) {
    if (!/^(0|[1-9]\d{0,2})$/.test(part)) return undefined;
    const octet = Number(part);
    if (octet > 255) return undefined;
    value = (value << 8n) | BigInt(octet);
  }
  return { family: 4, value };
}

/**
 * Parses the numeric host forms that `inet_aton` accepts and browsers map to
 * IPv4 (WHATWG URL "IPv4 parser"): one to four parts, each decimal, octal
 * (`0177`) or hex (`0x7f`), the last part filling the remaining bytes. So
 * `2130706433`, `0x7f000001`, `0177.0.0.1` and `127.1` all mean 127.0.0.1.
 */
export function parseLegacyIpv4(text: string): IpAddress | undefined {
  const parts = text.split(".");
  if (parts.length > 4 || parts.some((part) => part === "")) return undefined;

  const numbers: bigint[] = [];
  for (const part of parts) {
    const n = parseLegacyNumber(part);
    if (n === undefined) return undefined;
    numbers.push(n);
  }

  const last = numbers.pop() as bigint;
  if (numbers.some((n) => n > 255n)) return undefined;
  const lastBits = BigInt(8 * (4 - numbers.length));
  if (last >= 1n << lastBits) return undefined;

  let value = 0n;
  for (const n of numbers) value = (value << 8n) | n;
  return { family: 4, value: (value << lastBits) | last };
}

function parseLegacyNumber(part: string): bigint | undefined {
  if (/^0[xX][0-9a-fA-F]*$/.test(part)) return BigInt(`0x${part.slice(2) || "0"}`);
  if (/^0[0-7]+$/.test(part)) return BigInt(`0o${part.slice(1)}`);
  if (/^(0|[1-9]\d*)$/.test(part)) return BigInt(part);
  return undefined;
}

/**
 * Parses an IPv6 address, with `::` compression and an optional trailing
 * dotted IPv4 part (`::ffff:127.0.0.1`). A zone (`fe80::1%eth0`) is ignored.
 */
export function parseIpv6(text: string): IpAddress | undefined {
  const unzoned = text.split("%")[0];
  const halves = unzoned.split("::");
  if (halves.length > 2) return undefined;

  const head = halves[0] === "" ? [] : halves[0].split(":");
  const tail = halves.length === 2 && halves[1] !== "" ? halves[1].split(":") : [];
  const groups = [...head, ...tail];

  const last = groups.at(-1);
  const words: number[] = [];
  const embedded = last?.includes(".") ? parseIpv4(last) : undefined;
  if (last?.includes(".") && !embedded) return undefined;
  for (const group of embedded ? groups.slice(0, -1) : groups) {
    if (!/^[0-9a-fA-F]{1,4}$/.test(group)) return undefined;
    words.push(Number.parseInt(group, 16));
  }

  const given = words.length + (embedded ? 2 : 0);
  if (halves.length === 1 ? given !== 8 : given > 7) return undefined;

  const headWords = words.slice(0, head.length);
  const tailWords = words.slice(head.length);
  const zeros = new Array<number>(8 - given).fill(0);
  let value = 0n;
  for (const word of [...headWords, ...zeros, ...tailWords]) {
    value = (value << 16n) | BigInt(word);
  }
  if (embedded) value = (value << 32n) | embedded.value;
  return { family: 6, value };
}

/** Parses an IPv4 (dotted quad) or IPv6 address; brackets around IPv6 are allowed. */
export function parseIp(text: string): IpAddress | undefined {
  const bare = text.startsWith("[") && text.endsWith("]") ? text.slice(1, -1) : text;
  return bare.includes(":") ? parseIpv6(bare) : parseIpv4(bare);
}

/**
 * Writes an address in its usual form: dotted quad, or RFC 5952 IPv6 in hex
 * groups only (`::ffff:7f00:1`, as WHATWG URL writes it).
 */
export function formatIp(ip: IpAddress): string {
  if (ip.family === 4) {
    return [24n, 16n, 8n, 0n].map((shift) => String((ip.value >> shift) & 255n)).join(".");
  }
  const hex = Array.from({ length: 8 }, (_, i) =>
    ((ip.value >> BigInt(112 - 16 * i)) & 0xffffn).toString(16),
  );
  // RFC 5952: compress the longest run of two or more zero groups.
  let best = { start: -1, length: 0 };
  for (let i = 0; i < 8;) {
    if (hex[i] !== "0") {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && hex[j] === "0") j++;
    if (j - i > best.length && j - i > 1) best = { start: i, length: j - i };
    i = j;
  }
  if (best.start < 0) return hex.join(":");
  const left = hex.slice(0, best.start).join(":");
  const right = hex.slice(best.start + best.length).join(":");
  return `${left}::${right}`;
}

/** Whether `range` contains `ip` (same family only). */
export function cidrContains(range: Cidr, ip: IpAddress): boolean {
  if (range.family !== ip.family) return false;
  const hostBits = BigInt(BITS[range.family] - range.prefix);
  return ip.value >> hostBits === range.base >> hostBits;
}

/**
 * Parses one CIDR range. A bare address is a range of one address
 * (`/32` or `/128`). Host bits must be zero, so a typo such as
 * `127.0.0.1/8` is caught rather than silently widened.
 */
export function parseCidr(text: string): CidrResult {
  const trimmed = text.trim();
  const [addressText, prefixText, extra] = trimmed.split("/");
  const ip = parseIp(addressText);
  if (!ip || extra !== undefined) {
    return { ok: false, message: `"${trimmed}" is not a CIDR range such as 10.0.0.0/8` };
  }

  const max = BITS[ip.family];
  const prefix = prefixText === undefined ? max : Number(prefixText);
  if (!/^\d{1,3}$/.test(prefixText ?? String(max)) || prefix > max) {
    return {
      ok: false,
      message: `"${trimmed}" has a prefix length outside 0–${max} for IPv${ip.family}`,
    };
  }

  const hostBits = BigInt(max - prefix);
  const base = (ip.value >> hostBits) << hostBits;
  const normal = `${formatIp({ family: ip.family, value: base })}/${prefix}`;
  if (base !== ip.value) {
    return { ok: false, message: `"${trimmed}" has host bits set; did you mean ${normal}?` };
  }
  return { ok: true, cidr: { family: ip.family, base, prefix, text: normal } };
}

/**
 * The part of an address that names one client for rate limits and
 * lockouts: an IPv4 address itself (also when written IPv4-mapped), and
 * for IPv6 its /64, since one host is handed a whole /64 (RFC 6177) and
 * could otherwise use a fresh address for every request.
 */
export function clientPrefix(address: string): string {
  const ip = parseIp(address);
  if (!ip) return address;
  if (ip.family === 4) return formatIp(ip);
  if (ip.value >> 32n === 0xffffn) return formatIp({ family: 4, value: ip.value & 0xffffffffn });
  const network = (ip.value >> 64n) << 64n;
  return `${formatIp({ family: 6, value: network })}/64`;
}
