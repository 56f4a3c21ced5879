import { expect, test } from "bun:test";
import { SourceLimiter } from "./source-limiter.ts";

test("addresses of one IPv6 /64 share one budget; other prefixes and IPv4 have their own", () => {
  const limiter = new SourceLimiter("registration", () => 1_000_000);
  limiter.take("2001:db8:1:2::1", 2);
  limiter.take("2001:db8:1:2::ffff", 2);
  expect(() => limiter.take("2001:db8:1:2:1:2:3:4", 2)).toThrow(
    "Too many registration requests from 2001:db8:1:2::/64",
  );
  expect(() => limiter.take("2001:db8:1:3::1", 2)).not.toThrow();
  expect(() => limiter.take("192.0.2.7", 2)).not.toThrow();
});

test("the budget comes back as the minute rolls", () => {
  let now = 0;
  const limiter = new SourceLimiter("sign-in", () => now);
  limiter.take("192.0.2.7", 1);
  expect(() => limiter.take("192.0.2.7", 1)).toThrow("try again in 60 seconds");
  now = 60_001;
  expect(() => limiter.take("192.0.2.7", 1)).not.toThrow();
});
