import { afterAll, beforeAll, expect, test } from "bun:test";
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { type Receiver, type TestPki, makeTestPki, startReceiver } from "./test-pki.ts";

// This machine points NODE_EXTRA_CA_CERTS and SSL_CERT_FILE at the system
// bundle; here a child process points them at the test root instead, so the
// root is trusted by default in that process but is not in the CA store.

let pki: TestPki;
let receiver: Receiver;

beforeAll(async () => {
  pki = makeTestPki();
  receiver = await startReceiver(pki.server);
});

afterAll(async () => {
  await receiver.close();
  pki.remove();
});

test("ignores a CA that NODE_EXTRA_CA_CERTS and SSL_CERT_FILE add to the process", async () => {
  const script = join(pki.dir, "extra-roots.ts");
  writeFileSync(
    script,
    `
    import { get } from "node:https";
    import { createOutboundClient } from ${JSON.stringify(join(import.meta.dir, "client.ts"))};
    const port = ${receiver.port};
    // The control: without a ca option this process trusts the extra root.
    const control = await new Promise((resolve) => {
      get({ host: "127.0.0.1", port, servername: "localhost", agent: false }, (res) => {
        res.resume();
        resolve("trusted " + res.statusCode);
      }).on("error", (e) => resolve("refused " + e.code));
    });
    const outbound = createOutboundClient({
      trustAnchors: () => [${JSON.stringify(pki.otherRoot)}],
      allow: [{ family: 4, base: 0x7f000000n, prefix: 8, text: "127.0.0.0/8" }],
    });
    let outcome;
    try {
      const res = await outbound.request("https://127.0.0.1:" + port + "/", { method: "GET" });
      outcome = "delivered " + res.status;
    } catch (e) {
      outcome = e.kind + " " + e.code;
    }
    console.log(JSON.stringify({ control, outcome }));
    `,
  );
  // Asynchronous: the receiver lives in this process and must keep serving.
  const child = spawn(process.execPath, [script], {
    env: { ...process.env, NODE_EXTRA_CA_CERTS: pki.rootPath, SSL_CERT_FILE: pki.rootPath },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk) => (stdout += chunk));
  child.stderr.on("data", (chunk) => (stderr += chunk));
  const exitCode = await new Promise((resolve) => child.on("close", resolve));

  expect(stderr).toBe("");
  expect(exitCode).toBe(0);
  expect(JSON.parse(stdout)).toEqual({
    control: "trusted 200",
    outcome: "tls_untrusted UNABLE_TO_VERIFY_LEAF_SIGNATURE",
  });
});
