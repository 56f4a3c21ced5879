import { expect, test } from "bun:test";
import { ConfigError, loadConfig } from "./config.ts";

const defaults = { hostname: "box.example.test" };

test("defaults: the machine's hostname, ./data, a file database, port 8443", () => {
  const config = loadConfig({}, defaults);
  expect(config).toMatchObject({
    hostname: "box.example.test",
    dataDir: "./data",
    databaseUrl: "file:./data/portico.db",
    cleanPort: 8443,
    logLevel: "info",
    outboundAllow: [],
  });
});

test("every bad variable is named in one error", () => {
  let error: ConfigError | undefined;
  try {
    loadConfig(
      { PORTICO_CLEAN_PORT: "70000", PORTICO_LOG_LEVEL: "loud", PORTICO_SECRET_KEY: "c2hvcnQ=" },
      defaults,
    );
  } catch (e) {
    error = e as ConfigError;
  }
  expect(error).toBeInstanceOf(ConfigError);
  expect(error!.problems).toEqual([
    "PORTICO_CLEAN_PORT: PORTICO_CLEAN_PORT must be a port number from 1 to 65535",
    "PORTICO_SECRET_KEY: PORTICO_SECRET_KEY must be 32 bytes in base64 (make one with: openssl rand -base64 32)",
    "PORTICO_LOG_LEVEL: PORTICO_LOG_LEVEL must be debug, info, warn or error",
  ]);
});

test("an outbound allow-list with a bad range is refused with the range named", () => {
  expect(() =>
    loadConfig({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8, 10.0.0.0/99" }, defaults),
  ).toThrow("10.0.0.0/99");
  const config = loadConfig({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" }, defaults);
  expect(config.outboundAllow.length).toBe(1);
});

test("an empty variable counts as unset", () => {
  expect(loadConfig({ PORTICO_CLEAN_PORT: "" }, defaults).cleanPort).toBe(8443);
});

test("a secret key that is not base64 is refused with the variable named", () => {
  // "short" has only base64 letters but no valid length: atob would throw on it.
  for (const value of ["short!", "short", "abc=def", "===="]) {
    expect(() => loadConfig({ PORTICO_SECRET_KEY: value }, defaults)).toThrow(
      "PORTICO_SECRET_KEY: PORTICO_SECRET_KEY must be 32 bytes in base64",
    );
  }
});

test("a PORTICO_HOSTNAME that cannot be a hostname is refused before anything is created", () => {
  expect(() => loadConfig({ PORTICO_HOSTNAME: "bad_host!" }, defaults)).toThrow(
    'The PORTICO_HOSTNAME "bad_host!" contains the character "_"',
  );
  expect(() => loadConfig({ PORTICO_HOSTNAME: "10.0.0.1" }, defaults)).toThrow("is an IP address");
});
