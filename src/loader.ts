/**
 * Checks a set of plugins before any of them runs, and puts them in
 * dependency order. Every refusal names the plugin and what to change.
 *
 * @module
 */
import semver from "semver";
import { isValidPrefix, prefixesOverlap } from "./http/router.ts";
import { isPlugin } from "./plugin.ts";
import type { Plugin } from "./plugin.ts";

export class PluginLoadError extends Error {
  constructor(
    readonly pluginId: string,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(`plugin ${pluginId}: ${message}`, options);
    this.name = "PluginLoadError";
  }
}

const ID_PATTERN = /^[a-z][a-z0-9-]{1,48}[a-z0-9]$/;

function checkManifest(plugin: Plugin, kernelVersion: string): void {
  if (!ID_PATTERN.test(plugin.id)) {
    throw new PluginLoadError(
      String(plugin.id),
      "its id must be 3 to 50 lower-case letters, digits and dashes",
    );
  }
  if (!semver.valid(plugin.version)) {
    throw new PluginLoadError(plugin.id, `its version "${plugin.version}" is not semver`);
  }
  if (!semver.validRange(plugin.kernel)) {
    throw new PluginLoadError(plugin.id, `its kernel range "${plugin.kernel}" is not valid`);
  }
  if (!semver.satisfies(kernelVersion, plugin.kernel, { includePrerelease: true })) {
    throw new PluginLoadError(
      plugin.id,
      `it supports kernel ${plugin.kernel}, but this appliance's kernel is ${kernelVersion}`,
    );
  }
  for (const prefix of plugin.prefixes ?? []) {
    if (!isValidPrefix(prefix)) {
      throw new PluginLoadError(
        plugin.id,
        prefix.replace(/\/+$/, "") === ""
          ? `prefix "${prefix}" is never allowed: declare the paths you serve, such as /api/v1/${plugin.id}`
          : `prefix "${prefix}" must start with / and hold lower-case path segments, such as /api/v1/${plugin.id}`,
      );
    }
  }
}

function checkPrefixes(plugins: Plugin[], kernelPrefixes: string[]): void {
  const owners: { owner: string; prefix: string }[] = kernelPrefixes.map((prefix) => ({
    owner: "kernel",
    prefix,
  }));
  for (const plugin of plugins) {
    for (const prefix of plugin.prefixes ?? []) {
      const clash = owners.find((o) => prefixesOverlap(o.prefix, prefix));
      if (clash) {
        throw new PluginLoadError(
          plugin.id,
          `prefix ${prefix} overlaps ${clash.prefix}, served by ${clash.owner}`,
        );
      }
      owners.push({ owner: `plugin ${plugin.id}`, prefix });
    }
  }
}

/** Orders plugins so that each comes after what it requires. */
function sortByDependencies(plugins: Plugin[]): Plugin[] {
  const byId = new Map(plugins.map((p) => [p.id, p]));
  const ordered: Plugin[] = [];
  const state = new Map<string, "visiting" | "done">();

  const visit = (plugin: Plugin, path: string[]) => {
    if (state.get(plugin.id) === "done") return;
    if (state.get(plugin.id) === "visiting") {
      throw new PluginLoadError(
        plugin.id,
        `it depends on itself through ${[...path, plugin.id].join(" → ")}`,
      );
    }
    state.set(plugin.id, "visiting");
    for (const dep of plugin.requires ?? []) {
      const required = byId.get(dep);
      if (!required) {
        throw new PluginLoadError(plugin.id, `it requires plugin ${dep}, which is not loaded`);
      }
      visit(required, [...path, plugin.id]);
    }
    state.set(plugin.id, "done");
    ordered.push(plugin);
  };

  for (const plugin of plugins) visit(plugin, []);
  return ordered;
}

/**
 * Validates every plugin and returns them in load order.
 * `sources` names where each came from, for error messages.
 */
export function resolvePlugins(
  candidates: unknown[],
  options: { kernelVersion: string; kernelPrefixes: string[]; sources?: string[] },
): Plugin[] {
  const plugins: Plugin[] = [];
  candidates.forEach((candidate, i) => {
    if (!isPlugin(candidate)) {
      const source = options.sources?.[i] ?? `#${i + 1}`;
      throw new PluginLoadError(
        source,
        "it does not export a plugin made by definePlugin() (as its default export or `plugin`)",
      );
    }
    checkManifest(candidate, options.kernelVersion);
    if (plugins.some((p) => p.id === candidate.id)) {
      throw new PluginLoadError(candidate.id, "another plugin has the same id");
    }
    plugins.push(candidate);
  });
  checkPrefixes(plugins, options.kernelPrefixes);
  return sortByDependencies(plugins);
}
