/**
 * The composition root's list of first-party plugins, and the loading of
 * third-party ones named in PORTICO_PLUGINS.
 *
 * @module
 */
import caTrustStore from "../../plugins/ca-trust-store/index.ts";
import csaRegistration from "../../plugins/csa-registration/index.ts";
import dispositionSyndication from "../../plugins/disposition-syndication/index.ts";
import portal from "../../plugins/portal/index.ts";
import tlsIdentity from "../../plugins/tls-identity/index.ts";
import userActivation from "../../plugins/user-activation/index.ts";

export const firstPartyPlugins = [
  tlsIdentity,
  caTrustStore,
  csaRegistration,
  userActivation,
  dispositionSyndication,
  portal,
];

/** Imports each named plugin file or package; its default or `plugin` export. */
export async function importPlugins(
  specifiers: string[],
): Promise<{ plugins: unknown[]; sources: string[] }> {
  const { pathToFileURL } = await import("node:url");
  const { resolve } = await import("node:path");
  const plugins: unknown[] = [];
  for (const specifier of specifiers) {
    const isPath = specifier.startsWith(".") || specifier.startsWith("/");
    const target = isPath ? pathToFileURL(resolve(specifier)).href : specifier;
    let mod: Record<string, unknown>;
    try {
      mod = await import(target);
    } catch (error) {
      throw new Error(`PORTICO_PLUGINS: cannot load ${specifier}: ${(error as Error).message}`);
    }
    plugins.push(mod.default ?? mod.plugin);
  }
  return { plugins, sources: specifiers };
}
