/**
 * The test kit: one call builds an appliance in this process on a fresh
 * libSQL file, with the first-party plugins and any plugin under test, and
 * answers requests through the real core app (auth, errors, plugins).
 *
 * @module
 */
import "reflect-metadata";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createAppliance } from "../appliance.ts";
import type { Appliance } from "../appliance.ts";
import { loadConfig } from "../config.ts";
import { createLogger } from "../log.ts";
import type { Clock } from "../services/clock.ts";

/** A clock that stands still until a test moves it. */
export class ManualClock implements Clock {
  constructor(private current = new Date("2026-12-03T12:00:00.000Z")) {}
  now(): Date {
    return new Date(this.current);
  }
  advance(ms: number): void {
    this.current = new Date(this.current.getTime() + ms);
  }
}

export interface TestRequest {
  /** The API key; default the administrator's; null for none. */
  key?: string | null;
  json?: unknown;
  form?: Record<string, string>;
  multipart?: FormData;
  headers?: Record<string, string>;
}

export interface TestAnswer {
  status: number;
  headers: Headers;
  text: string;
  json: any;
}

export interface TestAppliance {
  readonly appliance: Appliance;
  readonly adminKey: string;
  readonly dataDir: string;
  request(method: string, path: string, init?: TestRequest): Promise<TestAnswer>;
  /** Runs the background jobs (event dispatch, analysis, deliveries) once. */
  runJobs(): Promise<void>;
  close(): Promise<void>;
}

export interface TestApplianceOptions {
  /** Plugins beside the first-party ones (or instead, with `only`). */
  plugins?: unknown[];
  /** Load only `plugins`, without the first-party ones. */
  only?: boolean;
  pluginConfig?: Record<string, unknown>;
  clock?: Clock;
  env?: Record<string, string>;
}

const ADMIN_KEY = "pk_" + "a".repeat(64);

export async function createTestAppliance(
  options: TestApplianceOptions = {},
): Promise<TestAppliance> {
  const { firstPartyPlugins } = await import("../runtime/plugins.ts");
  const dataDir = mkdtempSync(join(tmpdir(), "portico-kit-"));
  const config = loadConfig(
    {
      PORTICO_DATA_DIR: dataDir,
      PORTICO_HOSTNAME: "appliance.example.test",
      PORTICO_ADMIN_API_KEY: ADMIN_KEY,
      PORTICO_LOG_LEVEL: "warn",
      ...options.env,
    },
    { hostname: "appliance.example.test" },
  );
  const appliance = await createAppliance({
    config,
    log: createLogger(config.logLevel),
    plugins: [...(options.only ? [] : firstPartyPlugins), ...(options.plugins ?? [])],
    pluginConfig: options.pluginConfig,
    clock: options.clock,
    workers: false,
  });

  return {
    appliance,
    adminKey: ADMIN_KEY,
    dataDir,
    async request(method, path, init = {}) {
      const headers = new Headers(init.headers);
      const key = init.key === undefined ? ADMIN_KEY : init.key;
      if (key) headers.set("authorization", `Bearer ${key}`);
      let body: BodyInit | undefined;
      if (init.json !== undefined) {
        headers.set("content-type", "application/json");
        body = JSON.stringify(init.json);
      } else if (init.form) {
        body = new URLSearchParams(init.form);
      } else if (init.multipart) {
        body = init.multipart;
      }
      const response = await appliance.app.fetch(
        new Request(`https://appliance.example.test${path}`, { method, headers, body }),
        { remoteAddress: "127.0.0.1", iface: "clean" },
      );
      const text = await response.text();
      let json: unknown;
      try {
        json = JSON.parse(text);
      } catch {
        json = undefined;
      }
      return { status: response.status, headers: response.headers, text, json };
    },
    runJobs: () => appliance.runJobs(),
    async close() {
      await appliance.stop();
      rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
