import { describe, expect, test } from "bun:test";
import { PluginLoadError, resolvePlugins } from "./loader.ts";
import { definePlugin } from "./plugin.ts";
import type { PluginManifest } from "./plugin.ts";

const plugin = (overrides: Partial<PluginManifest> = {}) =>
  definePlugin({
    id: "sample-plugin",
    version: "1.0.0",
    kernel: "^0.1.0",
    setup() {},
    ...overrides,
  });

const resolve = (candidates: unknown[]) =>
  resolvePlugins(candidates, {
    kernelVersion: "0.1.0",
    kernelPrefixes: ["/healthz", "/api/v2/samples"],
  });

function refusal(candidates: unknown[]): string {
  try {
    resolve(candidates);
  } catch (error) {
    expect(error).toBeInstanceOf(PluginLoadError);
    return (error as Error).message;
  }
  throw new Error("expected a refusal");
}

describe("plugin loading", () => {
  test("orders plugins after the plugins they require", () => {
    const a = plugin({ id: "alpha", requires: ["bravo"] });
    const b = plugin({ id: "bravo", requires: ["charlie"] });
    const c = plugin({ id: "charlie" });
    expect(resolve([a, b, c]).map((p) => p.id)).toEqual(["charlie", "bravo", "alpha"]);
  });

  test("refuses an unknown dependency, naming both plugins", () => {
    expect(refusal([plugin({ id: "alpha", requires: ["ghost"] })])).toBe(
      "plugin alpha: it requires plugin ghost, which is not loaded",
    );
  });

  test("refuses a duplicate id", () => {
    expect(refusal([plugin(), plugin()])).toBe(
      "plugin sample-plugin: another plugin has the same id",
    );
  });

  test("refuses an unsupported kernel version, naming both versions", () => {
    expect(refusal([plugin({ kernel: "^2.0.0" })])).toBe(
      "plugin sample-plugin: it supports kernel ^2.0.0, but this appliance's kernel is 0.1.0",
    );
  });

  test("refuses a dependency cycle, showing the path", () => {
    const a = plugin({ id: "alpha", requires: ["bravo"] });
    const b = plugin({ id: "bravo", requires: ["alpha"] });
    expect(refusal([a, b])).toContain("alpha → bravo → alpha");
  });

  test("refuses a prefix that overlaps the kernel's or another plugin's", () => {
    expect(refusal([plugin({ prefixes: ["/api/v2"] })])).toBe(
      "plugin sample-plugin: prefix /api/v2 overlaps /api/v2/samples, served by kernel",
    );
    const a = plugin({ id: "alpha", prefixes: ["/api/v1/things"] });
    const b = plugin({ id: "bravo", prefixes: ["/api/v1/things/sub"] });
    expect(refusal([a, b])).toContain("overlaps /api/v1/things, served by plugin alpha");
  });

  test("accepts prefixes that only share a string start, not a path segment", () => {
    const a = plugin({ id: "alpha", prefixes: ["/api/v1/users"] });
    const b = plugin({ id: "bravo", prefixes: ["/api/v1/users-archive"] });
    expect(resolve([a, b]).length).toBe(2);
  });

  test("refuses mounting at the root", () => {
    expect(refusal([plugin({ prefixes: ["/"] })])).toContain(
      'prefix "/" is never allowed: declare the paths you serve, such as /api/v1/',
    );
    expect(refusal([plugin({ prefixes: ["api/Upper"] })])).toContain(
      'prefix "api/Upper" must start with / and hold lower-case path segments',
    );
  });

  test("refuses something that is not a plugin, naming where it came from", () => {
    expect(() =>
      resolvePlugins([{ id: "x", setup() {} }], {
        kernelVersion: "0.1.0",
        kernelPrefixes: [],
        sources: ["./my-plugin.js"],
      }),
    ).toThrow("plugin ./my-plugin.js: it does not export a plugin made by definePlugin()");
  });

  test("recognises a plugin by its brand, not by its class", () => {
    const copy = JSON.parse(JSON.stringify(plugin({ id: "copied" })));
    copy.setup = () => {};
    expect(resolve([copy]).map((p) => p.id)).toEqual(["copied"]);
  });
});
