/**
 * A real headless Chromium (Debian's) driven by playwright-core, trusting
 * exactly the appliance's key: the SPKI pin names that one public key, and
 * the resolver maps the appliance's hostname to loopback, so the browser
 * opens `https://<hostname>:<port>/portal` as an administrator would.
 *
 * @module
 */
import { type ChildProcess, spawn } from "node:child_process";
import { X509Certificate, createHash } from "node:crypto";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
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

/**
 * Starts Chromium with DevTools on a loopback port and returns its WebSocket
 * address. Playwright's own launch talks to the browser over extra stdio
 * pipes; under Bun those intermittently held the browser's events back for
 * tens of seconds after a form post (about one run in five timed out), while
 * the same events over the WebSocket arrive at once.
 */
async function startChromium(
  flags: string[],
): Promise<{ endpoint: string; process: ChildProcess; profile: string }> {
  const profile = mkdtempSync(join(tmpdir(), "portico-chromium-"));
  const child = spawn(
    CHROMIUM,
    [
      "--headless",
      "--remote-debugging-address=127.0.0.1",
      "--remote-debugging-port=0",
      `--user-data-dir=${profile}`,
      ...flags,
      "about:blank",
    ],
    { stdio: ["ignore", "ignore", "pipe"] },
  );
  let output = "";
  const endpoint = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`Chromium printed no DevTools address within 30 s:\n${output}`));
    }, 30_000);
    child.stderr!.on("data", (chunk: Buffer) => {
      output += chunk.toString();
      const found = /DevTools listening on (ws:\/\/\S+)/.exec(output);
      if (found) {
        clearTimeout(timer);
        resolve(found[1]);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`Chromium exited (${code ?? signal}) before listening:\n${output}`));
    });
  });
  // Keep draining stderr so that a chatty browser never blocks on a full pipe.
  child.stderr!.resume();
  return { endpoint, process: child, profile };
}

/** Launches Chromium trusting exactly the appliance's key, with one page. */
export async function openConsole(app: RunningAppliance): Promise<ConsoleBrowser> {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: install it with "apt-get install -y chromium"`);
  }
  const chrome = await startChromium([
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-back-forward-cache",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--no-default-browser-check",
    `--ignore-certificate-errors-spki-list=${spkiPin(app.trusted[0])}`,
    `--host-resolver-rules=MAP ${app.hostname} 127.0.0.1`,
  ]);
  const removeProfile = () => rmSync(chrome.profile, { recursive: true, force: true });
  const stopChromium = () => {
    chrome.process.kill("SIGKILL");
    try {
      removeProfile();
    } catch {
      // The dying browser may still be writing; the profile is in the temp folder.
    }
  };
  process.once("exit", stopChromium);
  let browser: Browser;
  try {
    browser = await chromium.connectOverCDP(chrome.endpoint);
  } catch (error) {
    stopChromium();
    throw error;
  }
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
      await context.close().catch(() => {});
      await browser.close().catch(() => {});
      process.off("exit", stopChromium);
      if (chrome.process.exitCode === null && chrome.process.signalCode === null) {
        const exited = new Promise((resolve) => chrome.process.once("exit", resolve));
        chrome.process.kill("SIGKILL");
        await exited;
      }
      removeProfile();
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
