/**
 * A real headless Chromium (Debian's) driven by playwright-core, trusting
 * exactly the appliance's key: the SPKI pin names that one public key, and
 * the resolver maps the appliance's hostname to loopback, so the browser
 * opens `https://<hostname>:<port>/portal` as an administrator would.
 *
 * @module
 */
import { X509Certificate, createHash } from "node:crypto";
import { existsSync, mkdirSync } from "node:fs";
import { join } from "node:path";
import { chromium } from "playwright-core";
import type { Browser, BrowserContext, Page } from "playwright-core";
import type { RunningAppliance } from "./appliance.ts";

/** Debian's Chromium, installed by .ci/run. */
export const CHROMIUM = "/usr/bin/chromium";
/** Where screenshots go (gitignored). */
export const ARTIFACTS = join(import.meta.dir, "..", "..", "test-artifacts");

/** Base64 of the SHA-256 of a certificate's SubjectPublicKeyInfo, as Chromium pins it. */
export function spkiPin(certificatePem: string): string {
  const spki = new X509Certificate(certificatePem).publicKey.export({
    type: "spki",
    format: "der",
  });
  return createHash("sha256").update(spki).digest("base64");
}

/** A browser opened on the console, with its one page. */
export interface ConsoleBrowser {
  browser: Browser;
  context: BrowserContext;
  page: Page;
  /** The console's address as the browser reaches it. */
  origin: string;
  /** Saves a full-page screenshot as test-artifacts/portal-<name>.png. */
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

/** Launches Chromium trusting exactly the appliance's key, with one page. */
export async function openConsole(app: RunningAppliance): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium"`);
  }
  const browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--no-sandbox",
      "--disable-gpu",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
      "--no-first-run",
      `--ignore-certificate-errors-spki-list=${spkiPin(app.trusted[0])}`,
      `--host-resolver-rules=MAP ${app.hostname} 127.0.0.1`,
    ],
  });
  const context = await browser.newContext({ acceptDownloads: true });
  const page = await context.newPage();
  mkdirSync(ARTIFACTS, { recursive: true });
  return {
    browser,
    context,
    page,
    origin: `https://${app.hostname}:${app.port}`,
    async screenshot(name) {
      await page.screenshot({ path: join(ARTIFACTS, `portal-${name}.png`), fullPage: true });
    },
    async close() {
      await context.close();
      await browser.close();
    },
  };
}

/** Gives the administrator a console password through the API, as docs/portal.md says. */
export async function setAdminPassword(app: RunningAppliance, password: string): Promise<void> {
  const res = await app.call("PUT", "/api/v1/users/admin/password", { json: { password } });
  if (res.status !== 204) throw new Error(`password refused: ${res.status} ${res.text}`);
}

/** Signs in through the form, with the keyboard: type, Tab, type, Enter. */
export async function signIn(ui: ConsoleBrowser, login: string, password: string): Promise<void> {
  const { page } = ui;
  await page.goto(`${ui.origin}/portal/sign-in`);
  await page.getByLabel("Login").fill(login);
  await page.keyboard.press("Tab");
  await page.keyboard.type(password);
  await page.keyboard.press("Enter");
  await page.waitForURL(`${ui.origin}/portal`);
}
