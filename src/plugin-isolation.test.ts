/**
 * A faulty plugin cannot take the appliance down, lose another plugin's
 * events, or read another plugin's secrets.
 */
import { expect, test } from "bun:test";
import * as v from "valibot";
import { exitCodeOf } from "./cli.ts";
import { definePlugin } from "./plugin.ts";
import type { PluginContext } from "./plugin.ts";
import type { EventRecord } from "./services/events.ts";
import { createTestAppliance, ManualClock } from "./testing/appliance.ts";

const registration = (serial: string) => ({
  client_id: `01_VLNESA100200_${serial}_C100V_`.padEnd(65, "0"),
  device_type: "esa",
});

function recorder(id: string, behaviour: (attempt: number) => Promise<void> | void) {
  const seen: EventRecord[] = [];
  let attempts = 0;
  const plugin = definePlugin({
    id,
    version: "1.0.0",
    kernel: "^0.1.0",
    setup(ctx) {
      ctx.events.on(
        "device.registered",
        async (event) => {
          attempts += 1;
          await behaviour(attempts);
          seen.push(event);
        },
        { timeoutMs: 200 },
      );
    },
  });
  return { plugin, seen, attempts: () => attempts };
}

test("a handler that throws is retried for its plugin alone; the others get the event at once", async () => {
  const clock = new ManualClock();
  const flaky = recorder("flaky-one", (attempt) => {
    if (attempt === 1) throw new Error("the SOC channel is down");
  });
  const steady = recorder("steady-two", () => {});
  const kit = await createTestAppliance({ clock, plugins: [flaky.plugin, steady.plugin] });
  try {
    await kit.request("POST", "/csa/api/register", { key: null, json: registration("ISOLATE01") });
    await kit.runJobs();
    expect(steady.seen.length).toBe(1);
    expect(flaky.seen.length).toBe(0);
    const listed = await kit.request("GET", "/api/v1/plugins");
    const entry = listed.json.items.find((p: { id: string }) => p.id === "flaky-one");
    expect(entry.status).toBe("running");
    expect(entry.error).toContain("device.registered: the SOC channel is down");

    clock.advance(2_000);
    await kit.runJobs();
    expect(flaky.seen.map((e) => e.id)).toEqual(steady.seen.map((e) => e.id));
    expect(steady.seen.length).toBe(1);
  } finally {
    await kit.close();
  }
});

test("a handler that never settles is abandoned at its time limit and retried later", async () => {
  const clock = new ManualClock();
  const hanging = recorder("hangs-forever", (attempt) =>
    attempt === 1 ? new Promise<void>(() => {}) : undefined,
  );
  const steady = recorder("steady-two", () => {});
  const kit = await createTestAppliance({ clock, plugins: [hanging.plugin, steady.plugin] });
  try {
    await kit.request("POST", "/csa/api/register", { key: null, json: registration("ISOLATE02") });
    const started = performance.now();
    await kit.runJobs();
    expect(performance.now() - started).toBeLessThan(5_000);
    expect(steady.seen.length).toBe(1);
    expect(hanging.seen.length).toBe(0);
    clock.advance(2_000);
    await kit.runJobs();
    expect(hanging.seen.length).toBe(1);
    expect(hanging.attempts()).toBe(2);
  } finally {
    await kit.close();
  }
});

test("a plugin whose setup throws stops the start, naming it, unless it asks to be disabled", async () => {
  const broken = (onBootFailure?: "abort" | "disable") =>
    definePlugin({
      id: "broken-setup",
      version: "1.0.0",
      kernel: "^0.1.0",
      onBootFailure,
      setup() {
        throw new Error("cannot reach the scanner");
      },
    });
  await expect(createTestAppliance({ plugins: [broken()] })).rejects.toThrow(
    "plugin broken-setup: setup failed: cannot reach the scanner",
  );
  const kit = await createTestAppliance({ plugins: [broken("disable")] });
  try {
    const listed = await kit.request("GET", "/api/v1/plugins");
    expect(listed.json.items).toContainEqual({
      id: "broken-setup",
      version: "1.0.0",
      status: "disabled",
      error: "cannot reach the scanner",
    });
    expect((await kit.request("GET", "/healthz")).status).toBe(200);
  } finally {
    await kit.close();
  }
});

test("a failing migration stops the start, naming the plugin and the migration", async () => {
  const plugin = definePlugin({
    id: "bad-migration",
    version: "1.0.0",
    kernel: "^0.1.0",
    migrations: [{ id: "0001_broken", sql: "CREATE TABLE oops (" }],
    setup() {},
  });
  const error = await createTestAppliance({ plugins: [plugin] }).catch((e: unknown) => e);
  expect(String(error)).toContain("migration 0001_broken of bad-migration failed");
  // It fails the same way on every start: the exit code says "fix the setup", not "retry".
  expect(exitCodeOf(error)).toBe(2);
});

test("a route without an access rule stops the start as a permanent fault", async () => {
  const plugin = definePlugin({
    id: "no-rule",
    version: "1.0.0",
    kernel: "^0.1.0",
    prefixes: ["/api/v1/no-rule"],
    setup(ctx) {
      const router = ctx.route("/api/v1/no-rule") as unknown as {
        get(path: string, handler: () => Response): void;
      };
      router.get("/", () => new Response("hi"));
    },
  });
  const error = await createTestAppliance({ plugins: [plugin] }).catch((e: unknown) => e);
  expect(String(error)).toContain("route GET /api/v1/no-rule/ has no access rule");
  expect(exitCodeOf(error)).toBe(2);
});

test("a setup that throws for its own reasons may work on a restart", async () => {
  const plugin = definePlugin({
    id: "scanner-down",
    version: "1.0.0",
    kernel: "^0.1.0",
    setup() {
      throw new Error("cannot reach the scanner");
    },
  });
  const error = await createTestAppliance({ plugins: [plugin] }).catch((e: unknown) => e);
  expect(String(error)).toContain("cannot reach the scanner");
  expect(exitCodeOf(error)).toBe(1);
});

test("invalid plugin configuration names each bad field", async () => {
  const plugin = definePlugin({
    id: "picky",
    version: "1.0.0",
    kernel: "^0.1.0",
    config: v.object({ channel: v.string("must be text"), retries: v.number("must be a number") }),
    setup() {},
  });
  const error = await createTestAppliance({
    plugins: [plugin],
    pluginConfig: { picky: { channel: 5, retries: "x" } },
  }).catch((e: unknown) => e);
  expect(String(error)).toContain(
    "its configuration is not valid: channel: must be text; retries: must be a number",
  );
});

test("one plugin cannot open what another plugin sealed", async () => {
  let sealed = "";
  let theirs: PluginContext | undefined;
  const owner = definePlugin({
    id: "secret-owner",
    version: "1.0.0",
    kernel: "^0.1.0",
    async setup(ctx) {
      sealed = await ctx.secrets.seal("amp-password");
      expect(await ctx.secrets.open(sealed)).toBe("amp-password");
    },
  });
  const other = definePlugin({
    id: "nosy-neighbour",
    version: "1.0.0",
    kernel: "^0.1.0",
    setup(ctx) {
      theirs = ctx;
    },
  });
  const kit = await createTestAppliance({ plugins: [owner, other] });
  try {
    await expect(theirs!.secrets.open(sealed)).rejects.toThrow();
  } finally {
    await kit.close();
  }
});
