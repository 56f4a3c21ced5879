/**
 * What every console request goes through: security headers, the session
 * from its cookie (the only credential that counts under `/portal/`), the
 * form token on every POST, and errors shown as pages.
 *
 * @module
 */
import { timingSafeEqual } from "node:crypto";
import type { Context, MiddlewareHandler } from "hono";
import { getCookie } from "hono/cookie";
import { Problem, isProblem } from "../../src/errors.ts";
import { resolvePrincipal } from "../../src/http/auth.ts";
import { readForm, single } from "../../src/http/body.ts";
import type { AppEnv } from "../../src/http/env.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { maybeSession, setSession } from "./request-state.ts";
import { closeSession, findSession, resumeSession } from "./sessions.ts";
import { SESSION_COOKIE } from "./cookies.ts";
import { page } from "./view/layout.ts";
import { html } from "hono/html";

const CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "base-uri 'none'",
].join("; ");

/** Headers that keep the console's pages in their own window, uncached, script-free. */
export const securityHeaders: MiddlewareHandler<AppEnv> = async (c, next) => {
  await next();
  c.header("Content-Security-Policy", CSP);
  c.header("X-Frame-Options", "DENY");
  c.header("X-Content-Type-Options", "nosniff");
  c.header("Referrer-Policy", "no-referrer");
  if (!c.req.path.startsWith("/portal/static/")) c.header("Cache-Control", "no-store");
};

/** Compares two tokens in constant time. */
export function sameToken(sent: string, expected: string): boolean {
  const a = Buffer.from(sent);
  const b = Buffer.from(expected);
  return a.length === b.length && timingSafeEqual(a, b);
}

/** The form token a request carries, from the form or the `X-CSRF-Token` header. */
export async function sentToken(c: Context<AppEnv>): Promise<string> {
  const header = c.req.header("x-csrf-token");
  if (header) return header;
  const type = c.req.header("content-type") ?? "";
  if (!/form/.test(type)) return "";
  const value = single((await readForm(c))._csrf);
  return typeof value === "string" ? value : "";
}

/** The refusal of a form without the session's token. */
export function csrfRefused(): Problem {
  return new Problem(
    403,
    "csrf_token_invalid",
    "Form refused",
    "The form did not carry this session's token, so it may not have come from this console. " +
      "Reload the page and send the form again.",
  );
}

/**
 * Resolves the session cookie into the request's credential, replacing any
 * API key the request sent, and checks the form token of every POST.
 */
export function sessions(ctx: PluginContext): MiddlewareHandler<AppEnv> {
  return async (c, next) => {
    // One address for the dashboard: routes under a prefix cannot end in a slash.
    if (c.req.path === "/portal/") return c.redirect("/portal", 308);
    c.set("credential", null);
    c.set("principal", null);
    const token = getCookie(c, SESSION_COOKIE);
    const session = token ? await resumeSession(ctx, token) : null;
    if (session) {
      const principal = await resolvePrincipal(ctx.db, session.apiKey);
      if (principal) {
        setSession(c, session);
        c.set("credential", { key: session.apiKey, principal });
        c.set("principal", principal);
      } else {
        // The key was revoked elsewhere (a key reset): the session cannot act any more.
        const row = await findSession(ctx.db.orm, session.id);
        if (row) await ctx.db.write((tx) => closeSession(tx, row, ctx.clock.now().toISOString()));
      }
    }
    const unsafe = c.req.method !== "GET" && c.req.method !== "HEAD";
    const signingIn = c.req.method === "POST" && c.req.path === "/portal/session";
    const current = maybeSession(c);
    if (unsafe && !signingIn && current) {
      if (!sameToken(await sentToken(c), current.csrfToken)) throw csrfRefused();
    }
    await next();
  };
}

/** Sends a visitor without a session to sign in; shows other refusals as pages. */
export function errorPage(ctx: PluginContext) {
  return (error: Error, c: Context<AppEnv>): Response | Promise<Response> => {
    const problem = isProblem(error) ? error : null;
    if (!problem) {
      (c.get("log") ?? ctx.log).error({ err: error }, "console page failed");
    }
    if (problem?.status === 401) {
      const next =
        c.req.method === "GET"
          ? new URL(c.req.url).pathname + new URL(c.req.url).search
          : "/portal";
      const to = `/portal/sign-in?next=${encodeURIComponent(next)}`;
      return c.redirect(problem.code === "session_ended" ? `${to}&ended=1` : to, 303);
    }
    const session = maybeSession(c);
    const status = problem?.status ?? 500;
    const title = problem?.title ?? "Internal error";
    const detail =
      problem?.detail ??
      `The console could not complete the request (request id ${c.get("requestId")}).`;
    const user = session ? { login: session.login, csrfToken: session.csrfToken } : undefined;
    const body = page(
      { title, user, alert: detail },
      html`<p>Code: <code>${problem?.code ?? "internal_error"}</code></p>
        <p><a href="/portal">Back to the dashboard</a></p>`,
    );
    return c.html(body, status as 400);
  };
}
