import { describe, expect, test } from "bun:test";
import { parseOutboundAllow } from "../outbound/address-policy.ts";
import { sourceAddress } from "./forwarded.ts";

function cidrs(text: string) {
  const parsed = parseOutboundAllow(text);
  if (!parsed.ok) throw new Error(parsed.message);
  return parsed.cidrs;
}

const proxies = cidrs("127.0.0.1/32,10.0.0.0/8,fd00::/8");

describe("the source address of a request", () => {
  test("is the peer when no proxy is trusted, whatever X-Forwarded-For says", () => {
    expect(sourceAddress("127.0.0.1", "203.0.113.9", [])).toBe("127.0.0.1");
  });

  test("is the peer when the peer is not a trusted proxy", () => {
    expect(sourceAddress("198.51.100.7", "203.0.113.9", proxies)).toBe("198.51.100.7");
  });

  test("is the right-most untrusted hop when the peer is a trusted proxy", () => {
    expect(sourceAddress("127.0.0.1", "192.0.2.66, 203.0.113.9, 10.1.2.3", proxies)).toBe(
      "203.0.113.9",
    );
  });

  test("ignores a forged left-most hop the client sent itself", () => {
    expect(sourceAddress("10.0.0.5", "10.9.9.9, 203.0.113.9", proxies)).toBe("203.0.113.9");
  });

  test("is the left-most hop when every hop is a trusted proxy", () => {
    expect(sourceAddress("127.0.0.1", "10.0.0.1, 10.0.0.2", proxies)).toBe("10.0.0.1");
  });

  test("stops at a hop that is not an address, keeping the last trusted one", () => {
    expect(sourceAddress("127.0.0.1", "203.0.113.9, unknown, 10.0.0.2", proxies)).toBe("10.0.0.2");
  });

  test("treats an IPv4-mapped IPv6 peer as its IPv4 address", () => {
    expect(sourceAddress("::ffff:127.0.0.1", "203.0.113.9", proxies)).toBe("203.0.113.9");
  });

  test("accepts IPv6 proxies and clients", () => {
    expect(sourceAddress("fd00::1", "2001:db8::7", proxies)).toBe("2001:db8::7");
  });

  test("is unknown when the runtime does not report a peer", () => {
    expect(sourceAddress(undefined, "203.0.113.9", proxies)).toBe("unknown");
  });

  test("is the peer when there is no X-Forwarded-For", () => {
    expect(sourceAddress("127.0.0.1", undefined, proxies)).toBe("127.0.0.1");
  });
});
