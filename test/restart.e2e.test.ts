/**
 * The appliance's state survives a restart: the database file, the sealed
 * certificate key and the secret key file are all it needs.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readFileSync, statSync } from "node:fs";
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { RunningAppliance, startAppliance, TEST_HOSTNAME } from "./helpers/appliance.ts";
import { query, snapshot } from "./helpers/database.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import { presentedCertificates } from "./helpers/openssl.ts";

let appliance: RunningAppliance;

beforeAll(async () => {
  appliance = await startAppliance();
});

afterAll(async () => {
  await appliance.stop();
  appliance.cleanup();
});

test("state after a restart equals state before, and every key still works", async () => {
  const id = newClientId();
  const { json } = await appliance.call("POST", "/csa/api/register", {
    key: null,
    json: registration(id),
  });
  await appliance.call("POST", `/api/v1/users/${id}/activate`);
  const form = new FormData();
  form.set("sample", new File(["restart sample"], "r.bin"));
  const sample = await appliance.call("POST", "/api/v2/samples", {
    key: json.api_key,
    multipart: form,
  });
  // Let analysis finish first, so that the snapshot is of a settled state.
  const statePath = `/api/v2/samples/${sample.json.data.id}/state`;
  for (let i = 0; i < 100; i++) {
    const { json: state } = await appliance.call("GET", statePath, { key: json.api_key });
    if (state.data.state === "succ" || state.data.state === "fail") break;
    await Bun.sleep(100);
  }
  await appliance.call("PUT", "/api/v1/appliance/hostname", { json: { hostname: TEST_HOSTNAME } });

  const before = await snapshot(appliance.dataDir);
  const presentedBefore = presentedCertificates(appliance.port, TEST_HOSTNAME)[0];
  expect(await appliance.stop("SIGTERM")).toBe(0);
  await appliance.start();

  expect(await snapshot(appliance.dataDir)).toEqual(before);
  expect(presentedCertificates(appliance.port, TEST_HOSTNAME)[0]).toBe(presentedBefore);
  const read = await appliance.call("GET", `/api/v2/samples/${sample.json.data.id}`, {
    key: json.api_key,
  });
  expect(read.json.data.sha256).toBe(sample.json.data.sha256);
  expect(["succ", "fail"]).toContain(read.json.data.state);
  const whoami = await appliance.call("GET", "/api/v3/session/whoami");
  expect(whoami.json.data).toMatchObject({ login: "admin", role: "admin", active: true });
});

test("the first boot writes the admin key and the secret key with mode 0600 and never logs the key", async () => {
  const keyFile = join(appliance.dataDir, "initial-admin-api-key");
  expect(statSync(keyFile).mode & 0o777).toBe(0o600);
  expect(statSync(join(appliance.dataDir, "secret.key")).mode & 0o777).toBe(0o600);
  for (const file of ["portico.db", "portico.db-wal", "portico.db-shm"]) {
    expect([file, statSync(join(appliance.dataDir, file)).mode & 0o777]).toEqual([file, 0o600]);
  }
  const key = readFileSync(keyFile, "utf8").trim();
  expect(appliance.logs).toContain(keyFile);
  expect(appliance.logs).not.toContain(key);
  const admins = await query(
    appliance.dataDir,
    "SELECT count(*) AS n FROM users WHERE role = 'admin'",
  );
  expect(admins[0].n).toBe(1);
});

test("the certificate's private key is stored sealed, never as PEM", async () => {
  const rows = await query(appliance.dataDir, "SELECT private_key_sealed FROM tls_certificates");
  expect(rows.length).toBeGreaterThan(0);
  for (const row of rows) {
    expect(String(row.private_key_sealed)).toMatch(/^v1\./);
    expect(String(row.private_key_sealed)).not.toContain("PRIVATE KEY");
  }
});

test("a different secret key is refused at start, naming the cause", async () => {
  await appliance.stop();
  const other = Buffer.alloc(32, 7).toString("base64");
  const proc = Bun.spawnSync([process.execPath, "src/runtime/bun.ts", "serve"], {
    cwd: join(import.meta.dir, ".."),
    env: {
      ...process.env,
      PORTICO_DATA_DIR: appliance.dataDir,
      PORTICO_SECRET_KEY: other,
      PORTICO_CLEAN_PORT: String(appliance.port),
    },
    timeout: 20_000,
  });
  // A key that does not fit the database is a configuration error: exit code 2.
  expect(proc.exitCode).toBe(2);
  expect(proc.stderr.toString()).toContain("secret key does not match");
  await appliance.start();
});

test("a second appliance on a port that is in use refuses to start, naming the port", async () => {
  const other = spawnSync(process.execPath, ["src/runtime/bun.ts", "serve"], {
    cwd: join(import.meta.dir, ".."),
    encoding: "utf8",
    timeout: 20_000,
    env: {
      ...process.env,
      PORTICO_DATA_DIR: join(appliance.dataDir, "second"),
      PORTICO_CLEAN_PORT: String(appliance.port),
    },
  });
  expect(other.status).toBe(2);
  expect(other.stderr).toContain(`port ${appliance.port} on 0.0.0.0 is already in use`);
  const before = presentedCertificates(appliance.port, TEST_HOSTNAME)[0];
  for (let i = 0; i < 6; i++) {
    expect(presentedCertificates(appliance.port, TEST_HOSTNAME)[0]).toBe(before);
  }
});

test("a PORTICO_HOSTNAME that differs from the stored hostname is ignored with a warning", async () => {
  await appliance.stop();
  const renamed = new RunningAppliance(appliance.dataDir, {
    PORTICO_HOSTNAME: "other.example.test",
  });
  renamed.port = appliance.port;
  await renamed.start();
  expect(renamed.logs).toContain(`"url":"https://appliance.example.test:${appliance.port}/"`);
  expect(renamed.logs).toContain(
    "PORTICO_HOSTNAME=other.example.test is ignored: it sets the hostname on first boot only",
  );
  await renamed.stop();
  await appliance.start();
});
