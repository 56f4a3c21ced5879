/**
 * Starts the real appliance as a separate process on a free port with a
 * fresh data folder, the way `npm start` does, and talks to it over
 * verified HTTPS.
 *
 * @module
 */
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Subprocess } from "bun";
import { verifiedRequest } from "./https.ts";
import type { HttpsResponse } from "./https.ts";
import { presentedCertificates } from "./openssl.ts";

export const TEST_HOSTNAME = "appliance.example.test";
const ROOT = join(import.meta.dir, "..", "..");

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const port = (server.address() as { port: number }).port;
      server.close(() => resolve(port));
    });
  });
}

export interface CallOptions {
  key?: string | null;
  json?: unknown;
  form?: Record<string, string>;
  multipart?: FormData;
  /** A body sent as it is, with the Content-Type from `headers`. */
  raw?: string;
  headers?: Record<string, string>;
}

export class RunningAppliance {
  private process: Subprocess<"ignore", "pipe", "pipe"> | null = null;
  private output = "";
  /** The CA list the client trusts: the certificate the appliance presented. */
  trusted: string[] = [];
  adminKey = "";
  port = 0;

  constructor(
    readonly dataDir: string,
    readonly env: Record<string, string>,
    /** The command that serves; `npm start`'s by default. */
    readonly command: string[] = [process.execPath, join(ROOT, "src/runtime/bun.ts"), "serve"],
  ) {}

  /** The hostname the appliance was started with, which its certificate names. */
  get hostname(): string {
    return this.env.PORTICO_HOSTNAME ?? TEST_HOSTNAME;
  }

  get logs(): string {
    return this.output;
  }

  async start(): Promise<void> {
    if (!this.port) this.port = await freePort();
    const proc = Bun.spawn(this.command, {
      cwd: ROOT,
      env: {
        ...process.env,
        PORTICO_DATA_DIR: this.dataDir,
        PORTICO_HOSTNAME: this.hostname,
        PORTICO_CLEAN_PORT: String(this.port),
        // Debug, so that the access log's redaction is in what the tests read.
        PORTICO_LOG_LEVEL: "debug",
        ...this.env,
      },
      stdin: "ignore",
      stdout: "pipe",
      stderr: "pipe",
    });
    this.process = proc;
    const from = this.output.length;
    const collect = async (stream: ReadableStream<Uint8Array>) => {
      const decoder = new TextDecoder();
      for await (const chunk of stream) this.output += decoder.decode(chunk);
    };
    void collect(proc.stdout);
    void collect(proc.stderr);
    const deadline = Date.now() + 30_000;
    while (this.output.indexOf('"portico is serving"', from) < 0) {
      if (proc.exitCode !== null) throw new Error(`appliance exited:\n${this.output}`);
      if (Date.now() > deadline) throw new Error(`appliance did not start:\n${this.output}`);
      await Bun.sleep(50);
    }
    if (!this.env.PORTICO_ADMIN_API_KEY) {
      this.adminKey = readFileSync(join(this.dataDir, "initial-admin-api-key"), "utf8").trim();
    } else {
      this.adminKey = this.env.PORTICO_ADMIN_API_KEY;
    }
    this.trusted = [presentedCertificates(this.port, this.hostname)[0]];
  }

  /** Stops with a signal and waits for the exit code. */
  async stop(signal: NodeJS.Signals = "SIGTERM"): Promise<number | null> {
    const proc = this.process;
    if (!proc) return null;
    proc.kill(signal);
    const code = await proc.exited;
    this.process = null;
    return code;
  }

  async restart(): Promise<void> {
    await this.stop();
    await this.start();
  }

  /** Calls the API over HTTPS, verifying the server against {@link trusted}. */
  async call(method: string, path: string, options: CallOptions = {}): Promise<HttpsResponse> {
    const headers: Record<string, string> = { ...options.headers };
    const key = options.key === undefined ? this.adminKey : options.key;
    if (key) headers.authorization = `Bearer ${key}`;
    let body: string | Uint8Array | undefined;
    if (options.raw !== undefined) {
      body = options.raw;
    } else if (options.json !== undefined) {
      headers["content-type"] = "application/json";
      body = JSON.stringify(options.json);
    } else if (options.form) {
      headers["content-type"] = "application/x-www-form-urlencoded";
      body = new URLSearchParams(options.form).toString();
    } else if (options.multipart) {
      const encoded = new Response(options.multipart);
      headers["content-type"] = encoded.headers.get("content-type")!;
      body = new Uint8Array(await encoded.arrayBuffer());
    }
    return verifiedRequest(
      { hostname: this.hostname, address: "127.0.0.1", port: this.port, ca: this.trusted },
      path,
      { method, headers, body },
    );
  }

  cleanup(): void {
    rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/** A new appliance on a fresh data folder, started. */
export async function startAppliance(
  env: Record<string, string> = {},
  command?: string[],
): Promise<RunningAppliance> {
  const dataDir = mkdtempSync(join(tmpdir(), "portico-test-"));
  const appliance = new RunningAppliance(dataDir, env, command);
  await appliance.start();
  return appliance;
}
