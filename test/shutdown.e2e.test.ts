/**
 * Graceful shutdown of `portico serve`: SIGTERM lets a request in flight
 * finish, stops the workers, closes the database and exits 0 in time.
 */
import { expect, test } from "bun:test";
import { createClient } from "@libsql/client";
import https from "node:https";
import { join } from "node:path";
import { TEST_HOSTNAME, startAppliance } from "./helpers/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";

test("SIGTERM during an upload answers it, then exits 0 with the sample stored", async () => {
  const appliance = await startAppliance();
  try {
    const registered = await appliance.call("POST", "/csa/api/register", {
      key: null,
      json: registration(newClientId()),
    });
    await appliance.call("POST", `/api/v1/users/${registered.json.login}/activate`);

    const form = new FormData();
    form.set("sample", new File([new Uint8Array(256 * 1024).fill(7)], "slow.bin"));
    const encoded = new Response(form);
    const contentType = encoded.headers.get("content-type")!;
    const body = new Uint8Array(await encoded.arrayBuffer());
    let answered!: (status: number) => void;
    const status = new Promise<number>((resolve) => (answered = resolve));
    const upload = https.request(
      {
        host: "127.0.0.1",
        servername: TEST_HOSTNAME,
        port: appliance.port,
        path: "/api/v2/samples",
        method: "POST",
        ca: appliance.trusted,
        agent: false,
        headers: {
          host: TEST_HOSTNAME,
          authorization: `Bearer ${registered.json.api_key}`,
          "content-type": contentType,
          "content-length": String(body.length),
        },
      },
      (response) => {
        response.resume();
        response.on("end", () => answered(response.statusCode ?? 0));
      },
    );
    upload.write(body.subarray(0, body.length / 2));
    await Bun.sleep(300);

    const started = Date.now();
    const exited = appliance.stop("SIGTERM");
    await Bun.sleep(300);
    upload.end(body.subarray(body.length / 2));

    expect(await status).toBe(200);
    expect(await exited).toBe(0);
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(appliance.logs).toContain('"msg":"stopped"');
    const db = createClient({ url: `file:${join(appliance.dataDir, "portico.db")}` });
    const stored = await db.execute("SELECT filename, size FROM samples");
    db.close();
    expect(stored.rows.map((r) => [r.filename, r.size])).toEqual([["slow.bin", 256 * 1024]]);
  } finally {
    appliance.cleanup();
  }
});
