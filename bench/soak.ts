/**
 * Soak: a mixed workload against the real server for a set time
 * (SOAK_SECONDS, default 600) — registrations, activations, 64 KiB
 * submissions, dispositions delivered to a local HTTPS receiver, reads —
 * reporting throughput, errors by status and the server's resident memory
 * over time (VmRSS from /proc/<pid>/status), and whether memory kept
 * growing (the last third's mean against the first third's).
 *
 * Run with `npm run soak`.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { makeTestPki } from "../src/outbound/test-pki.ts";
import { startAppliance } from "../test/helpers/appliance.ts";
import { addService, quickDeliveries, startAmpReceiver } from "../test/helpers/syndication.ts";
import { machine, percentile, table } from "./lib/load.ts";

const SECONDS = Number(process.env.SOAK_SECONDS ?? 600);
const CLIENTS = 8;
const SAMPLE_EVERY_MS = 5_000;
/** Growth of the last third over the first above this counts as still growing. */
const GROWTH_THRESHOLD = 0.1;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0) / 1024;
}

const pki = makeTestPki();
const receiver = await startAmpReceiver(pki);
const app = await startAppliance({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" });
const pid = (app as unknown as { process: { pid: number } }).process.pid;
const statuses = new Map<string, number>();
const latencies: number[] = [];
let done = 0;

async function timed(op: () => Promise<{ status: number }>) {
  const started = performance.now();
  let label: string;
  try {
    label = String((await op()).status);
  } catch (error) {
    label = (error as Error).name;
  }
  latencies.push(performance.now() - started);
  statuses.set(label, (statuses.get(label) ?? 0) + 1);
  done++;
}

try {
  await quickDeliveries(app, { "deliveries.max_attempts": 10 });
  await app.call("PATCH", "/api/v1/settings", {
    json: { "registration.rate_limit_per_minute": 0 },
  });
  await app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
  await addService(app, receiver);

  const memory: { at: number; mib: number }[] = [];
  const started = Date.now();
  const until = started + SECONDS * 1000;
  const sampler = setInterval(
    () => memory.push({ at: (Date.now() - started) / 1000, mib: rssMiB(pid) }),
    SAMPLE_EVERY_MS,
  );
  const payload = new Uint8Array(64 * 1024).fill(0x42);
  let serial = 0;
  const client = async (n: number) => {
    while (Date.now() < until) {
      const id = `01_S${n}X${serial++}_C600V_`.padEnd(65, "0");
      let key = "";
      await timed(async () => {
        const res = await app.call("POST", "/csa/api/register", {
          key: null,
          json: { client_id: id, device_type: "esa" },
        });
        key = res.json?.api_key ?? "";
        return res;
      });
      await timed(() => app.call("POST", `/api/v1/users/${id}/activate`));
      for (let i = 0; i < 3 && key; i++) {
        let sample = "";
        await timed(async () => {
          const form = new FormData();
          form.set("sample", new File([payload, `${id}:${i}`], "soak.bin"));
          const res = await app.call("POST", "/api/v2/samples", { key, multipart: form });
          sample = res.json?.data?.id ?? "";
          return res;
        });
        if (!sample) continue;
        await timed(() =>
          app.call("PUT", `/api/v1/samples/${sample}/disposition`, {
            json: { disposition: i % 2 ? "clean" : "malicious" },
          }),
        );
        await timed(() => app.call("GET", `/api/v2/samples/${sample}`, { key }));
      }
      await timed(() => app.call("GET", "/api/v3/session/whoami", { key }));
    }
  };
  await Promise.all(Array.from({ length: CLIENTS }, (_, n) => client(n)));
  clearInterval(sampler);

  const third = Math.max(1, Math.floor(memory.length / 3));
  const mean = (xs: { mib: number }[]) => xs.reduce((a, m) => a + m.mib, 0) / xs.length;
  const first = mean(memory.slice(0, third));
  const last = mean(memory.slice(-third));
  console.log(`machine: ${machine()}; ${SECONDS} s, ${CLIENTS} clients, HTTPS without keep-alive`);
  table(
    ["requests", "per second", "p50 ms", "p99 ms", "delivered updates"],
    [
      [
        done,
        done / SECONDS,
        percentile(latencies, 0.5),
        percentile(latencies, 0.99),
        receiver.requests.length,
      ],
    ],
  );
  console.log("\nanswers by status:");
  table(
    ["status", "count"],
    [...statuses].sort().map(([s, n]) => [s, n]),
  );
  console.log("\nresident memory of the server:");
  table(
    ["second", "RSS MiB"],
    memory.map((m) => [m.at.toFixed(0), m.mib]),
  );
  const growth = (last - first) / first;
  console.log(
    `\nRSS first third ${first.toFixed(1)} MiB, last third ${last.toFixed(1)} MiB ` +
      `(${(growth * 100).toFixed(1)}%): memory ` +
      (growth > GROWTH_THRESHOLD ? "KEPT GROWING" : "levelled off"),
  );
} finally {
  await app.stop();
  app.cleanup();
  await receiver.close();
}
