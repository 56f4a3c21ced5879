/**
 * Structured logging: one JSON object per line, named after the plugin that
 * writes it. Secrets are redacted by path so that a careless field never
 * reaches the log.
 *
 * @module
 */
import pino from "pino";
import type { LogLevel } from "./config.ts";

export type Logger = pino.Logger;

const REDACTED_PATHS = [
  "authorization",
  "*.authorization",
  "headers.authorization",
  "password",
  "*.password",
  "api_key",
  "*.api_key",
  "apiKey",
  "*.apiKey",
  "private_key",
  "*.private_key",
  "passphrase",
  "*.passphrase",
];

export function createLogger(level: LogLevel, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { app: "portico" },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: REDACTED_PATHS, censor: "[redacted]" },
    },
    destination ?? pino.destination({ fd: 1, sync: true }),
  );
}

/** Query parameters whose values are secrets, wherever they are sent. */
const SECRET_PARAMETERS = new Set(["api_key", "password", "passphrase", "registration_token"]);

/** A query parameter's name as the app reads it: `+` is a space, `%xx` decoded. */
function parameterName(raw: string): string {
  try {
    return decodeURIComponent(raw.replace(/\+/g, " ")).trim().toLowerCase();
  } catch {
    return raw.toLowerCase();
  }
}

/**
 * A URL's path and query with the value of every secret parameter replaced,
 * however its name is spelled (`api_key`, `API_KEY`, `api%5Fkey`): the app
 * decodes names before it reads them, so the log must too.
 */
export function redactUrl(pathAndQuery: string): string {
  const start = pathAndQuery.indexOf("?");
  if (start < 0) return pathAndQuery;
  const end = pathAndQuery.indexOf("#", start);
  const query = pathAndQuery.slice(start + 1, end < 0 ? undefined : end);
  const redacted = query
    .split("&")
    .map((pair) => {
      const equals = pair.indexOf("=");
      const name = equals < 0 ? pair : pair.slice(0, equals);
      return SECRET_PARAMETERS.has(parameterName(name)) ? `${name}=[redacted]` : pair;
    })
    .join("&");
  return pathAndQuery.slice(0, start + 1) + redacted + (end < 0 ? "" : pathAndQuery.slice(end));
}

/**
 * A child logger made only when a line is written: most requests write
 * none, and making a child (with its redaction) costs more than serving
 * `/healthz`.
 */
export function lazyChild(log: Logger, bindings: Record<string, unknown>): Logger {
  let child: Logger | undefined;
  return new Proxy({} as Logger, {
    get(_target, name) {
      child ??= log.child(bindings);
      const value = Reflect.get(child, name, child);
      return typeof value === "function" ? value.bind(child) : value;
    },
  });
}
