import { afterEach, beforeEach, describe, expect, test } from "bun:test";
import { ManualClock, createTestAppliance } from "../../src/testing/appliance.ts";
import type { TestAppliance } from "../../src/testing/appliance.ts";
import { apiKeys, auditEvents } from "../../db/schema.ts";
import { and, eq, isNull } from "drizzle-orm";

const PASSWORD = "correct horse battery staple";
const ORIGIN = "https://appliance.example.test";

let kit: TestAppliance;
let clock: ManualClock;

/** A browser-like client: keeps cookies, sends forms, follows nothing. */
function client(source = "127.0.0.1") {
  const jar = new Map<string, string>();
  const send = async (method: string, path: string, form?: Record<string, string>) => {
    const headers = new Headers({ cookie: [...jar].map(([k, v]) => `${k}=${v}`).join("; ") });
    if (form) headers.set("content-type", "application/x-www-form-urlencoded");
    const response = await kit.appliance.app.fetch(
      new Request(ORIGIN + path, { method, headers, body: form && new URLSearchParams(form) }),
      { remoteAddress: source, iface: "clean" },
    );
    for (const cookie of response.headers.getSetCookie()) {
      const [pair, ...attributes] = cookie.split(";");
      const [name, value] = pair.split("=");
      if (attributes.some((a) => a.trim() === "Max-Age=0")) jar.delete(name);
      else jar.set(name, value);
    }
    return { status: response.status, headers: response.headers, text: await response.text() };
  };
  const token = (html: string) => /name="_csrf" value="([^"]+)"/.exec(html)?.[1] ?? "";
  return {
    send,
    async signIn(login: string, password: string) {
      const form = await send("GET", "/portal/sign-in");
      return send("POST", "/portal/session", { _csrf: token(form.text), login, password });
    },
    token,
  };
}

const liveKeysOf = async (userId: number) =>
  (
    await kit.appliance.db.orm
      .select()
      .from(apiKeys)
      .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
      .all()
  ).length;

beforeEach(async () => {
  clock = new ManualClock();
  kit = await createTestAppliance({ clock });
  const set = await kit.request("PUT", "/api/v1/users/admin/password", {
    json: { password: PASSWORD },
  });
  expect(set.status).toBe(204);
});

afterEach(() => kit.close());

