import { afterAll, beforeAll, describe, expect, test } from "bun:test";
import { type Receiver, type TestPki, makeTestPki } from "../src/outbound/test-pki.ts";
import { type RunningAppliance, startAppliance } from "./helpers/appliance.ts";
import { type ConsoleBrowser, openConsole, setAdminPassword, signIn } from "./helpers/browser.ts";
import { newClientId, registration } from "./helpers/devices.ts";
import {
  AMP_PASSWORD,
  AMP_USER,
  eicar,
  queryDatabase,
  quickDeliveries,
  startAmpReceiver,
  submit,
  waitFor,
} from "./helpers/syndication.ts";

const PASSWORD = "correct horse battery staple";

let app: RunningAppliance;
let pki: TestPki;
let receiver: Receiver;
let ui: ConsoleBrowser;

beforeAll(async () => {
  pki = makeTestPki();
  receiver = await startAmpReceiver(pki);
  app = await startAppliance({ PORTICO_OUTBOUND_ALLOW: "127.0.0.0/8" });
  await quickDeliveries(app);
  await setAdminPassword(app, PASSWORD);
  ui = await openConsole(app);
});

afterAll(async () => {
  await ui?.close();
  await app?.stop();
  app?.cleanup();
  await receiver?.close();
  pki?.remove();
});

const go = (path: string) => ui.page.goto(`${ui.origin}${path}`);

