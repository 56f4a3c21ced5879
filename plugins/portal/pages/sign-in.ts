/**
 * Sign-in and sign-out. Only people with a console password may sign in,
 * and only administrators; repeated failures lock the login, or the source
 * address, out for the lockout period.
 *
 * @module
 */
import type { Context } from "hono";
import { getCookie } from "hono/cookie";
import { html } from "hono/html";
import * as v from "valibot";
import { open, allow } from "../../../src/http/access.ts";
import { readForm, single } from "../../../src/http/body.ts";
import type { AppEnv } from "../../../src/http/env.ts";
import type { Router } from "../../../src/http/router.ts";
import { clientPrefix } from "../../../src/outbound/ip.ts";
import type { PluginContext } from "../../../src/plugin.ts";
import { findUserByLogin } from "../../../src/services/users.ts";
import { verifyPassword } from "../../user-activation/password.ts";
import { SESSION_COOKIE, SIGN_IN_COOKIE, clearPortalCookie, setPortalCookie } from "../cookies.ts";
import { forgiveLogin, lockoutOf, recordFailure } from "../lockout.ts";
import { sameToken, sentToken } from "../middleware.ts";
import { sessionOf } from "../request-state.ts";
import { closeSession, findSession, openSession, randomToken } from "../sessions.ts";
import { portalSettings } from "../settings.ts";
import { csrf, field } from "../view/form.ts";
import { when, safeNext } from "../view/format.ts";
import { page } from "../view/layout.ts";

const SignInForm = v.object({
  login: v.pipe(
    v.string("Enter your login."),
    v.trim(),
    v.minLength(1, "Enter your login."),
    v.maxLength(64, "A login is at most 64 characters."),
  ),
  password: v.pipe(
    v.string("Enter your password."),
    v.minLength(1, "Enter your password."),
    v.maxLength(200, "A password is at most 200 characters."),
  ),
  next: v.optional(v.string()),
});

/** Run for unknown logins too, so that a wrong login takes as long as a wrong password. */
const DECOY_HASH =
  "scrypt$16384$8$1$AAAAAAAAAAAAAAAAAAAAAA==$AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=";

interface SignInView {
  login?: string;
  next?: string;
  errors?: Record<string, string>;
  alert?: string;
  notice?: string;
}

function signInPage(c: Context<AppEnv>, view: SignInView, status = 200) {
  const token = randomToken();
  setPortalCookie(c, SIGN_IN_COOKIE, token);
  const errors = view.errors ?? {};
  return c.html(
    page(
      { title: "Sign in", alert: view.alert, notice: view.notice },
      html`<form method="post" action="/portal/session" novalidate>
          ${csrf(token)}
          <input type="hidden" name="next" value="${safeNext(view.next)}" />
          ${field({
            name: "login",
            label: "Login",
            value: view.login,
            error: errors.login,
            required: true,
            autocomplete: "username",
            // The one thing to do on this page; a login already typed moves on to the password.
            attributes: view.login ? undefined : html` autofocus`,
          })}
          ${field({
            name: "password",
            label: "Password",
            type: "password",
            error: errors.password,
            required: true,
            autocomplete: "current-password",
            attributes: view.login ? html` autofocus` : undefined,
          })}
          <button type="submit">Sign in</button>
        </form>
        <p class="hint">
          First time? An administrator sets your password with
          <code>PUT /api/v1/users/{login}/password</code> (see docs/portal.md).
        </p>`,
    ),
    status as 200,
  );
}

