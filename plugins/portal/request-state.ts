/**
 * What the console knows about the request in hand: its session, if any.
 * Kept beside the request rather than in the kernel's context variables,
 * which belong to the kernel.
 *
 * @module
 */
import type { Context } from "hono";
import { unauthorized } from "../../src/errors.ts";
import type { AppEnv } from "../../src/http/env.ts";
import type { LiveSession } from "./sessions.ts";

const live = new WeakMap<Request, LiveSession>();

/** Remembers the request's session for the handlers after the middleware. */
export function setSession(c: Context<AppEnv>, session: LiveSession): void {
  live.set(c.req.raw, session);
}

/** The request's session, or null before sign-in. */
export function maybeSession(c: Context<AppEnv>): LiveSession | null {
  return live.get(c.req.raw) ?? null;
}

/** The request's session; a page behind sign-in always has one. */
export function sessionOf(c: Context<AppEnv>): LiveSession {
  const session = live.get(c.req.raw);
  if (!session) throw unauthorized("Sign in to use the console.");
  return session;
}
