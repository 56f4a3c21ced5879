/**
 * Certificates close to their end: a `warn` log line at start, daily and
 * after each change, and a readiness check that shows them to an
 * administrator.
 *
 * @module
 */
import type { ReadinessCheck } from "../../src/identity.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { certificateDetails } from "./certificate.ts";
import { currentHostname } from "./provider.ts";
import { activeCertificate } from "./store.ts";

/** What an administrator should know about one interface's certificate. */
export interface InterfaceCertificateState {
  interface: string;
  fingerprint_sha256: string;
  not_after: string;
  san: { dns: string[]; ip: string[] };
  hostname_matches: boolean;
  warnings: { code: string; message: string }[];
}

const EXPIRY_CODES = new Set(["certificate_expired", "certificate_expiring"]);

/** Each interface's certificate with its warnings. */
export async function certificateStates(ctx: PluginContext): Promise<InterfaceCertificateState[]> {
  const hostname = await currentHostname(ctx);
  const states: InterfaceCertificateState[] = [];
  for (const iface of ctx.appliance.interfaces) {
    const row = await activeCertificate(ctx.db.orm, iface);
    if (!row) continue;
    const details = certificateDetails(row, hostname, ctx.clock.now());
    states.push({
      interface: iface,
      fingerprint_sha256: details.fingerprint_sha256,
      not_after: details.not_after,
      san: details.san,
      hostname_matches: details.hostname_matches,
      warnings: details.warnings,
    });
  }
  return states;
}

/** Logs one `warn` line per certificate that has expired or expires within 30 days. */
export async function logExpiringCertificates(ctx: PluginContext): Promise<void> {
  for (const state of await certificateStates(ctx)) {
    for (const warning of state.warnings.filter((w) => EXPIRY_CODES.has(w.code))) {
      ctx.log.warn(
        {
          interface: state.interface,
          code: warning.code,
          not_after: state.not_after,
          fingerprint_sha256: state.fingerprint_sha256,
        },
        warning.message,
      );
    }
  }
}

/** `/readyz` details: the certificates, `ok` while none has expired or expires soon. */
export function certificatesReadiness(ctx: PluginContext): ReadinessCheck {
  return {
    name: "certificates",
    async check() {
      const interfaces = await certificateStates(ctx);
      const ok = interfaces.every((s) => !s.warnings.some((w) => EXPIRY_CODES.has(w.code)));
      return { ok, interfaces };
    },
  };
}
