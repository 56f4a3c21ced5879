import { describe, expect, test } from "bun:test";
import { urlForLog } from "./redact.ts";

describe("urlForLog", () => {
  test("keeps origin and path, drops query, fragment and user info", () => {
    expect(urlForLog("https://u:p@amp.example.com:8443/dus/updates?api_key=k1&token=k2#f")).toBe(
      "https://amp.example.com:8443/dus/updates",
    );
  });

  test("drops a bare token in the query, which has no name to keep", () => {
    expect(urlForLog("https://10.1.2.3/updates?9f8e7d6c5b4a")).toBe("https://10.1.2.3/updates");
  });

  test("shows a placeholder for text that is not a URL", () => {
    expect(urlForLog("/relative?token=k")).toBe("(a URL that cannot be read)");
  });
});
