import { expect, test } from "bun:test";
import { allow, open } from "./access.ts";
import type { Access } from "./access.ts";
import { guard } from "./auth.ts";
import { Router } from "./router.ts";

test("a route registered without an access rule is refused when it is declared", () => {
  const router = new Router("/api/v1/things", guard);
  const handler = () => new Response("x");
  expect(() => router.get("/", handler as unknown as Access, handler)).toThrow(
    "route GET /api/v1/things/ has no access rule",
  );
});

test("open and role rules are accepted", () => {
  const router = new Router("/api/v1/things", guard);
  const handler = () => new Response("x");
  expect(() => router.get("/a", open(), handler).post("/b", allow("admin"), handler)).not.toThrow();
});
