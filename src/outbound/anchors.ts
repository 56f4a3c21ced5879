/**
 * The trust anchors handed to TLS: every certificate of the CA store that
 * parses, one PEM block each.
 *
 * Runtimes disagree on a `ca` entry that does not parse: Bun fails the
 * whole connection ("Invalid CA"), Deno skips the entry. Dropping such
 * entries here makes both behave alike; dropping can only trust less.
 *
 * @module
 */

import { X509Certificate } from "node:crypto";

const PEM_BLOCK = /-----BEGIN CERTIFICATE-----[A-Za-z0-9+/=\s]+-----END CERTIFICATE-----/g;

let last: { key: string; anchors: string[] } | null = null;

/**
 * Splits the store's PEM texts (each may hold a bundle) into single
 * certificates and keeps those that parse as X.509. The same texts as last
 * time give the same array back (do not change it): parsing every anchor on
 * every request showed in profiles.
 */
export function usableAnchors(pems: readonly string[]): string[] {
  const key = pems.join("\u0000");
  if (last?.key === key) return last.anchors;
  const anchors: string[] = [];
  for (const pem of pems) {
    for (const block of pem.match(PEM_BLOCK) ?? []) {
      if (parses(block)) anchors.push(`${block}\n`);
    }
  }
  last = { key, anchors };
  return anchors;
}

function parses(block: string): boolean {
  try {
    new X509Certificate(block);
    return true;
  } catch {
    return false;
  }
}
