/**
 * tls-identity: the appliance's hostname and each interface's certificate —
 * generated on first boot, shown, downloaded, regenerated and uploaded, and
 * watched for its expiry.
 *
 * @module
 */
import { readinessPoint, tlsIdentityPoint } from "../../src/identity.ts";
import { metricsPoint } from "../../src/metrics.ts";
import { registerProblems } from "../../src/http/problem-catalog.ts";
import { PKI_PROBLEMS } from "../../src/pki/problems.ts";
import { definePlugin } from "../../src/plugin.ts";
import { tlsOperationsPoint } from "../../src/tls-operations.ts";
import { applianceRoutes } from "./appliance-routes.ts";
import { certificatesReadiness, logExpiringCertificates } from "./expiry.ts";
import { createInstaller } from "./install.ts";
import { certificateMetrics } from "./metrics.ts";
import { createProvider } from "./provider.ts";
import { createOperations } from "./operations.ts";
import { migrations } from "./schema.ts";
import { tlsRoutes } from "./tls-routes.ts";

const DAY_MS = 86_400_000;

export default definePlugin({
  id: "tls-identity",
  version: "0.2.0",
  kernel: "^0.1.0",
  prefixes: ["/api/v1/appliance", "/api/v1/tls"],
  migrations,
  setup(ctx) {
    registerProblems({
      ...PKI_PROBLEMS,
      key_algorithm_unsupported: {
        status: 400,
        title: "Key algorithm unsupported",
        remedy: "Choose ecdsa-p256, ecdsa-p384, rsa-2048, rsa-3072 or rsa-4096.",
      },
      validity_days_invalid: {
        status: 400,
        title: "Validity invalid",
        remedy: "Choose a validity of 1 to 825 days.",
      },
      listener_restart_failed: {
        status: 503,
        title: "Listener restart failed",
        remedy: "The old certificate is still served and nothing was saved: the detail says why.",
      },
    });
    const provider = createProvider(ctx);
    ctx.provide(tlsIdentityPoint, provider);
    ctx.provide(readinessPoint, certificatesReadiness(ctx));
    ctx.provide(metricsPoint, certificateMetrics(ctx));
    ctx.onStart(async () => {
      for (const iface of ctx.appliance.interfaces) await provider.ensure(iface);
      await logExpiringCertificates(ctx);
    });
    ctx.every("certificate-watch", 3_000, () => provider.poll());
    ctx.every("certificate-expiry", DAY_MS, () => logExpiringCertificates(ctx));

    applianceRoutes(ctx);
    const install = createInstaller(ctx, provider.committed);
    ctx.provide(tlsOperationsPoint, createOperations(ctx, install));
    tlsRoutes(ctx, install);
  },
});
