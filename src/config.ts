/**
 * The appliance's configuration from environment variables. They seed the
 * first boot; what an administrator changes at run time lives in the
 * database and wins.
 *
 * @module
 */
import * as v from "valibot";
import { issuePointer } from "./errors.ts";
import { parseOutboundAllow } from "./outbound/address-policy.ts";
import type { Cidr } from "./outbound/ip.ts";
import { normalizeHostname } from "./pki/names.ts";

export type LogLevel = "debug" | "info" | "warn" | "error";

export interface Config {
  /** The hostname devices use; seeds the setting on first boot only. */
  hostname: string;
  /** Whether PORTICO_HOSTNAME was given (rather than the machine's name). */
  hostnameGiven: boolean;
  dataDir: string;
  databaseUrl: string;
  databaseAuthToken?: string;
  /** How long a write waits for another process's lock on a database file. */
  databaseBusyTimeoutMs?: number;
  cleanPort: number;
  adminPort?: number;
  /** 32 bytes; without it, a key file in the data folder is used. */
  secretKey?: Uint8Array;
  adminApiKey?: string;
  plugins: string[];
  /** A JSON file holding each plugin's configuration by plugin id. */
  pluginConfigFile?: string;
  /** Ranges the outbound client may reach beyond the default policy. */
  outboundAllow: Cidr[];
  /** Peers whose X-Forwarded-For is believed. */
  trustedProxies: Cidr[];
  /** Source ranges that may read `/metrics` without a key. */
  metricsAllow: Cidr[];
  logLevel: LogLevel;
}

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(`invalid configuration:\n  - ${problems.join("\n  - ")}`);
    this.name = "ConfigError";
  }
}

const port = (name: string) =>
  v.pipe(
    v.string(),
    v.regex(/^\d{1,5}$/, `${name} must be a port number from 1 to 65535`),
    v.transform(Number),
    v.number(),
    v.minValue(1, `${name} must be a port number from 1 to 65535`),
    v.maxValue(65535, `${name} must be a port number from 1 to 65535`),
  );

const list = v.pipe(
  v.string(),
  v.transform((s) =>
    s
      .split(",")
      .map((item) => item.trim())
      .filter(Boolean),
  ),
);

const SECRET_KEY_RULE =
  "PORTICO_SECRET_KEY must be 32 bytes in base64 (make one with: openssl rand -base64 32)";

/** Strict base64 (RFC 4648, padded), so that decoding it cannot throw. */
const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

const secretKey = v.pipe(
  v.string(),
  v.trim(),
  v.regex(BASE64, SECRET_KEY_RULE),
  v.transform((s) => Uint8Array.from(atob(s), (ch) => ch.charCodeAt(0))),
  v.check((bytes) => bytes.length === 32, SECRET_KEY_RULE),
);

const EnvSchema = v.object({
  PORTICO_HOSTNAME: v.optional(v.pipe(v.string(), v.trim(), v.minLength(1))),
  PORTICO_DATA_DIR: v.optional(v.pipe(v.string(), v.minLength(1)), "./data"),
  PORTICO_DATABASE_URL: v.optional(
    v.pipe(
      v.string(),
      v.regex(
        /^(file:|https?:\/\/|libsql:\/\/|wss?:\/\/|:memory:)/,
        "PORTICO_DATABASE_URL must start with file:, http(s)://, libsql:// or ws(s)://",
      ),
    ),
  ),
  PORTICO_DATABASE_AUTH_TOKEN: v.optional(v.string()),
  PORTICO_DB_BUSY_TIMEOUT_MS: v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,7}$/, "PORTICO_DB_BUSY_TIMEOUT_MS must be milliseconds from 0 to 9999999"),
      v.transform(Number),
    ),
  ),
  PORTICO_CLEAN_PORT: v.optional(port("PORTICO_CLEAN_PORT"), "8443"),
  PORTICO_ADMIN_PORT: v.optional(port("PORTICO_ADMIN_PORT")),
  PORTICO_SECRET_KEY: v.optional(secretKey),
  PORTICO_ADMIN_API_KEY: v.optional(
    v.pipe(v.string(), v.minLength(32, "PORTICO_ADMIN_API_KEY must be at least 32 characters")),
  ),
  PORTICO_PLUGINS: v.optional(list, ""),
  PORTICO_PLUGIN_CONFIG: v.optional(v.string()),
  PORTICO_OUTBOUND_ALLOW: v.optional(v.string(), ""),
  PORTICO_TRUSTED_PROXIES: v.optional(v.string(), ""),
  PORTICO_METRICS_ALLOW: v.optional(v.string(), ""),
  PORTICO_LOG_LEVEL: v.optional(
    v.picklist(
      ["debug", "info", "warn", "error"],
      "PORTICO_LOG_LEVEL must be debug, info, warn or error",
    ),
    "info",
  ),
});

