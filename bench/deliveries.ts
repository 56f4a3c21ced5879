/**
 * Deliveries per second to a local HTTPS receiver (keep-alive on the
 * receiver's side), and the appliance's RSS while 10,000 updates drain;
 * compared with a bare fetch loop against the same receiver.
 *
 * Run with `npm run bench`. Updates are produced while the service is
 * disabled (held), then the service is enabled and the drain is timed.
 *
 * @module
 */
import { readFileSync } from "node:fs";
import { makeTestPki } from "../src/outbound/test-pki.ts";
import { startAppliance } from "../test/helpers/appliance.ts";
import {
  AMP_PASSWORD,
  AMP_USER,
  addService,
  startAmpReceiver,
} from "../test/helpers/syndication.ts";

const UPDATES = Number(process.env.BENCH_UPDATES ?? 10_000);
const PRODUCERS = 16;
const CONCURRENCY = 64;

function rssMiB(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? 0);
  return kib / 1024;
}

async function main() {
  const pki = makeTestPki();
  const receiver = await startAmpReceiver(pki);
  const app = await startAppliance({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" });
  const pid = (app as unknown as { process: { pid: number } }).process.pid;
  try {
    await app.call("PATCH", "/api/v1/settings", {
      json: { "deliveries.concurrency": CONCURRENCY },
    });
    await app.call("POST", "/api/v1/ca-certificates", { json: { pem: pki.root } });
    const serviceId = await addService(app, receiver, { enabled: false });

    const started = performance.now();
    let next = 0;
    const produce = async () => {
      while (next < UPDATES) {
        const i = next++;
        const form = new FormData();
        form.append("sample", new File([`bench sample ${i}`], `s${i}.bin`));
        const sub = await app.call("POST", "/api/v2/samples", { multipart: form });
        await app.call("PUT", `/api/v1/samples/${sub.json.data.id}/disposition`, {
          json: { disposition: "malicious" },
        });
      }
    };
    await Promise.all(Array.from({ length: PRODUCERS }, produce));
    const produced = (performance.now() - started) / 1000;
    console.log(`produced ${UPDATES} dispositions in ${produced.toFixed(1)} s (held)`);

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
