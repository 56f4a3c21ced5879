/**
 * The TLS identity the runtime serves: each interface's active certificate,
 * created on first boot, and a signal when it changes in any process.
 *
 * @module
 */
import type { InterfaceName, TlsIdentityProvider, TlsMaterial } from "../../src/identity.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { unprocessable } from "../../src/errors.ts";
import { generateSelfSigned } from "../../src/pki/generate.ts";
import type { GeneratedKeyAlgorithm } from "../../src/pki/generate.ts";
import { fingerprintOfPem } from "./certificate.ts";
import { servedMaterial } from "./install.ts";
import { activeCertificate, replaceCertificate } from "./store.ts";
import type { CertificateRow } from "./schema.ts";

export const DEFAULT_KEY_ALGORITHM: GeneratedKeyAlgorithm = "ecdsa-p256";
export const MAX_VALIDITY_DAYS = 825;

async function material(ctx: PluginContext, row: CertificateRow): Promise<TlsMaterial> {
  const key = await ctx.secrets.open(row.privateKeySealed);
  return servedMaterial(row.certificatePem, row.chainPem, key, row.fingerprintSha256);
}

/** The appliance's hostname as stored (the setting wins over PORTICO_HOSTNAME). */
export async function currentHostname(ctx: PluginContext): Promise<string> {
  return ctx.settings.get<string>(ctx.db.orm, "appliance.hostname");
}

/** A new self-signed certificate for the hostname, ready to store. */
export async function selfSigned(
  hostname: string,
  options: { keyAlgorithm?: GeneratedKeyAlgorithm; validityDays?: number; now: Date },
) {
  const result = await generateSelfSigned({
    hostname,
    keyAlgorithm: options.keyAlgorithm ?? DEFAULT_KEY_ALGORITHM,
    validityDays: options.validityDays ?? MAX_VALIDITY_DAYS,
    now: options.now,
  });
  if (!result.ok) {
    const issue = result.issues[0];
    throw unprocessable(issue.code, "Cannot generate the certificate", issue.message, [
      { path: issue.path ?? "/hostname", message: issue.message },
    ]);
  }
  const made = result.value;
  return {
    certificatePem: made.certificatePem,
    chainPem: "",
    privateKeyPem: made.privateKeyPem,
    fingerprintSha256: fingerprintOfPem(made.certificatePem),
    source: "generated" as const,
  };
}

/** The TLS identity provider, with what the plugin's routes and jobs need of it. */
export function createProvider(ctx: PluginContext): TlsIdentityProvider & {
  /** Records a certificate this process committed, and tells the listeners. */
  committed(iface: InterfaceName, fingerprint: string): void;
  poll(): Promise<void>;
} {
  const listeners: ((iface: InterfaceName) => void)[] = [];
  const served = new Map<InterfaceName, string>();

  const notify = (iface: InterfaceName) => {
    for (const listener of listeners) listener(iface);
  };

  return {
    async ensure(iface) {
      let row = await activeCertificate(ctx.db.orm, iface);
      if (!row) {
        const hostname = await currentHostname(ctx);
        const fresh = await selfSigned(hostname, { now: ctx.clock.now() });
        // Checked again inside the write: processes starting together make one.
        row = await ctx.db.write(async (tx) => {
          return (await activeCertificate(tx, iface)) ?? replaceCertificate(ctx, tx, iface, fresh);
        });
        if (row.fingerprintSha256 === fresh.fingerprintSha256) {
          ctx.log.info(
            { interface: iface, hostname, fingerprint_sha256: row.fingerprintSha256 },
            "generated a self-signed certificate",
          );
        }
      }
      served.set(iface, row.fingerprintSha256);
      return material(ctx, row);
    },
    onChange(listener) {
      listeners.push(listener);
    },
    committed(iface, fingerprint) {
      served.set(iface, fingerprint);
      notify(iface);
    },
    /** Notices a certificate another process replaced. */
    async poll() {
      for (const [iface, fingerprint] of served) {
        const row = await activeCertificate(ctx.db.orm, iface);
        if (row && row.fingerprintSha256 !== fingerprint) {
          served.set(iface, row.fingerprintSha256);
          notify(iface);
        }
      }
    },
  };
}
