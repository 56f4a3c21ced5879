/**
 * The console's cookies. Both are `Secure` (the `__Secure-` prefix makes the
 * browser insist), `HttpOnly` and `SameSite=Strict`, scoped to `/portal`.
 *
 * @module
 */
import type { Context } from "hono";
import { deleteCookie, setCookie } from "hono/cookie";
import type { AppEnv } from "../../src/http/env.ts";

/** The session's token; it ends with the browser, and earlier on the server. */
export const SESSION_COOKIE = "__Secure-portico-session";
/** The sign-in form's token, compared with the form's hidden field (double submit). */
export const SIGN_IN_COOKIE = "__Secure-portico-sign-in";

const base = {
  path: "/portal",
  secure: true,
  httpOnly: true,
  sameSite: "Strict",
} as const;

/** Sets one of the console's cookies with the attributes above. */
export function setPortalCookie(c: Context<AppEnv>, name: string, value: string): void {
  setCookie(c, name, value, base);
}

/** Makes the browser forget one of the console's cookies. */
export function clearPortalCookie(c: Context<AppEnv>, name: string): void {
  deleteCookie(c, name, base);
}
