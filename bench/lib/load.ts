/**
 * Shared pieces of the benchmarks: wrk as the load generator (Debian's
 * `wrk`), its figures parsed, percentiles, and a table printer.
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

/** Requests per second and latency percentiles of one load run. */
export interface LoadFigures {
  rps: number;
  p50ms: number;
  p99ms: number;
  requests: number;
  /** Non-2xx/3xx answers and socket errors. */
  errors: number;
}

export function wrkBinary(): string {
  const found = spawnSync("sh", ["-c", "command -v wrk"], { encoding: "utf8" }).stdout.trim();
  if (!found) throw new Error("wrk is missing: install it with `apt-get install -y wrk`");
  return found;
}

function toMs(value: string): number {
  const m = /^([\d.]+)(us|ms|s|m)$/.exec(value.trim());
  if (!m) return NaN;
  const n = Number(m[1]);
  return m[2] === "us" ? n / 1000 : m[2] === "ms" ? n : m[2] === "s" ? n * 1000 : n * 60_000;
}

/** Runs wrk against `url` with an optional Lua script; returns its figures. */
export async function wrk(
  url: string,
  options: { seconds: number; connections: number; threads?: number; lua?: string },
): Promise<LoadFigures> {
  const args = [
    `-t${options.threads ?? 1}`,
    `-c${options.connections}`,
    `-d${options.seconds}s`,
    "--latency",
  ];
  if (options.lua) {
    const dir = mkdtempSync(join(tmpdir(), "portico-wrk-"));
    const script = join(dir, "script.lua");
    writeFileSync(script, options.lua);
    args.push("-s", script);
  }
  const proc = Bun.spawn([wrkBinary(), ...args, url], { stdout: "pipe", stderr: "pipe" });
  const out = await new Response(proc.stdout).text();
  if ((await proc.exited) !== 0)
    throw new Error(`wrk failed: ${await new Response(proc.stderr).text()}`);
  const rps = Number(/Requests\/sec:\s+([\d.]+)/.exec(out)?.[1]);
  const requests = Number(/(\d+) requests in/.exec(out)?.[1]);
  const non2xx = Number(/Non-2xx or 3xx responses:\s+(\d+)/.exec(out)?.[1] ?? 0);
  const socket = /Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)/.exec(out);
  const socketErrors = socket ? socket.slice(1).reduce((n, v) => n + Number(v), 0) : 0;
  return {
    rps,
    requests,
    p50ms: toMs(/\s50%\s+(\S+)/.exec(out)?.[1] ?? ""),
    p99ms: toMs(/\s99%\s+(\S+)/.exec(out)?.[1] ?? ""),
    errors: non2xx + socketErrors,
  };
}

/** The value below which `p` (0–1) of the sorted `values` lie. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(p * sorted.length))];
}

/** Prints rows as an aligned table with a header. */
export function table(header: string[], rows: (string | number)[][]): void {
  const cells = [header, ...rows.map((r) => r.map((c) => (typeof c === "number" ? fmt(c) : c)))];
  const widths = header.map((_, i) => Math.max(...cells.map((r) => String(r[i]).length)));
  for (const [n, row] of cells.entries()) {
    console.log(row.map((c, i) => String(c).padEnd(widths[i])).join("  "));
    if (n === 0) console.log(widths.map((w) => "-".repeat(w)).join("  "));
  }
}

function fmt(n: number): string {
  if (!Number.isFinite(n)) return String(n);
  return n >= 100 ? n.toFixed(0) : n >= 1 ? n.toFixed(2) : n.toFixed(3);
}

/** The machine the figures come from, for docs/performance.md. */
export function machine(): string {
  const cpu = spawnSync("sh", ["-c", "grep -m1 'model name' /proc/cpuinfo | cut -d: -f2"], {
    encoding: "utf8",
  }).stdout.trim();
  const mem = spawnSync("sh", ["-c", "grep MemTotal /proc/meminfo | awk '{print $2}'"], {
    encoding: "utf8",
  }).stdout.trim();
  const cores = spawnSync("nproc", { encoding: "utf8" }).stdout.trim();
  const gib = (Number(mem) / 1024 / 1024).toFixed(1);
  return `${cores} cores, ${gib} GiB, ${cpu}, Bun ${Bun.version}`;
}
