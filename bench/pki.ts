/**
 * Self-signed P-256 certificate generation: the appliance's
 * `generateSelfSigned` against `openssl req -x509` making the same
 * certificate (new P-256 key, CN and SAN, 825 days). Goal: faster.
 *
 * Run with `npm run bench` (or `bun bench/pki.ts`); BENCH_CERTS sets the
 * count (default 100).
 *
 * @module
 */
import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { generateSelfSigned } from "../src/pki/generate.ts";
import { machine, percentile, table } from "./lib/load.ts";

const COUNT = Number(process.env.BENCH_CERTS ?? 100);
const HOST = "appliance.example.test";

async function timeEach(fn: () => Promise<void>): Promise<number[]> {
  const times: number[] = [];
  for (let i = 0; i < COUNT; i++) {
    const started = performance.now();
    await fn();
    times.push(performance.now() - started);
  }
  return times;
}

const dir = mkdtempSync(join(tmpdir(), "portico-bench-pki-"));
try {
  const own = await timeEach(async () => {
    const made = await generateSelfSigned({ hostname: HOST });
    if (!made.ok) throw new Error("generation failed");
  });
  const openssl = await timeEach(async () => {
    const proc = Bun.spawn(
      [
        "openssl",
        "req",
        "-x509",
        "-newkey",
        "ec",
        "-pkeyopt",
        "ec_paramgen_curve:P-256",
        "-nodes",
        "-subj",
        `/CN=${HOST}`,
        "-addext",
        `subjectAltName=DNS:${HOST}`,
        "-days",
        "825",
        "-keyout",
        join(dir, "key.pem"),
        "-out",
        join(dir, "cert.pem"),
      ],
      { stdout: "ignore", stderr: "ignore" },
    );
    if ((await proc.exited) !== 0) throw new Error("openssl req failed");
  });
  const rate = (t: number[]) => (1000 * t.length) / t.reduce((a, b) => a + b, 0);
  console.log(`machine: ${machine()}; ${COUNT} certificates each, one at a time`);
  table(
    ["generator", "per second", "p50 ms", "p99 ms", "speed vs openssl"],
    [
      [
        "generateSelfSigned",
        rate(own),
        percentile(own, 0.5),
        percentile(own, 0.99),
        rate(own) / rate(openssl),
      ],
      ["openssl req -x509", rate(openssl), percentile(openssl, 0.5), percentile(openssl, 0.99), 1],
    ],
  );
} finally {
  rmSync(dir, { recursive: true, force: true });
}
