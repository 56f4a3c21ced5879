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

/** A URL's path and query with every `api_key` value replaced. */
export function redactUrl(pathAndQuery: string): string {
  return pathAndQuery.replace(/([?&]api_key=)[^&#]*/gi, "$1[redacted]");
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
