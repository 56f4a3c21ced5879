/**
 * The single binary built by `npm run build`: it runs from an empty folder,
 * serves the gateway journey, and its CLI answers with the documented
 * output and exit codes.
 */
import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { KERNEL_VERSION } from "../src/version.ts";
import { TEST_HOSTNAME, startAppliance } from "./helpers/appliance.ts";
import type { RunningAppliance } from "./helpers/appliance.ts";
import { gatewayJourney, presentedFingerprint, waitUntilPresented } from "./helpers/journey.ts";
import { presentedCertificates } from "./helpers/openssl.ts";
import { buildBinary } from "./helpers/tools.ts";

let binary: { path: string; cleanup(): void };
let empty: string;
let appliance: RunningAppliance;

beforeAll(async () => {
  binary = await buildBinary();
  empty = mkdtempSync(join(tmpdir(), "portico-empty-"));
  appliance = await startAppliance({}, [binary.path, "serve"]);
});

afterAll(async () => {
  await appliance?.stop();
  appliance?.cleanup();
  binary?.cleanup();
  rmSync(empty, { recursive: true, force: true });
});

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs the binary in an empty folder with only the given PORTICO_* variables. */
async function run(args: string[], env: Record<string, string> = {}): Promise<Run> {
  const proc = Bun.spawn([binary.path, ...args], {
    cwd: empty,
    env: { PATH: process.env.PATH ?? "", ...env },
    stdout: "pipe",
    stderr: "pipe",
  });
  const [stdout, stderr, code] = await Promise.all([
    new Response(proc.stdout).text(),
    new Response(proc.stderr).text(),
    proc.exited,
  ]);
  return { code, stdout, stderr };
}

/** The running appliance's settings, for one-shot commands on its database. */
function sameAppliance(): Record<string, string> {
  return { PORTICO_DATA_DIR: appliance.dataDir, PORTICO_HOSTNAME: TEST_HOSTNAME };
}

describe("the binary's command line", () => {
  test("version prints the kernel version and exits 0", async () => {
    expect(await run(["version"])).toEqual({ code: 0, stdout: `${KERNEL_VERSION}\n`, stderr: "" });
  });

  test("--help lists every command and exits 0", async () => {
    const help = await run(["--help"]);
    expect(help.code).toBe(0);
    for (const command of ["serve", "migrate", "admin", "cert", "version"]) {
      expect(help.stdout).toMatch(new RegExp(`^  ${command}\\b`, "m"));
    }
  });

  test("an unknown command exits 2 with one line on stderr", async () => {
    const result = await run(["frobnicate"]);
    expect(result.code).toBe(2);
    expect(result.stdout).toBe("");
    expect(result.stderr).toBe("portico: error: unknown command 'frobnicate'\n");
  });

  test("a bad variable exits 2 with one line naming it", async () => {
    const result = await run(["serve"], { PORTICO_CLEAN_PORT: "99999", PORTICO_LOG_LEVEL: "loud" });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "portico: invalid configuration: PORTICO_CLEAN_PORT: PORTICO_CLEAN_PORT must be a port " +
        "number from 1 to 65535; PORTICO_LOG_LEVEL: PORTICO_LOG_LEVEL must be debug, info, " +
        "warn or error\n",
    );
  });

  test("a remote database without PORTICO_SECRET_KEY exits 2 before connecting", async () => {
    const result = await run(["migrate"], { PORTICO_DATABASE_URL: "http://127.0.0.1:9" });
    expect(result.code).toBe(2);
    expect(result.stderr).toStartWith(
      "portico: invalid configuration: PORTICO_SECRET_KEY: required with a remote",
    );
    expect(result.stderr.split("\n")).toHaveLength(2);
  });

  test("a secret key that is not base64 exits 2 naming the variable", async () => {
    const result = await run(["serve"], {
      PORTICO_DATA_DIR: join(empty, "bad-key"),
      PORTICO_SECRET_KEY: "short",
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toBe(
      "portico: invalid configuration: PORTICO_SECRET_KEY: PORTICO_SECRET_KEY must be 32 bytes " +
        "in base64 (make one with: openssl rand -base64 32)\n",
    );
    expect(existsSync(join(empty, "bad-key"))).toBe(false);
  });

  test("cert show and admin create-key refuse a data folder where the appliance never ran", async () => {
    const folder = join(empty, "never-served");
    for (const args of [
      ["cert", "show"],
      ["admin", "create-key"],
      ["cert", "regenerate"],
    ]) {
      const result = await run(args, { PORTICO_DATA_DIR: folder });
      expect(result).toMatchObject({ code: 2, stdout: "" });
      expect(result.stderr).toContain(`no appliance is set up in ${folder} yet`);
    }
    // Nothing of a first boot was done: no administrator, key file or certificate.
    expect(existsSync(folder)).toBe(false);
  });

  test("migrate refuses a plugin configuration file that serve would refuse", async () => {
    const result = await run(["migrate"], {
      PORTICO_DATA_DIR: join(empty, "bad-plugin-config"),
      PORTICO_PLUGIN_CONFIG: join(empty, "no-such-plugins.json"),
    });
    expect(result.code).toBe(2);
    expect(result.stderr).toContain("PORTICO_PLUGIN_CONFIG: cannot read");
  });

  test("migrate applies every migration once and prints what it applied", async () => {
    const env = { PORTICO_DATA_DIR: join(empty, "migrated") };
    const first = await run(["migrate"], env);
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/^kernel 0001_\S+$/m);
    expect(first.stdout).toMatch(/^tls-identity \S+$/m);
    const again = await run(["migrate"], env);
    expect(again).toMatchObject({ code: 0, stdout: "" });
  });
});

