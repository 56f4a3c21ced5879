/**
 * Resolving a service's host once and checking every address it resolves
 * to. The connection then goes to a checked address, never through a second
 * lookup, so a name cannot resolve to a harmless address for the check and
 * to a forbidden one for the connection (DNS rebinding).
 *
 * @module
 */

import { lookup } from "node:dns/promises";
import { isIP } from "node:net";
import { type PolicyRefusal, checkAddress, checkServiceUrl, hostOf } from "./address-policy.ts";
import type { Cidr } from "./ip.ts";

/** Resolves a host name to its IP addresses, in the order to try them. */
export type Resolver = (hostname: string) => Promise<string[]>;

/** A service URL whose host has been resolved and whose addresses all passed the policy. */
export interface ServiceTarget {
  url: URL;
  /** The host name as written in the URL (no brackets, no trailing dot). */
  hostname: string;
  /** The TCP port: the URL's, or 443. */
  port: number;
  /** Every address the host resolved to, all allowed; the first is used. */
  addresses: string[];
}

/** The outcome of {@link resolveServiceTarget}. */
export type TargetCheck = { ok: true; target: ServiceTarget } | PolicyRefusal;

/** The operating system's resolver (`getaddrinfo`, so `/etc/hosts` counts), all addresses. */
export const systemResolver: Resolver = async (hostname) => {
  const found = await lookup(hostname, { all: true, verbatim: true });
  return found.map((entry) => entry.address);
};

/**
 * Checks a service URL, resolves its host and checks every resulting
 * address. A literal address is not looked up. Use it at create time to
 * refuse a name that resolves to a forbidden address, and before every
 * connection.
 *
 * @param url The service URL.
 * @param allow Extra ranges from `PORTICO_OUTBOUND_ALLOW`.
 * @param resolve The resolver; defaults to {@link systemResolver}.
 * @param timeoutMs How long the lookup may take. Default is 15000 ms.
 */
export async function resolveServiceTarget(
  url: string,
  allow: readonly Cidr[],
  resolve: Resolver = systemResolver,
  timeoutMs = 15_000,
): Promise<TargetCheck> {
  const checked = checkServiceUrl(url, allow);
  if (!checked.ok) return checked;

  const hostname = hostOf(checked.url);
  const port = checked.url.port === "" ? 443 : Number(checked.url.port);
  const target = { url: checked.url, hostname, port };
  if (isIP(hostname) !== 0) {
    return { ok: true, target: { ...target, addresses: [hostname] } };
  }

  let addresses: string[];
  let timer: ReturnType<typeof setTimeout> | undefined;
  const expired = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new LookupTimeout()), timeoutMs);
  });
  try {
    addresses = await Promise.race([resolve(hostname), expired]);
  } catch (error) {
    const code = (error as { code?: unknown })?.code;
    const why = typeof code === "string" ? ` (${code})` : "";
    const message =
      error instanceof LookupTimeout
        ? `The lookup of ${hostname} took longer than ${timeoutMs / 1000} s: check the DNS servers`
        : `${hostname} does not resolve${why}: ` +
          "add it to the DNS or to /etc/hosts on the appliance";
    return { ok: false, code: "dns_failed", message };
  } finally {
    clearTimeout(timer);
  }
  if (addresses.length === 0) {
    return { ok: false, code: "dns_failed", message: `${hostname} resolves to no address` };
  }

  for (const address of addresses) {
    const verdict = checkAddress(address, allow);
    if (!verdict.ok) {
      return { ...verdict, message: `${hostname} resolves to ${address}: ${verdict.message}` };
    }
  }
  return { ok: true, target: { ...target, addresses } };
}

class LookupTimeout extends Error {}
