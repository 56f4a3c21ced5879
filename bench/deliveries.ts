/**
 * Deliveries per second to a local HTTPS receiver (keep-alive on the
 * receiver's side), and the appliance's RSS while 10,000 updates drain;
 * compared with a bare fetch loop against the same receiver.
 *
 * Run with `npm run bench`. Updates are produced while the service is
 * disabled (held), then the service is enabled and the drain is timed.
 *
 * Producing 10,000 verdicts one API call at a time takes minutes, because
 * the appliance commits each write transaction on its own. So the appliance
 * is stopped, the kernel is booted in this process on the same data folder
 * (workers off), and the samples and verdicts go through the same write path
 * as the API (sample insert, `setDisposition`, events and their in-transaction
 * handlers, audit), a few hundred to a transaction; then the appliance starts
 * again and drains them.
 *
 * `BENCH_UPDATES` changes the count; `BENCH_CPU_PROF_DIR` makes the appliance
 * write a CPU profile (Markdown) there when it stops.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { eq } from "drizzle-orm";
import { users } from "../db/schema.ts";
import { setDisposition } from "../src/analysis/disposition.ts";
import { defaultThreatScore } from "../src/analysis/input.ts";
import { boot } from "../src/runtime/boot.ts";
import { insertSample } from "../src/samples/store.ts";
import { makeTestPki } from "../src/outbound/test-pki.ts";
import { type RunningAppliance, startAppliance } from "../test/helpers/appliance.ts";
import {
  AMP_PASSWORD,
  AMP_USER,
  addService,
  startAmpReceiver,
} from "../test/helpers/syndication.ts";

const UPDATES = Number(process.env.BENCH_UPDATES ?? 10_000);
const PER_TRANSACTION = 500;
const SERVE = new URL("../src/runtime/bun.ts", import.meta.url).pathname;
const CONCURRENCY = 64;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

/** Writes `count` samples, each with a `malicious` verdict, while the appliance is stopped. */
async function produce(app: RunningAppliance, count: number): Promise<void> {
  await app.stop();
  const env = {
    ...process.env,
    PORTICO_DATA_DIR: app.dataDir,
    PORTICO_HOSTNAME: app.hostname,
    PORTICO_CLEAN_PORT: String(app.port),
    PORTICO_LOG_LEVEL: "warn",
    ...app.env,
  };
  const { appliance } = await boot(env, { workers: false, logTo: "stderr" });
  const { db, kernel } = appliance;
  try {
    const admin = await db.orm.select().from(users).where(eq(users.role, "admin")).get();
    if (!admin) throw new Error("no administrator in the database");
    const owner = { ...admin, userId: admin.id, keyId: 0 };
    for (let from = 0; from < count; from += PER_TRANSACTION) {
      await db.write(async (tx) => {
        for (let i = from; i < Math.min(count, from + PER_TRANSACTION); i++) {
          const at = kernel.clock.now().toISOString();
          const content = new TextEncoder().encode(`bench sample ${i}`);
          const sample = await insertSample(
            tx,
            owner,
            { filename: `s${i}.bin`, content, private: true, tags: [] },
            at,
          );
          await kernel.events.emit(tx, "sample.submitted", {
            id: sample.id,
            sha256: sample.sha256,
            login: sample.login,
            organization_id: sample.organizationId,
          });
          const change = {
            disposition: "malicious" as const,
            threat_score: defaultThreatScore("malicious"),
          };
          const actor = admin.login;
          await setDisposition(kernel, tx, sample.id, { ...change, reason: "bench", actor });
          await kernel.audit.record(tx, {
            actor,
            action: "sample.disposition",
            target: sample.id,
            outcome: "success",
            detail: { disposition: "malicious", reason: "bench" },
          });
        }
      });
    }
  } finally {
    await appliance.stop();
  }
  await app.start();
}

async function main() {
  const pki = makeTestPki();
  const receiver = await startAmpReceiver(pki);
  const profileDir = process.env.BENCH_CPU_PROF_DIR;
  const command = profileDir
    ? [process.execPath, "--cpu-prof-md", `--cpu-prof-dir=${profileDir}`, SERVE, "serve"]
    : undefined;
  const app = await startAppliance({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" }, command);
  try {
    await app.call("PATCH", "/api/v1/settings", {
      json: { "deliveries.concurrency": CONCURRENCY },
    });
    await app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
    const serviceId = await addService(app, receiver, { enabled: false });

    const started = performance.now();
    await produce(app, UPDATES);
    const produced = (performance.now() - started) / 1000;
    console.log(`produced ${UPDATES} dispositions in ${produced.toFixed(1)} s (held)`);
    const pid = (app as unknown as { process: { pid: number } }).process.pid;

    const before = receiver.requests.length;
    let peak = rssMiB(pid);
    const drainStart = performance.now();
    await app.call("PATCH", `/api/v1/disposition-services/${serviceId}`, {
      json: { enabled: true },
    });
    const deadline = Date.now() + 15 * 60_000;
    while (receiver.requests.length - before < UPDATES && Date.now() < deadline) {
      await Bun.sleep(100);
      peak = Math.max(peak, rssMiB(pid));
    }
    const drained = (performance.now() - drainStart) / 1000;
    const delivered = receiver.requests.length - before;
    const rate = delivered / drained;

    const body = receiver.requests[before]?.body ?? "{}";
    const basic = Buffer.from(`${AMP_USER}:${AMP_PASSWORD}`).toString("base64");
    const url = `https://127.0.0.1:${receiver.port}/disposition-updates`;
    const bareStart = performance.now();
    let sent = 0;
    const bare = async () => {
      while (sent < UPDATES) {
        sent++;
        const res = await fetch(url, {
          method: "POST",
          headers: { authorization: `Basic ${basic}`, "content-type": "application/json" },
          body,
          tls: { ca: [pki.root] },
        } as RequestInit);
        await res.arrayBuffer();
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, bare));
    const bareRate = UPDATES / ((performance.now() - bareStart) / 1000);

    console.log(`appliance: ${delivered}/${UPDATES} delivered in ${drained.toFixed(1)} s`);
    console.log(`appliance: ${rate.toFixed(0)} deliveries/s (goal >= 1000)`);
    console.log(`appliance: peak RSS ${peak.toFixed(0)} MiB while draining (goal < 200)`);
    console.log(`bare fetch loop: ${bareRate.toFixed(0)} requests/s`);
    console.log(`ratio appliance / bare fetch: ${(rate / bareRate).toFixed(2)}`);
  } finally {
    await app.stop();
    app.cleanup();
    await receiver.close();
    pki.remove();
  }
}

await main();