describe("The web console in a real browser", () => {
  test("admin signs in by keyboard; the cookie is HttpOnly, Secure, Strict", async () => {
    await go("/portal/sign-in");
    await ui.screenshot("sign-in");
    await signIn(ui, "admin", PASSWORD);
    expect(await ui.page.locator("h1").textContent()).toBe("Dashboard");
    const cookies = await ui.context.cookies();
    const session = cookies.find((c) => c.name === "__Secure-portico-session")!;
    expect(session).toMatchObject({
      httpOnly: true,
      secure: true,
      sameSite: "Strict",
      path: "/portal",
    });
    await ui.screenshot("dashboard");
  });

  test("pages deny framing and inline scripts; an unknown page is HTML", async () => {
    const page = await go("/portal/users");
    const headers = page!.headers();
    expect(headers["content-security-policy"]).toContain("script-src 'self'");
    expect(headers["content-security-policy"]).toContain("frame-ancestors 'none'");
    expect(headers["x-frame-options"]).toBe("DENY");
    expect(headers["x-content-type-options"]).toBe("nosniff");
    const missing = await go("/portal/no-such-page");
    expect(missing!.status()).toBe(404);
    expect(missing!.headers()["content-type"]).toBe("text/html; charset=utf-8");
  });

  test("a registered device is activated in User Details, then may submit", async () => {
    const clientId = newClientId();
    const registered = await app.call("POST", "/csa/api/register", {
      key: null,
      json: registration(clientId),
    });
    expect(registered.status).toBe(201);
    const deviceKey = registered.json.api_key as string;
    const refused = new FormData();
    refused.append("sample", new File([new TextEncoder().encode("before")], "before.txt"));
    expect(
      (await app.call("POST", "/api/v2/samples", { key: deviceKey, multipart: refused })).status,
    ).toBe(403);

    await go("/portal");
    await ui.page.getByRole("link", { name: clientId }).click();
    await ui.page.getByRole("link", { name: "Activate…" }).click();
    expect(await ui.page.locator("h1").textContent()).toBe(`Activate ${clientId}?`);
    await ui.screenshot("activate-confirmation");
    await ui.page.getByRole("button", { name: "Activate" }).click();
    await expect(ui.page.locator(".notice").textContent()).resolves.toBe("The user is active.");
    await ui.screenshot("user-details");

    const sample = await submit(
      app,
      new TextEncoder().encode("after activation"),
      "a.txt",
      deviceKey,
    );
    expect(sample.id).toMatch(/^[0-9a-f]{32}$/);
    const audit = await app.call(
      "GET",
      `/api/v1/audit-events?action=user.activate&target=${clientId}`,
    );
    expect(audit.json.items.map((e: any) => [e.actor, e.outcome])).toEqual([["admin", "success"]]);

    // The details show where it registered from and its organization by name.
    const history = ui.page.locator("h2:has-text('Registration history') + table tbody tr");
    expect(await history.count()).toBe(1);
    expect(await history.first().textContent()).toContain("201");
    const organization = ui.page.locator("dt:has-text('Organization') + dd");
    expect(await organization.textContent()).toBe(clientId);

    // Deactivating asks first, like activating; then the device is refused again.
    await ui.page.getByRole("link", { name: "Deactivate…" }).click();
    expect(await ui.page.locator("h1").textContent()).toBe(`Deactivate ${clientId}?`);
    await ui.page.getByRole("button", { name: "Deactivate" }).click();
    await expect(ui.page.locator(".notice").textContent()).resolves.toBe("The user is inactive.");
    const again = new FormData();
    again.append("sample", new File([new TextEncoder().encode("after")], "after.txt"));
    expect(
      (await app.call("POST", "/api/v2/samples", { key: deviceKey, multipart: again })).status,
    ).toBe(403);

    await go("/portal/users");
    await ui.screenshot("users");
  });

  test("your own account offers no action that would lock you out", async () => {
    await go("/portal/users/admin");
    expect(await ui.page.getByRole("link", { name: "Deactivate…" }).count()).toBe(0);
    expect(await ui.page.locator("main").textContent()).toContain("This is your own account");
  });

  test("an added service receives a disposition over HTTPS once its CA is added", async () => {
    await go("/portal/ca-certificates");
    await ui.page.getByLabel("Paste PEM").fill(pki.root);
    await ui.page.getByRole("button", { name: "Add" }).click();
    await expect(ui.page.locator(".notice").textContent()).resolves.toBe(
      "The certificate was added to the CA store.",
    );
    expect(await ui.page.locator("td", { hasText: "Portico Test Root" }).count()).toBe(1);

    await go("/portal/disposition-services");
    const url = `https://127.0.0.1:${receiver.port}/disposition-updates`;
    await ui.page.getByLabel("Service URL").fill(url);
    await ui.page.getByLabel("User").fill(AMP_USER);
    await ui.page.getByLabel("Password").fill(AMP_PASSWORD);
    await ui.page.getByRole("button", { name: "Add" }).click();
    await expect(ui.page.locator(".notice").textContent()).resolves.toBe(
      "The Disposition Update Service was added.",
    );
    expect(await ui.page.getByLabel("Password").inputValue()).toBe("");
    const servicePage = new URL(ui.page.url()).pathname;
    await ui.page.getByRole("button", { name: "Check connection" }).click();
    await expect(ui.page.locator("#check").textContent()).resolves.toBe("Connection check: passed");
    await ui.screenshot("service");

    const sample = await submit(app, eicar(), "eicar.com");
    const verdict = await app.call("PUT", `/api/v1/samples/${sample.id}/disposition`, {
      json: { disposition: "malicious" },
    });
    expect(verdict.status).toBe(200);
    // The connection check reached the receiver too, with an empty body.
    const updates = () => receiver.requests.filter((r) => r.body !== "");
    await waitFor("the update at the receiver", () => updates().length === 1);
    const body = JSON.parse(updates()[0].body);
    expect([body.sample.sha256, body.disposition]).toEqual([sample.sha256, "malicious"]);

    await waitFor("the delivery shown as delivered", async () => {
      await go(servicePage);
      return (await ui.page.locator("td.status-ok", { hasText: "delivered" }).count()) === 1;
    });
    await ui.screenshot("service-delivered");
    await go("/portal/disposition-services");
    await ui.screenshot("services");
  });

  test("a certificate with a key not its own is refused beside the key field", async () => {
    const before = (await app.call("GET", "/api/v1/tls/clean/certificate")).json.fingerprint_sha256;
    await go("/portal/ssl");
    await ui.page.setInputFiles("#clean-certificate", {
      name: "cert.pem",
      mimeType: "application/x-pem-file",
      buffer: Buffer.from(pki.pinned.cert),
    });
    await ui.page.setInputFiles("#clean-private_key", {
      name: "key.pem",
      mimeType: "application/x-pem-file",
      buffer: Buffer.from(pki.server.key),
    });
    const [answer] = await Promise.all([
      ui.page.waitForResponse((r) => r.url().endsWith("/portal/ssl/clean/upload")),
      ui.page.locator("#clean").getByRole("button", { name: "Upload" }).click(),
    ]);
    expect(answer.status()).toBe(422);
    const error = ui.page.locator("#clean-private_key-error");
    expect(await error.textContent()).toStartWith(
      "The private key does not belong to the certificate",
    );
    expect(await ui.page.locator("#clean-private_key").getAttribute("aria-describedby")).toBe(
      "clean-private_key-error",
    );
    await ui.screenshot("ssl-upload-refused");
    const after = (await app.call("GET", "/api/v1/tls/clean/certificate")).json.fingerprint_sha256;
    expect(after).toBe(before);
  });

  test("a CA certificate added from a file is removed after a confirmation", async () => {
    await go("/portal/ca-certificates");
    await ui.page.setInputFiles("#file", {
      name: "other-root.pem",
      mimeType: "application/x-pem-file",
      buffer: Buffer.from(pki.otherRoot),
    });
    await ui.page.getByRole("button", { name: "Add" }).click();
    expect(await ui.page.locator("td", { hasText: "Unrelated Test Root" }).count()).toBe(1);
    await ui.screenshot("ca-certificates");

    await ui.page.getByRole("link", { name: "Remove CN=Unrelated Test Root" }).click();
    expect(await ui.page.locator("h1").textContent()).toBe("Remove this CA certificate?");
    await ui.page.getByRole("button", { name: "Remove" }).click();
    await expect(ui.page.locator(".notice").textContent()).resolves.toBe(
      "The certificate was removed from the CA store.",
    );
    const subjects = (await app.call("GET", "/api/v1/ca-certificates")).json.items.map(
      (a: any) => a.subject,
    );
    expect(subjects).toEqual(["CN=Portico Test Root"]);
  });

  test("a form posted without the session's token is refused and changes nothing", async () => {
    await go("/portal/organizations");
    // A form as another page would plant it: same fields, but without the session's token.
    const [forged] = await Promise.all([
      ui.page.waitForResponse(
        (r) => r.url().endsWith("/portal/organizations") && r.request().method() === "POST",
      ),
      ui.page.evaluate(() => {
        const form = document.createElement("form");
        form.method = "post";
        form.action = "/portal/organizations";
        const name = document.createElement("input");
        name.name = "name";
        name.value = "Forged Org";
        form.append(name);
        document.body.append(form);
        form.submit();
      }),
    ]);
    expect(forged.status()).toBe(403);
    expect(forged.headers()["content-type"]).toBe("text/html; charset=UTF-8");
    await ui.page.waitForLoadState();
    expect(await ui.page.locator("h1").textContent()).toBe("Form refused");
    await ui.screenshot("csrf-refused");
    const names = (await app.call("GET", "/api/v1/organizations?limit=200")).json.items.map(
      (o: any) => o.name,
    );
    expect(names).not.toContain("Forged Org");

    await go("/portal/organizations");
    await ui.page.getByLabel("Name").fill("Branch Office");
    await ui.page.getByRole("button", { name: "Add" }).click();
    await expect(ui.page.locator(".notice").textContent()).resolves.toBe(
      "The organization was added.",
    );
    await ui.screenshot("organizations");
  });

  test("every page starts with a skip link, labels every field, and is captured", async () => {
    for (const [path, name] of [
      ["/portal/hostname", "hostname"],
      ["/portal/ssl", "ssl"],
      ["/portal/audit", "audit"],
      ["/portal/users/admin", "admin-details"],
    ]) {
      await go(path);
      await ui.page.keyboard.press("Tab");
      expect(await ui.page.evaluate(() => document.activeElement?.textContent)).toBe(
        "Skip to content",
      );
      const unlabelled = await ui.page.evaluate(
        () =>
          [...document.querySelectorAll("input:not([type=hidden]), select, textarea")].filter(
            (e) => (e as HTMLInputElement).labels?.length === 0,
          ).length,
      );
      expect(unlabelled).toBe(0);
      await ui.screenshot(name);
    }
  });

  test("signing out ends the session and revokes its API key", async () => {
    const liveKeys = () =>
      queryDatabase(
        app,
        "SELECT count(*) AS n FROM api_keys WHERE user_id = 1 AND revoked_at IS NULL",
      );
    expect((await liveKeys())[0].n).toBe(2);
    await go("/portal");
    await Promise.all([
      ui.page.waitForURL(/\/portal\/sign-in\?signed-out=1$/),
      ui.page.getByRole("button", { name: "Sign out" }).click(),
    ]);
    await expect(ui.page.locator(".notice").textContent()).resolves.toBe("You signed out.");
    expect((await liveKeys())[0].n).toBe(1);
    await go("/portal/users");
    expect(new URL(ui.page.url()).pathname).toBe("/portal/sign-in");
  });
});
