/**
 * The single binary's footprint: its size, the time from exec to the first
 * HTTPS answer (first boot on an empty folder, and a restart on that
 * folder), and its resident memory once idle. Goals: start < 300 ms,
 * idle < 100 MB.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync, statSync } from "node:fs";
import { request } from "node:https";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";

const ROOT = join(import.meta.dir, "..");
const RUNS = 5;
const IDLE_MS = 3_000;

function freePort(): Promise<number> {
  return new Promise((resolve) => {
    const server = createServer().listen(0, "127.0.0.1", () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** Resolves with the status of GET /healthz, or rejects while nothing listens. */
function health(port: number): Promise<number> {
  return new Promise((resolve, reject) => {
    // The certificate is made during this very start; trust is not the point here.
    const req = request(
      { host: "127.0.0.1", port, path: "/healthz", rejectUnauthorized: false, agent: false },
      (res) => {
        res.resume();
        res.on("end", () => resolve(res.statusCode ?? 0));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

async function startOnce(binary: string, dataDir: string) {
  const port = await freePort();
  const started = performance.now();
  const proc = Bun.spawn([binary, "serve"], {
    env: {
      PATH: process.env.PATH ?? "",
      PORTICO_DATA_DIR: dataDir,
      PORTICO_CLEAN_PORT: String(port),
    },
    stdout: "ignore",
    stderr: "ignore",
  });
  for (;;) {
    if (proc.exitCode !== null) throw new Error(`the binary exited with ${proc.exitCode}`);
    try {
      if ((await health(port)) === 200) break;
    } catch {
      await Bun.sleep(2);
    }
  }
  return { ms: performance.now() - started, proc };
}

function rssMb(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/VmRSS:\s+(\d+) kB/.exec(status)?.[1]) / 1024;
}

const median = (values: number[]) =>
  [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];

const work = mkdtempSync(join(tmpdir(), "portico-bench-"));
const binary = join(work, "portico");
const build = Bun.spawn([process.execPath, join(ROOT, "deploy/build.ts"), binary], {
  stdout: "ignore",
  stderr: "inherit",
});
if ((await build.exited) !== 0) process.exit(1);

const first: number[] = [];
const again: number[] = [];
const idle: number[] = [];
for (let run = 0; run < RUNS; run++) {
  const dataDir = join(work, `data-${run}`);
  const cold = await startOnce(binary, dataDir);
  first.push(cold.ms);
  cold.proc.kill("SIGTERM");
  await cold.proc.exited;

  const warm = await startOnce(binary, dataDir);
  again.push(warm.ms);
  await Bun.sleep(IDLE_MS);
  idle.push(rssMb(warm.proc.pid));
  warm.proc.kill("SIGTERM");
  await warm.proc.exited;
}
const size = statSync(binary).size;
rmSync(work, { recursive: true, force: true });

const fmt = (ms: number) => `${ms.toFixed(0)} ms`;
console.log(`binary size                          ${(size / 1e6).toFixed(1)} MB`);
console.log(
  `first boot to first HTTPS answer     ${fmt(median(first))} (median of ${RUNS}; goal < 300 ms)`,
);
console.log(
  `restart to first HTTPS answer        ${fmt(median(again))} (median of ${RUNS}; goal < 300 ms)`,
);
console.log(
  `idle RSS after ${IDLE_MS / 1000} s` +
    `                  ${median(idle).toFixed(0)} MB (goal < 100 MB)`,
);