/** Mounts sign-in and sign-out. */
export function signInRoutes(ctx: PluginContext, router: Router): void {
  router.get("/sign-in", open(), { summary: "The console's sign-in form" }, (c) =>
    signInPage(c, {
      next: c.req.query("next"),
      notice: c.req.query("ended")
        ? "Your session ended. Sign in again."
        : c.req.query("signed-out")
          ? "You signed out."
          : undefined,
    }),
  );

  router.post(
    "/session",
    open(),
    {
      summary: "Sign in to the console (form: login, password)",
      bodyTypes: ["application/x-www-form-urlencoded"],
    },
    async (c) => {
      const form = await readForm(c);
      const fields = Object.fromEntries(Object.entries(form).map(([k, val]) => [k, single(val)]));
      const expected = getCookie(c, SIGN_IN_COOKIE) ?? "";
      const sent = await sentToken(c);
      const next = typeof fields.next === "string" ? fields.next : undefined;
      const typed = typeof fields.login === "string" ? fields.login.trim() : "";
      if (!expected || !sameToken(sent, expected)) {
        return signInPage(
          c,
          {
            login: typed,
            next,
            alert: "The sign-in form expired or did not come from this console: sign in again.",
          },
          403,
        );
      }
      const parsed = v.safeParse(SignInForm, fields);
      if (!parsed.success) {
        const errors: Record<string, string> = {};
        for (const issue of parsed.issues) {
          const key = String(issue.path?.[0]?.key ?? "login");
          errors[key] ??= issue.message;
        }
        return signInPage(c, { login: typed, next, errors }, 400);
      }
      const { login, password } = parsed.output;
      const source = c.get("sourceAddress");
      const limits = await portalSettings(ctx.settings, ctx.db.orm);
      const audit = (outcome: "success" | "refused", reason?: string) => ({
        actor: login,
        action: "portal.sign_in",
        target: login,
        source,
        outcome,
        detail: reason ? { reason } : undefined,
      });

      // The attempt counts as a failure before the password is checked, in the same
      // transaction as the check of the count: parallel guesses cannot all pass the
      // check before any is counted. A success forgives it again.
      const client = clientPrefix(source);
      const locked = await ctx.db.write(async (tx) => {
        const lockout = await lockoutOf(tx, ctx.clock, limits, login, client);
        if (!lockout) await recordFailure(tx, ctx.clock, login, client);
        return lockout;
      });
      if (locked) {
        await ctx.db.write((tx) =>
          ctx.audit.record(tx, audit("refused", `locked_${locked.scope}`)),
        );
        const who = locked.scope === "login" ? "this login" : "your address";
        return signInPage(
          c,
          {
            login,
            next,
            alert:
              `Too many failed sign-ins for ${who}. ` +
              `Try again after ${when(locked.until.toISOString())}.`,
          },
          429,
        );
      }

      const user = await findUserByLogin(ctx.db.orm, login);
      const matches = await verifyPassword(password, user?.passwordHash ?? DECOY_HASH);
      // One answer for every refusal, so that it never tells whether a
      // password was right for a user who may not sign in.
      const refusal =
        !user || !user.passwordHash || !matches || !user.active || user.role !== "admin"
          ? "The login or the password is wrong, or the user may not use the console " +
            "(only active administrators can)."
          : null;
      if (refusal || !user) {
        // The failure counted above stays, a right password of a user who may not sign in
        // included: the lockout must not tell which guess was right either.
        await ctx.db.write((tx) =>
          ctx.audit.record(tx, audit("refused", matches ? "not_allowed" : "wrong_password")),
        );
        ctx.log.info({ login, source }, "console sign-in refused");
        return signInPage(c, { login, next, alert: refusal ?? undefined }, 401);
      }

      const token = await ctx.db.write(async (tx) => {
        await forgiveLogin(tx, login);
        await ctx.audit.record(tx, audit("success"));
        return openSession(ctx, tx, user, source);
      });
      ctx.log.info({ login, source }, "console sign-in");
      clearPortalCookie(c, SIGN_IN_COOKIE);
      setPortalCookie(c, SESSION_COOKIE, token);
      return c.redirect(safeNext(next), 303);
    },
  );

  const signOut = async (c: Context<AppEnv>) => {
    const session = sessionOf(c);
    await ctx.db.write(async (tx) => {
      const row = await findSession(tx, session.id);
      if (row) await closeSession(tx, row, ctx.clock.now().toISOString());
      await ctx.audit.record(tx, {
        actor: session.login,
        action: "portal.sign_out",
        target: session.login,
        source: c.get("sourceAddress"),
        outcome: "success",
      });
    });
    clearPortalCookie(c, SESSION_COOKIE);
    return c.redirect("/portal/sign-in?signed-out=1", 303);
  };
  router.delete("/session", allow("admin"), { summary: "Sign out of the console" }, signOut);
  router.post("/sign-out", allow("admin"), { summary: "Sign out (the console's form)" }, signOut);
}