describe("console sign-in", () => {
  test("a password set over the API lets admin sign in, with a key of its own", async () => {
    const browser = client();
    const signedIn = await browser.signIn("admin", PASSWORD);
    expect(signedIn.status).toBe(303);
    expect(signedIn.headers.get("location")).toBe("/portal");
    expect(await liveKeysOf(1)).toBe(2);
    const dashboard = await browser.send("GET", "/portal");
    expect(dashboard.status).toBe(200);
    expect(dashboard.text).toContain("Signed in as <strong>admin</strong>");
  });

  test("a password shorter than 12 characters is refused beside the password field", async () => {
    const res = await kit.request("PUT", "/api/v1/users/admin/password", {
      json: { password: "short" },
    });
    expect(res.status).toBe(400);
    expect(res.json.errors).toEqual([
      { path: "/password", message: "password must be at least 12 characters" },
    ]);
  });

  test("unknown logins and wrong passwords get the same refusal", async () => {
    const wrong = await client().signIn("admin", "not the password at all");
    const unknown = await client().signIn("nobody", "not the password at all");
    expect([wrong.status, unknown.status]).toEqual([401, 401]);
    expect(wrong.text).toContain(
      "The login or the password is wrong, or the user may not use the console",
    );
    expect(unknown.text).toContain(
      "The login or the password is wrong, or the user may not use the console",
    );
  });

  test("five failures lock the login out, right password too, for 15 minutes", async () => {
    for (let i = 0; i < 5; i++) await client().signIn("admin", `wrong password ${i}`);
    const locked = await client().signIn("admin", PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.text).toContain("Too many failed sign-ins for this login.");
    clock.advance(15 * 60_000 + 1);
    expect((await client().signIn("admin", PASSWORD)).status).toBe(303);
  });

  test("wrong passwords from one address do not lock the login out for the others", async () => {
    for (let i = 0; i < 5; i++) await client("203.0.113.9").signIn("admin", `guess ${i}`);
    expect((await client("203.0.113.9").signIn("admin", PASSWORD)).status).toBe(429);
    expect((await client("198.51.100.20").signIn("admin", PASSWORD)).status).toBe(303);
    clock.advance(15 * 60_000 + 1);
  });

  test("ten times the limit from many addresses locks the login everywhere", async () => {
    for (let i = 0; i < 50; i++) await client(`203.0.113.${i + 10}`).signIn("admin", `guess ${i}`);
    const locked = await client("198.51.100.21").signIn("admin", PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.text).toContain("Too many failed sign-ins for this login.");
    clock.advance(15 * 60_000 + 1);
    expect((await client("198.51.100.21").signIn("admin", PASSWORD)).status).toBe(303);
  });

  test("failures from one source lock that source out for every login", async () => {
    await kit.request("PATCH", "/api/v1/settings", {
      json: { "portal.lockout_failures_per_source": 3 },
    });
    for (const login of ["alice", "bob", "carol"])
      await client("192.0.2.7").signIn(login, "x".repeat(12));
    const locked = await client("192.0.2.7").signIn("admin", PASSWORD);
    expect(locked.status).toBe(429);
    expect(locked.text).toContain("Too many failed sign-ins for your address.");
    expect((await client("192.0.2.8").signIn("admin", PASSWORD)).status).toBe(303);
  });

  test("guesses sent all at once check at most as many passwords as the lockout allows", async () => {
    const answers = await Promise.all(
      Array.from({ length: 30 }, (_, i) => client("192.0.2.30").signIn("admin", `parallel ${i}`)),
    );
    const statuses = answers.map((a) => a.status);
    expect(statuses.filter((s) => s === 401).length).toBe(5);
    expect(statuses.filter((s) => s === 429).length).toBe(25);
    clock.advance(15 * 60_000 + 1);
  });

  test("the right password of a user who may not sign in counts as a failure too", async () => {
    const made = await kit.request("POST", "/api/v1/users", {
      json: { login: "auditor", role: "user", organization_id: 1, password: PASSWORD },
    });
    expect(made.status).toBe(201);
    // Four wrong guesses and the right one: the sixth attempt is locked either way, so the
    // lockout does not say which guess was right.
    for (let i = 0; i < 4; i++) await client("192.0.2.31").signIn("auditor", `guess ${i}`);
    expect((await client("192.0.2.31").signIn("auditor", PASSWORD)).status).toBe(401);
    expect((await client("192.0.2.31").signIn("auditor", "guess 5")).status).toBe(429);
    clock.advance(15 * 60_000 + 1);
  });

  test("a user who is not an administrator cannot sign in", async () => {
    const made = await kit.request("POST", "/api/v1/users", {
      json: { login: "analyst", role: "user", organization_id: 1, password: PASSWORD },
    });
    expect(made.status).toBe(201);
    const res = await client().signIn("analyst", PASSWORD);
    expect(res.status).toBe(401);
    const wrong = await client().signIn("analyst", "not-the-password-at-all");
    expect(res.text).toContain("or the user may not use the console");
    expect(wrong.text).toContain("or the user may not use the console");
  });

  test("a sign-in form without its token is refused", async () => {
    const browser = client();
    const res = await browser.send("POST", "/portal/session", {
      login: "admin",
      password: PASSWORD,
    });
    expect(res.status).toBe(403);
    expect(await liveKeysOf(1)).toBe(1);
  });
});

describe("console sessions", () => {
  test("an idle session ends after 30 minutes and its key is revoked", async () => {
    const browser = client();
    await browser.signIn("admin", PASSWORD);
    expect(await liveKeysOf(1)).toBe(2);
    clock.advance(31 * 60_000);
    const page = await browser.send("GET", "/portal/users");
    expect(page.status).toBe(303);
    expect(page.headers.get("location")).toBe("/portal/sign-in?next=%2Fportal%2Fusers");
    expect(await liveKeysOf(1)).toBe(1);
  });

  test("actions are audited as the signed-in user, from the browser's address", async () => {
    const browser = client("198.51.100.4");
    await browser.signIn("admin", PASSWORD);
    const form = await browser.send("GET", "/portal/organizations");
    const added = await browser.send("POST", "/portal/organizations", {
      _csrf: browser.token(form.text),
      name: "Lab",
    });
    expect(added.status).toBe(303);
    const [event] = await kit.appliance.db.orm
      .select()
      .from(auditEvents)
      .where(eq(auditEvents.action, "organization.create"))
      .all();
    expect([event.actor, event.source]).toEqual(["admin", "198.51.100.4"]);
  });

  test("an API key sent to a console page does not count: only the session does", async () => {
    const res = await kit.request("GET", "/portal/users");
    expect(res.status).toBe(303);
    expect(res.headers.get("location")).toBe("/portal/sign-in?next=%2Fportal%2Fusers");
  });
});
