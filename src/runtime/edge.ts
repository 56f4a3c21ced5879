/**
 * The edge entry: a `fetch` handler for runtimes without a file system or a
 * listener of their own (workers behind the platform's TLS terminator). The
 * database is a libSQL server reached with `@libsql/client/web`; the
 * configuration comes from the environment bindings.
 *
 * It runs no background workers: a worker's timers do not outlive the
 * request, and the outbound client needs a CA store it cannot install
 * there. Run at least one `portico serve` process on the same database for
 * event dispatch and deliveries.
 *
 * @module
 */
import "reflect-metadata";
import { createClient } from "@libsql/client/web";
import { databaseKind } from "../../db/client.ts";
import { createAppliance } from "../appliance.ts";
import type { Appliance } from "../appliance.ts";
import { ConfigError, loadConfig } from "../config.ts";
import type { Config } from "../config.ts";
import { createLogger } from "../log.ts";
import { firstPartyPlugins } from "./plugins.ts";

/** The bindings the platform passes: PORTICO_* strings (other bindings are ignored). */
export type EdgeEnv = Record<string, unknown>;

/** The configuration, with what an edge runtime cannot do without refused up front. */
export function edgeConfig(env: EdgeEnv): Config {
  const strings = Object.fromEntries(
    Object.entries(env).filter((entry): entry is [string, string] => typeof entry[1] === "string"),
  );
  const problems: string[] = [];
  const url = strings.PORTICO_DATABASE_URL ?? "";
  if (!/^(https?|libsql|wss?):\/\//.test(url)) {
    problems.push("PORTICO_DATABASE_URL: the edge needs a libSQL server (http(s)://, libsql://)");
  }
  for (const name of ["PORTICO_SECRET_KEY", "PORTICO_ADMIN_API_KEY", "PORTICO_HOSTNAME"]) {
    if (!strings[name]) problems.push(`${name}: required on the edge (there is no file system)`);
  }
  if (strings.PORTICO_PLUGINS) {
    problems.push("PORTICO_PLUGINS: the edge cannot import plugin files; bundle them instead");
  }
  if (problems.length) throw new ConfigError(problems);
  const config = loadConfig(strings, { hostname: strings.PORTICO_HOSTNAME });
  if (databaseKind(config.databaseUrl) !== "remote") throw new ConfigError(problems);
  return config;
}

/** Boots the appliance for the edge: web client, no workers, logs through `console`. */
export async function bootEdge(env: EdgeEnv): Promise<Appliance> {
  const config = edgeConfig(env);
  const log = createLogger(config.logLevel, {
    write: (line: string) => console.log(line.trimEnd()),
  });
  return createAppliance({
    config,
    log,
    plugins: firstPartyPlugins,
    createClient,
    workers: false,
  });
}

/** RFC 9457 problem for a request that arrived while the appliance cannot start. */
function unavailable(reason: string): Response {
  const problem = {
    type: "/api/docs/problems#appliance_unavailable",
    title: "Appliance unavailable",
    status: 503,
    detail: `The appliance cannot start: ${reason}`,
    code: "appliance_unavailable",
    errors: [],
  };
  return Response.json(problem, {
    status: 503,
    headers: { "content-type": "application/problem+json" },
  });
}

/** A fetch handler that boots once, on the first request, with that request's bindings. */
export function createEdgeHandler() {
  let booting: Promise<Appliance> | undefined;
  return {
    async fetch(request: Request, env: EdgeEnv = {}): Promise<Response> {
      booting ??= bootEdge(env).catch((error) => {
        booting = undefined;
        throw error;
      });
      let appliance: Appliance;
      try {
        appliance = await booting;
      } catch (error) {
        const reason = (error as Error).message.replace(/:?\s*\n\s*-?\s*/g, "; ");
        console.error(`portico: ${reason}`);
        return unavailable(reason);
      }
      return appliance.app.fetch(request, { iface: "clean" });
    },
  };
}

export default createEdgeHandler();
