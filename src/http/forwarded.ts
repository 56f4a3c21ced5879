/**
 * The client address of a request that came through a TLS terminator or
 * proxy: believed from X-Forwarded-For only when the connection comes from
 * a proxy the operator trusts (PORTICO_TRUSTED_PROXIES).
 *
 * @module
 */
import { cidrContains, parseIp } from "../outbound/ip.ts";
import type { Cidr, IpAddress } from "../outbound/ip.ts";

const MAPPED_IPV4 = 0xffffn << 32n;

/** `::ffff:192.0.2.1` is the IPv4 peer as a dual-stack socket reports it. */
function unmapped(ip: IpAddress): IpAddress {
  if (ip.family === 6 && ip.value >> 32n === 0xffffn) {
    return { family: 4, value: ip.value - MAPPED_IPV4 };
  }
  return ip;
}

function trusted(text: string, proxies: readonly Cidr[]): boolean {
  const ip = parseIp(text);
  if (!ip) return false;
  const address = unmapped(ip);
  return proxies.some((range) => cidrContains(range, address));
}

/**
 * The request's source address. Each trusted proxy appends the address it
 * received the request from, so the right-most hop that is not a trusted
 * proxy is the client; hops to its left could have been written by anyone.
 * A hop that is not an address ends the walk at the last trusted one.
 */
export function sourceAddress(
  peer: string | undefined,
  forwardedFor: string | undefined,
  proxies: readonly Cidr[],
): string {
  if (!peer) return "unknown";
  if (!forwardedFor || proxies.length === 0 || !trusted(peer, proxies)) return peer;
  let source = peer;
  const hops = forwardedFor.split(",").map((hop) => hop.trim());
  for (let i = hops.length - 1; i >= 0; i--) {
    if (!parseIp(hops[i])) return source;
    source = hops[i];
    if (!trusted(source, proxies)) return source;
  }
  return source;
}