describe("the binary serving", () => {
  test("a gateway registers, is activated and submits a sample over verified HTTPS", async () => {
    await gatewayJourney(appliance);
  });

  test("admin create-key prints a working key on stdout and never logs it", async () => {
    const result = await run(["admin", "create-key"], sameAppliance());
    expect(result.code).toBe(0);
    expect(result.stdout).toMatch(/^pk_[0-9a-f]{64}\n$/);
    const key = result.stdout.trim();
    expect(result.stderr).not.toContain(key);
    const answer = await appliance.call("GET", "/api/v1/appliance", { key });
    expect(answer.status).toBe(200);
    expect(appliance.logs).not.toContain(key);
  });

  test("admin create-key for a login that is not an administrator exits 1", async () => {
    const result = await run(["admin", "create-key", "--login", "nobody"], sameAppliance());
    expect(result).toMatchObject({ code: 1, stdout: "" });
    expect(result.stderr).toEndWith('portico: no administrator has the login "nobody"\n');
  });

  test("cert show prints the certificate the appliance presents", async () => {
    const details = await run(["cert", "show"], sameAppliance());
    expect(details.code).toBe(0);
    expect(JSON.parse(details.stdout).fingerprint_sha256).toBe(presentedFingerprint(appliance));
    const pem = await run(["cert", "show", "clean", "--pem"], sameAppliance());
    expect(pem.stdout).toBe(presentedCertificates(appliance.port, TEST_HOSTNAME)[0]);
  });

  test("cert regenerate replaces it and the running appliance serves the new one", async () => {
    const result = await run(
      ["cert", "regenerate", "--key-algorithm", "ecdsa-p384", "--validity-days", "30"],
      sameAppliance(),
    );
    expect(result.code).toBe(0);
    const details = JSON.parse(result.stdout);
    expect(details).toMatchObject({ key_algorithm: "ecdsa-p384", source: "generated" });
    const fingerprint = details.fingerprint_sha256;
    expect(await waitUntilPresented(appliance, fingerprint)).toBe(fingerprint);
    appliance.trusted = [presentedCertificates(appliance.port, TEST_HOSTNAME)[0]];
    const audit = await appliance.call("GET", "/api/v1/audit-events?action=certificate.regenerate");
    expect(audit.json.items[0]).toMatchObject({ actor: "cli", source: "cli", target: "clean" });
  });

  test("cert regenerate refuses an unknown key algorithm with exit 2", async () => {
    const result = await run(["cert", "regenerate", "--key-algorithm", "dsa"], sameAppliance());
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toContain("portico: The key algorithm must be one of ecdsa-p256");
  });
});

describe("a third-party plugin file named in PORTICO_PLUGINS", () => {
  test("is imported from disk by the binary and serves its routes", async () => {
    const file = join(empty, "hello-plugin.mjs");
    writeFileSync(
      file,
      `export default {
  brand: "portico.plugin/1", id: "hello-world", version: "1.0.0", kernel: "^0.1.0",
  prefixes: ["/hello"],
  setup(ctx) {
    const open = { brand: "portico.access", open: true, roles: [], inactive: true };
    ctx.route("/hello").get("/", open, (c) => c.json({ hello: ctx.id }));
  },
};
`,
    );
    const withPlugin = await startAppliance({ PORTICO_PLUGINS: file }, [binary.path, "serve"]);
    try {
      const hello = await withPlugin.call("GET", "/hello", { key: null });
      expect(hello.json).toEqual({ hello: "hello-world" });
    } finally {
      await withPlugin.stop();
      withPlugin.cleanup();
    }
  });

  test("that cannot be loaded stops the start with exit 2 naming the file", async () => {
    const missing = join(empty, "missing-plugin.mjs");
    const result = await run(["serve"], { PORTICO_PLUGINS: missing, PORTICO_DATA_DIR: empty });
    expect(result).toMatchObject({ code: 2, stdout: "" });
    expect(result.stderr).toStartWith(
      `portico: invalid configuration: PORTICO_PLUGINS: cannot load ${missing}:`,
    );
    expect(result.stderr.split("\n")).toHaveLength(2);
  });
});
