/**
 * HTTPS requests per second for `/healthz` and an authenticated whoami on
 * the real appliance, against a bare `Bun.serve` TLS server on the same
 * machine with the same load generator (wrk, keep-alive). Goals: at least
 * 0.8 and 0.5 of the bare server's rate.
 *
 * Run with `npm run bench` (or `bun bench/http.ts`); BENCH_SECONDS sets
 * each run's length (default 10).
 *
 * @module
 */
import { startAppliance } from "../test/helpers/appliance.ts";
import { presentedCertificates } from "../test/helpers/openssl.ts";
import { generateSelfSigned } from "../src/pki/generate.ts";
import { machine, table, wrk } from "./lib/load.ts";

const SECONDS = Number(process.env.BENCH_SECONDS ?? 10);
const CONNECTIONS = 32;

const made = await generateSelfSigned({ hostname: "bench.example.test" });
if (!made.ok) throw new Error("could not make the bare server's certificate");
const bare = Bun.serve({
  port: 0,
  hostname: "127.0.0.1",
  tls: { cert: made.value.certificatePem, key: made.value.privateKeyPem },
  fetch: () => Response.json({ status: "ok" }),
});
const app = await startAppliance();
presentedCertificates(app.port, app.hostname);

try {
  const load = { seconds: SECONDS, connections: CONNECTIONS };
  const auth = `wrk.headers["Authorization"] = "Bearer ${app.adminKey}"\n`;
  const bareRun = await wrk(`https://127.0.0.1:${bare.port}/`, load);
  const health = await wrk(`https://127.0.0.1:${app.port}/healthz`, load);
  const whoami = await wrk(`https://127.0.0.1:${app.port}/api/v3/session/whoami`, {
    ...load,
    lua: auth,
  });
  console.log(`machine: ${machine()}; wrk -c${CONNECTIONS} -d${SECONDS}s, keep-alive`);
  table(
    ["target", "req/s", "p50 ms", "p99 ms", "errors", "ratio to bare", "goal"],
    [
      ["bare Bun.serve TLS", bareRun.rps, bareRun.p50ms, bareRun.p99ms, bareRun.errors, 1, "-"],
      [
        "GET /healthz",
        health.rps,
        health.p50ms,
        health.p99ms,
        health.errors,
        health.rps / bareRun.rps,
        ">= 0.8",
      ],
      [
        "GET whoami (key)",
        whoami.rps,
        whoami.p50ms,
        whoami.p99ms,
        whoami.errors,
        whoami.rps / bareRun.rps,
        ">= 0.5",
      ],
    ],
  );
} finally {
  bare.stop(true);
  await app.stop();
  app.cleanup();
}
