/**
 * Database faults against the real server: a database file locked by
 * another process beyond the busy timeout, and a libSQL server (sqld) that
 * goes away, give 503 `database_unavailable` with Retry-After — never a
 * crash or a 500 — and the appliance recovers by itself when the database
 * returns.
 */
import { afterEach, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { freePort, startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { sqldBinary } from "./helpers/tools.ts";

const CLIENT_ID = "01_42294D401307BCB4DBEC-E1431E45EFA5_C600V_".padEnd(65, "0");
const SECRET_KEY = Buffer.alloc(32, 7).toString("base64");

const cleanups: (() => Promise<void> | void)[] = [];
afterEach(async () => {
  for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
});

/** Another process that holds the file's write lock until told to let go. */
async function holdWriteLock(file: string) {
  const script = `
    const { createClient } = await import("@libsql/client");
    const client = createClient({ url: "file:${file}" });
    const tx = await client.transaction("write");
    await tx.execute("UPDATE settings SET key = key WHERE 0");
    console.log("held");
    for await (const _ of console) break;
    await tx.commit();
    client.close();
  `;
  const proc = Bun.spawn([process.execPath, "-e", script], {
    cwd: join(import.meta.dir, ".."),
    stdin: "pipe",
    stdout: "pipe",
    stderr: "inherit",
  });
  const reader = proc.stdout.getReader();
  const { value } = await reader.read();
  expect(new TextDecoder().decode(value)).toContain("held");
  return {
    async release() {
      proc.stdin.write("go\n");
      proc.stdin.end();
      expect(await proc.exited).toBe(0);
    },
  };
}

type Answer = { status: number; headers: Record<string, unknown>; json: any; text: string };

/** A native 503 problem `database_unavailable` with Retry-After. */
function expectUnavailable(res: Answer) {
  expect(res.status, res.text).toBe(503);
  expect(res.headers["retry-after"]).toBe("5");
  expect(res.headers["content-type"]).toBe("application/problem+json");
  expect(res.json.code).toBe("database_unavailable");
}

/** The same in the Threat Grid envelope. */
function expectUnavailableEnvelope(res: Answer) {
  expect(res.status, res.text).toBe(503);
  expect(res.headers["retry-after"]).toBe("5");
  expect(res.json.error.code).toBe(503);
  expect(res.json.error.errors[0].code).toBe("database_unavailable");
}

test("a file locked past the busy timeout gives 503; writes resume after the lock", async () => {
  const app: RunningAppliance = await startAppliance({ PORTICO_DB_BUSY_TIMEOUT_MS: "300" });
  cleanups.push(async () => {
    await app.stop();
    app.cleanup();
  });
  const lock = await holdWriteLock(join(app.dataDir, "portico.db"));

  const settings = await app.call("PATCH", "/api/v1/settings", {
    json: { "registration.rate_limit_per_minute": 7 },
  });
  expectUnavailable(settings);
  const registration = await app.call("POST", "/csa/api/register", {
    key: null,
    json: { client_id: CLIENT_ID, device_type: "esa" },
  });
  expect(registration.status).toBe(503);
  expect(registration.json.code).toBe("database_unavailable");
  expect((await app.call("GET", "/api/v3/session/whoami")).status).toBe(200);

  await lock.release();
  const again = await app.call("PATCH", "/api/v1/settings", {
    json: { "registration.rate_limit_per_minute": 7 },
  });
  expect(again.status).toBe(200);
  const registered = await app.call("POST", "/csa/api/register", {
    key: null,
    json: { client_id: CLIENT_ID, device_type: "esa" },
  });
  expect(registered.status, registered.text).toBe(201);
  expect(app.logs).not.toContain('"unhandled error"');
}, 60_000);

/** sqld on a fixed port and folder, so it can be stopped and started again. */
function sqld(dir: string, port: number) {
  let proc: Subprocess | null = null;
  return {
    url: `http://127.0.0.1:${port}`,
    async start() {
      proc = Bun.spawn(
        [
          sqldBinary(),
          "--db-path",
          join(dir, "data.sqld"),
          "--http-listen-addr",
          `127.0.0.1:${port}`,
        ],
        { cwd: dir, stdout: "ignore", stderr: "ignore" },
      );
      for (let i = 0; i < 300; i++) {
        const up = await fetch(`http://127.0.0.1:${port}/health`).then(
          (r) => r.ok,
          () => false,
        );
        if (up) return;
        await Bun.sleep(50);
      }
      throw new Error("sqld did not start");
    },
    async stop() {
      proc?.kill("SIGKILL");
      await proc?.exited;
      proc = null;
    },
  };
}

test("a libSQL server that goes away gives 503 on /readyz and requests; recovers", async () => {
  const dir = mkdtempSync(join(tmpdir(), "portico-sqld-"));
  const server = sqld(dir, await freePort());
  await server.start();
  const app = await startAppliance({
    PORTICO_DATABASE_URL: server.url,
    PORTICO_SECRET_KEY: SECRET_KEY,
  });
  cleanups.push(async () => {
    await app.stop("SIGKILL");
    app.cleanup();
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  });
  expect((await app.call("GET", "/readyz", { key: null })).status).toBe(200);

  await server.stop();
  expectUnavailable(await app.call("GET", "/readyz", { key: null }));
  expectUnavailableEnvelope(await app.call("GET", "/api/v3/session/whoami"));
  expectUnavailable(
    await app.call("POST", "/csa/api/register", {
      key: null,
      json: { client_id: CLIENT_ID, device_type: "esa" },
    }),
  );

  await server.start();
  expect((await app.call("GET", "/readyz", { key: null })).status).toBe(200);
  expect((await app.call("GET", "/api/v3/session/whoami")).status).toBe(200);
  const registered = await app.call("POST", "/csa/api/register", {
    key: null,
    json: { client_id: CLIENT_ID, device_type: "esa" },
  });
  expect(registered.status, registered.text).toBe(201);
  expect(app.logs).not.toContain('"unhandled error"');
}, 90_000);
