/**
 * The certificate operations the command line runs (`portico cert show`,
 * `portico cert regenerate`), through the same installer as the routes.
 *
 * @module
 */
import { unprocessable } from "../../src/errors.ts";
import type { InterfaceName } from "../../src/identity.ts";
import { GENERATED_KEY_ALGORITHMS } from "../../src/pki/generate.ts";
import type { GeneratedKeyAlgorithm } from "../../src/pki/generate.ts";
import type { PluginContext } from "../../src/plugin.ts";
import type { CertificateView, TlsOperations } from "../../src/tls-operations.ts";
import { certificateDetails } from "./certificate.ts";
import type { Installer } from "./install.ts";
import { MAX_VALIDITY_DAYS, currentHostname, selfSigned } from "./provider.ts";
import type { CertificateRow } from "./schema.ts";
import { activeCertificate } from "./store.ts";

function keyAlgorithm(value: string | undefined): GeneratedKeyAlgorithm | undefined {
  if (value === undefined) return undefined;
  const known = GENERATED_KEY_ALGORITHMS as readonly string[];
  if (known.includes(value)) return value as GeneratedKeyAlgorithm;
  throw unprocessable(
    "key_algorithm_unsupported",
    "Unsupported key algorithm",
    `The key algorithm must be one of ${known.join(", ")}, not "${value}".`,
  );
}

function validityDays(value: number | undefined): number | undefined {
  if (
    value === undefined ||
    (Number.isInteger(value) && value >= 1 && value <= MAX_VALIDITY_DAYS)
  ) {
    return value;
  }
  throw unprocessable(
    "validity_days_invalid",
    "Invalid validity",
    `The validity must be a whole number of days from 1 to ${MAX_VALIDITY_DAYS}.`,
  );
}

/** The operations of this plugin, sharing the routes' installer. */
export function createOperations(ctx: PluginContext, install: Installer): TlsOperations {
  const view = async (row: CertificateRow): Promise<CertificateView> => ({
    certificatePem: row.certificatePem.trim() + "\n",
    details: certificateDetails(row, await currentHostname(ctx), ctx.clock.now()),
  });

  return {
    async describe(iface: InterfaceName) {
      const row = await activeCertificate(ctx.db.orm, iface);
      return row && view(row);
    },
    async regenerate(iface, request) {
      const hostname = await currentHostname(ctx);
      const fresh = await selfSigned(hostname, {
        keyAlgorithm: keyAlgorithm(request.keyAlgorithm),
        validityDays: validityDays(request.validityDays),
        now: ctx.clock.now(),
      });
      const row = await install(iface, fresh, {
        actor: request.actor,
        source: request.source,
        action: "certificate.regenerate",
        detail: { hostname },
      });
      ctx.log.info(
        { interface: iface, hostname, fingerprint_sha256: row.fingerprintSha256 },
        "certificate regenerated",
      );
      return view(row);
    },
  };
}
