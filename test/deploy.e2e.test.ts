/**
 * The deploy/ examples: the systemd unit passes `systemd-analyze verify`,
 * and the nginx terminator example, run for real in front of Portico,
 * passes requests through with the client's address believed only from
 * the trusted proxy.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import https from "node:https";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { TEST_HOSTNAME, freePort, startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import { openssl } from "./helpers/openssl.ts";
import { ROOT, nginxBinary, systemdAnalyze } from "./helpers/tools.ts";

describe("the systemd unit", () => {
  test("passes systemd-analyze verify and scores as well protected", () => {
    const dir = mkdtempSync(join(tmpdir(), "portico-unit-"));
    try {
      // verify needs ExecStart to exist; any executable stands in for the binary.
      const unit = readFileSync(join(ROOT, "deploy/portico.service"), "utf8").replace(
        "ExecStart=/usr/local/bin/portico",
        `ExecStart=${process.execPath}`,
      );
      const path = join(dir, "portico.service");
      writeFileSync(path, unit);
      const verify = spawnSync(systemdAnalyze(), ["verify", path], { encoding: "utf8" });
      expect({ status: verify.status, stderr: verify.stderr }).toEqual({ status: 0, stderr: "" });
      const security = spawnSync(systemdAnalyze(), ["security", "--offline=yes", path], {
        encoding: "utf8",
      });
      const level = Number(/Overall exposure level for \S+: ([\d.]+)/.exec(security.stdout)?.[1]);
      expect(level).toBeLessThanOrEqual(2);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe("the nginx terminator example", () => {
  let dir: string;
  let portico: RunningAppliance;
  let nginx: Subprocess<"ignore", "ignore", "pipe">;
  let port: number;
  let terminatorCert: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), "portico-nginx-"));
    portico = await startAppliance({ PORTICO_TRUSTED_PROXIES: "127.0.0.1/32" });
    port = await freePort();

    const key = join(dir, "terminator.key");
    terminatorCert = openssl([
      "req",
      "-x509",
      "-newkey",
      "ec",
      "-pkeyopt",
      "ec_paramgen_curve:P-256",
      "-nodes",
      "-keyout",
      key,
      "-subj",
      `/CN=${TEST_HOSTNAME}`,
      "-days",
      "1",
      "-addext",
      `subjectAltName=DNS:${TEST_HOSTNAME}`,
    ]);
    writeFileSync(join(dir, "terminator.pem"), terminatorCert);
    writeFileSync(join(dir, "upstream.pem"), portico.trusted[0]);

    const site = readFileSync(join(ROOT, "deploy/nginx.conf"), "utf8")
      .replace("listen 443 ssl http2;", `listen 127.0.0.1:${port} ssl http2;`)
      .replace(/^\s*listen \[::\]:443.*$/m, "")
      .replace("server 127.0.0.1:8443;", `server 127.0.0.1:${portico.port};`)
      .replaceAll("sandbox.example.com;", `${TEST_HOSTNAME};`)
      .replaceAll("/etc/nginx/tls/sandbox.example.com.fullchain.pem", join(dir, "terminator.pem"))
      .replaceAll("/etc/nginx/tls/sandbox.example.com.key", key)
      .replaceAll("/etc/nginx/portico-upstream.pem", join(dir, "upstream.pem"));
    writeFileSync(join(dir, "site.conf"), site);
    const temp = (name: string) => `${name}_temp_path ${join(dir, name)};`;
    writeFileSync(
      join(dir, "nginx.conf"),
      `daemon off;\nuser root;\npid ${join(dir, "nginx.pid")};\nerror_log stderr warn;\n` +
        `events {}\nhttp {\n  access_log off;\n  ${temp("client_body")}\n  ${temp("proxy")}\n` +
        `  ${temp("fastcgi")}\n  ${temp("uwsgi")}\n  ${temp("scgi")}\n` +
        `  include ${join(dir, "site.conf")};\n}\n`,
    );
    nginx = Bun.spawn([nginxBinary(), "-p", dir, "-c", join(dir, "nginx.conf")], {
      stdout: "ignore",
      stderr: "pipe",
    });
    for (let i = 0; i < 100; i++) {
      if (nginx.exitCode !== null) throw new Error(await new Response(nginx.stderr).text());
      const probe = spawnSync("bash", ["-c", `echo > /dev/tcp/127.0.0.1/${port}`]);
      if (probe.status === 0) break;
      await Bun.sleep(50);
    }
  });

  afterAll(async () => {
    nginx?.kill("SIGTERM");
    await nginx?.exited;
    await portico?.stop();
    portico?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  /** A gateway on 127.0.0.2 posting JSON over HTTPS, verifying the server against `ca`. */
  function post(target: { port: number; ca: string }, path: string, body: unknown) {
    return new Promise<{ status: number; json: any }>((resolve, reject) => {
      const request = https.request(
        {
          host: "127.0.0.1",
          port: target.port,
          servername: TEST_HOSTNAME,
          localAddress: "127.0.0.2",
          path,
          method: "POST",
          ca: [target.ca],
          agent: false,
          headers: {
            "content-type": "application/json",
            host: TEST_HOSTNAME,
            "x-forwarded-for": "198.51.100.1",
          },
        },
        (response) => {
          let text = "";
          response.on("data", (chunk) => (text += chunk));
          response.on("end", () =>
            resolve({ status: response.statusCode ?? 0, json: JSON.parse(text) }),
          );
        },
      );
      request.on("error", reject);
      request.end(JSON.stringify(body));
    });
  }

  async function registrationSources(id: string): Promise<string[]> {
    const audit = await portico.call(
      "GET",
      `/api/v1/audit-events?action=device.register&target=${id}`,
    );
    return audit.json.items.map((i: { source: string }) => i.source);
  }

  test("records the gateway behind it, not the address it forged", async () => {
    const id = newClientId();
    const registered = await post(
      { port, ca: terminatorCert },
      "/csa/api/register",
      registration(id),
    );
    expect(registered.status).toBe(201);
    expect(registered.json.login).toBe(id);
    expect(await registrationSources(id)).toEqual(["127.0.0.2"]);
  });

  test("a peer that is not a trusted proxy cannot name another address", async () => {
    const id = newClientId();
    const direct = await post(
      { port: portico.port, ca: portico.trusted[0] },
      "/csa/api/register",
      registration(id),
    );
    expect(direct.status).toBe(201);
    expect(await registrationSources(id)).toEqual(["127.0.0.2"]);
  });
});
