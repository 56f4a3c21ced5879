import { expect, test } from "bun:test";
import { redactUrl } from "./log.ts";

test("redacts an api_key however its name is spelled or encoded", () => {
  for (const name of ["api_key", "API_KEY", "api%5Fkey", "api%5fkey", "%61pi_key", "api_key+"]) {
    expect(redactUrl(`/api/v1/users?${name}=pk_secret&limit=5`)).toBe(
      `/api/v1/users?${name}=[redacted]&limit=5`,
    );
  }
});

test("redacts passwords, passphrases and registration tokens sent in a query", () => {
  expect(redactUrl("/x?password=a&passphrase=b&registration_token=c&q=d")).toBe(
    "/x?password=[redacted]&passphrase=[redacted]&registration_token=[redacted]&q=d",
  );
});

test("leaves other parameters, the path and a fragment as they are", () => {
  expect(redactUrl("/api/v2/search/submissions?q=abc&offset=10#top")).toBe(
    "/api/v2/search/submissions?q=abc&offset=10#top",
  );
  expect(redactUrl("/api_key=not-a-query")).toBe("/api_key=not-a-query");
  expect(redactUrl("/x?api_key")).toBe("/x?api_key=[redacted]");
  expect(redactUrl("/x?%E0%A4%A=1&api_key=k")).toBe("/x?%E0%A4%A=1&api_key=[redacted]");
});
