/**
 * Safe replacement, in process with a real Bun listener: when no handshake
 * presents the new certificate, the upload is refused with 503, the old
 * certificate is still served and the database is unchanged.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Appliance } from "../../src/appliance.ts";
import { makeTestPki } from "../../src/pki/testing/openssl-pki.ts";
import { boot } from "../../src/runtime/boot.ts";
import { listen } from "../../src/runtime/bun-server.ts";
import type { Listener } from "../../src/runtime/bun-server.ts";
import { presentedChain } from "../../src/runtime/tls-probe.ts";
import { freePort, TEST_HOSTNAME } from "../../test/helpers/appliance.ts";
import { fingerprint } from "../../test/helpers/certificates.ts";
import { snapshot } from "../../test/helpers/database.ts";

const pki = makeTestPki();
const ADMIN_KEY = "test-admin-key-0123456789abcdef0123456789";
const upload = {
  certificate: pki.leaf.pem,
  private_key: pki.leaf.keyPem,
  chain: pki.intermediate.pem,
};
let dataDir: string;
let appliance: Appliance;
let listener: Listener;
let decoy: ReturnType<typeof Bun.serve>;
let probeDecoy = true;

beforeAll(async () => {
  dataDir = mkdtempSync(join(tmpdir(), "portico-install-"));
  const booted = await boot({
    PORTICO_DATA_DIR: dataDir,
    PORTICO_HOSTNAME: TEST_HOSTNAME,
    PORTICO_ADMIN_API_KEY: ADMIN_KEY,
    PORTICO_LOG_LEVEL: "error",
  });
  appliance = booted.appliance;
  // Another server on another port, presenting a certificate that is neither.
  const other = pki.issue({ name: "install-decoy", san: "DNS:decoy.example.test" });
  decoy = Bun.serve({
    port: 0,
    hostname: "127.0.0.1",
    tls: { cert: other.pem, key: pki.leaf.keyPem },
    fetch: () => new Response("decoy"),
  });
  listener = await listen(
    appliance,
    {
      iface: "clean",
      port: await freePort(),
      hostname: "127.0.0.1",
      probe: (host, port) => presentedChain(host, probeDecoy ? decoy.port! : port),
    },
    booted.log,
  );
});

afterAll(async () => {
  await listener.stop();
  decoy.stop(true);
  await appliance.stop();
  rmSync(dataDir, { recursive: true, force: true });
});

/** A real handshake; openssl s_client would block this process, which serves it. */
const served = () => presentedChain("127.0.0.1", listener.port);

function put(json: unknown) {
  return appliance.app.fetch(
    new Request("https://appliance.example.test/api/v1/tls/clean/certificate", {
      method: "PUT",
      headers: { authorization: `Bearer ${ADMIN_KEY}`, "content-type": "application/json" },
      body: JSON.stringify(json),
    }),
    { iface: "clean", remoteAddress: "127.0.0.1" },
  );
}

describe("safe replacement", () => {
  test("refuses with 503 when no handshake presents the new certificate, changing nothing", async () => {
    const before = await snapshot(dataDir);
    const servedBefore = await served();

    const answer = await put(upload);
    expect(answer.status).toBe(503);
    const problem = await answer.json();
    expect(problem.code).toBe("listener_restart_failed");
    expect(problem.detail).toContain("previous certificate is still served");

    expect(await served()).toEqual(servedBefore);
    expect(listener.fingerprint).toBe(servedBefore[0]);
    expect(await snapshot(dataDir)).toEqual(before);
  });

  test("serves and saves the same upload once a handshake presents it", async () => {
    probeDecoy = false;
    const answer = await put(upload);
    expect(answer.status).toBe(200);
    expect(await served()).toEqual([fingerprint(pki.leaf.pem), fingerprint(pki.intermediate.pem)]);
    expect(listener.fingerprint).toBe(fingerprint(pki.leaf.pem));
  });
});
