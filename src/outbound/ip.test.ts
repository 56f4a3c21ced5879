import { expect, test } from "bun:test";
import { clientPrefix } from "./ip.ts";

test("a client is its IPv4 address, or its IPv6 /64", () => {
  expect(clientPrefix("192.0.2.7")).toBe("192.0.2.7");
  expect(clientPrefix("::ffff:192.0.2.7")).toBe("192.0.2.7");
  expect(clientPrefix("2001:db8:1:2:aaaa:bbbb:cccc:dddd")).toBe("2001:db8:1:2::/64");
  expect(clientPrefix("2001:db8:1:2::1")).toBe(clientPrefix("2001:0db8:0001:0002:ffff::9"));
  expect(clientPrefix("2001:db8:1:3::1")).not.toBe(clientPrefix("2001:db8:1:2::1"));
  expect(clientPrefix("unknown")).toBe("unknown");
});
