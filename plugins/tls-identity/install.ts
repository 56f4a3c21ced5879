/**
 * Puts a new certificate in service safely: each listener of the interface
 * in this process must prove, by a handshake, that it serves the new
 * certificate before the database records it. If a listener cannot, the
 * database is left as it was and the previous certificate stays served.
 *
 * @module
 */
import { Problem } from "../../src/errors.ts";
import { tlsListenerPoint } from "../../src/identity.ts";
import type { InterfaceName, TlsListener, TlsMaterial } from "../../src/identity.ts";
import type { PluginContext } from "../../src/plugin.ts";
import type { CertificateRow } from "./schema.ts";
import { activeCertificate, replaceCertificate } from "./store.ts";
import type { NewCertificate } from "./store.ts";

/** Who asked for the change, for the audit log. */
export interface InstallRequest {
  actor: string;
  source: string;
  /** `certificate.upload` or `certificate.regenerate`. */
  action: string;
  detail?: Record<string, unknown>;
}

/** Installs certificates, one at a time per interface. */
export type Installer = (
  iface: InterfaceName,
  cert: NewCertificate,
  request: InstallRequest,
) => Promise<CertificateRow>;

/** The leaf, its intermediates and its key as a listener serves them. */
export function servedMaterial(
  certificatePem: string,
  chainPem: string,
  privateKeyPem: string,
  fingerprintSha256: string,
): TlsMaterial {
  const chain = chainPem.trim() ? chainPem.trim() + "\n" : "";
  return {
    certificatePem: certificatePem.trim() + "\n" + chain,
    privateKeyPem,
    fingerprintSha256,
  };
}

/**
 * Makes the installer. `committed` is told of each change once it is in the
 * database, so that the provider does not mistake it for another process's.
 */
export function createInstaller(
  ctx: PluginContext,
  committed: (iface: InterfaceName, fingerprint: string) => void,
): Installer {
  const queues = new Map<InterfaceName, Promise<unknown>>();

  const install: Installer = async (iface, cert, request) => {
    const listeners = ctx.extensions(tlsListenerPoint).filter((l) => l.iface === iface);
    const material = servedMaterial(
      cert.certificatePem,
      cert.chainPem,
      cert.privateKeyPem,
      cert.fingerprintSha256,
    );
    const previous = await activeCertificate(ctx.db.orm, iface);

    const switched: TlsListener[] = [];
    for (const listener of listeners) {
      try {
        await listener.replace(material);
        switched.push(listener);
      } catch (error) {
        const reason = (error as Error).message;
        await restore(switched, previous);
        ctx.log.error(
          { interface: iface, fingerprint_sha256: cert.fingerprintSha256, err: reason },
          "the new certificate could not be served; nothing was changed",
        );
        throw new Problem(
          503,
          "listener_restart_failed",
          "The new certificate could not be served",
          `The ${iface} listener could not serve the new certificate (${reason}). The previous ` +
            "certificate is still served and nothing was saved; see the appliance's log, " +
            "then try again.",
          { headers: { "Retry-After": "5" } },
        );
      }
    }

    try {
      const row = await ctx.db.write(async (tx) => {
        const saved = await replaceCertificate(ctx, tx, iface, cert);
        await ctx.audit.record(tx, {
          actor: request.actor,
          action: request.action,
          target: iface,
          source: request.source,
          outcome: "success",
          detail: { fingerprint_sha256: saved.fingerprintSha256, ...request.detail },
        });
        return saved;
      });
      committed(iface, row.fingerprintSha256);
      return row;
    } catch (error) {
      await restore(switched, previous);
      throw error;
    }
  };

  const restore = async (switched: TlsListener[], previous: CertificateRow | undefined) => {
    if (!previous) return;
    const material = servedMaterial(
      previous.certificatePem,
      previous.chainPem,
      await ctx.secrets.open(previous.privateKeySealed),
      previous.fingerprintSha256,
    );
    for (const listener of switched) {
      await listener
        .replace(material)
        .catch((error: Error) =>
          ctx.log.error(
            { interface: listener.iface, err: error.message },
            "could not return to the previous certificate",
          ),
        );
    }
  };

  return (iface, cert, request) => {
    const run = (queues.get(iface) ?? Promise.resolve()).then(() => install(iface, cert, request));
    queues.set(
      iface,
      run.catch(() => undefined),
    );
    return run;
  };
}