/**
 * Reads the configuration from an environment (empty values count as
 * unset) and throws one {@link ConfigError} listing every bad variable.
 */
export function loadConfig(
  env: Record<string, string | undefined>,
  defaults: { hostname: string },
): Config {
  const set = Object.fromEntries(
    Object.entries(env).filter(([k, value]) => k.startsWith("PORTICO_") && value !== ""),
  );
  const result = v.safeParse(EnvSchema, set);
  if (!result.success) {
    throw new ConfigError(
      result.issues.map((issue) => `${issuePointer(issue).slice(1)}: ${issue.message}`),
    );
  }
  const e = result.output;
  const allow = parseOutboundAllow(e.PORTICO_OUTBOUND_ALLOW);
  const proxies = parseOutboundAllow(e.PORTICO_TRUSTED_PROXIES);
  const metrics = parseOutboundAllow(e.PORTICO_METRICS_ALLOW);
  const cidrProblems = [
    ...(allow.ok ? [] : [allow.message]),
    ...(proxies.ok
      ? []
      : [proxies.message.replace(/^PORTICO_OUTBOUND_ALLOW/, "PORTICO_TRUSTED_PROXIES")]),
    ...(metrics.ok
      ? []
      : [metrics.message.replace(/^PORTICO_OUTBOUND_ALLOW/, "PORTICO_METRICS_ALLOW")]),
  ];
  if (!allow.ok || !proxies.ok || !metrics.ok) throw new ConfigError(cidrProblems);
  if (e.PORTICO_HOSTNAME !== undefined) {
    const hostname = normalizeHostname(e.PORTICO_HOSTNAME, "PORTICO_HOSTNAME");
    if (!hostname.ok) throw new ConfigError([hostname.issues[0].message]);
  }
  const dataDir = e.PORTICO_DATA_DIR.replace(/\/+$/, "") || "/";
  return {
    hostname: e.PORTICO_HOSTNAME ?? defaults.hostname,
    hostnameGiven: e.PORTICO_HOSTNAME !== undefined,
    dataDir,
    databaseUrl: e.PORTICO_DATABASE_URL ?? `file:${dataDir}/portico.db`,
    databaseAuthToken: e.PORTICO_DATABASE_AUTH_TOKEN,
    databaseBusyTimeoutMs: e.PORTICO_DB_BUSY_TIMEOUT_MS,
    cleanPort: e.PORTICO_CLEAN_PORT,
    adminPort: e.PORTICO_ADMIN_PORT,
    secretKey: e.PORTICO_SECRET_KEY,
    adminApiKey: e.PORTICO_ADMIN_API_KEY,
    plugins: e.PORTICO_PLUGINS,
    pluginConfigFile: e.PORTICO_PLUGIN_CONFIG,
    outboundAllow: allow.cidrs,
    trustedProxies: proxies.cidrs,
    metricsAllow: metrics.cidrs,
    logLevel: e.PORTICO_LOG_LEVEL,
  };
}
