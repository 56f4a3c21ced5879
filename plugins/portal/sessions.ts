/**
 * Console sessions, kept in the database. Each holds an API key made for
 * it alone at sign-in, sealed, through which the console calls the API as
 * the signed-in user; ending the session revokes that key.
 *
 * @module
 */
import { eq, lte, or } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { findLiveKey, issueApiKey, revokeApiKey, sha256Hex } from "../../src/services/keys.ts";
import type { User } from "../../src/services/users.ts";
import { sessions } from "./schema.ts";
import type { Session } from "./schema.ts";
import { portalSettings } from "./settings.ts";

/** A session as a request sees it. */
export interface LiveSession {
  id: number;
  login: string;
  /** The session's own API key, opened. */
  apiKey: string;
  csrfToken: string;
}

const MINUTE_MS = 60_000;

/** 256 random bits as URL-safe base64. */
export function randomToken(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return btoa(String.fromCharCode(...bytes))
    .replace(/\+/g, "-")
    .replace(/\//g, "_")
    .replace(/=+$/, "");
}

/** Opens a session for a user who proved its password; returns the cookie's token. */
export async function openSession(
  ctx: PluginContext,
  tx: Executor,
  user: User,
  source: string,
): Promise<string> {
  const now = ctx.clock.now();
  const at = now.toISOString();
  const limits = await portalSettings(ctx.settings, tx);
  const apiKey = await issueApiKey(tx, user.id, at);
  const keyRow = await findLiveKey(tx, apiKey);
  const token = randomToken();
  await tx.insert(sessions).values({
    tokenHash: await sha256Hex(token),
    userId: user.id,
    login: user.login,
    keySealed: await ctx.secrets.seal(apiKey),
    keyId: keyRow!.id,
    csrfToken: randomToken(),
    source,
    createdAt: at,
    lastSeenAt: at,
    expiresAt: new Date(now.getTime() + limits.maxHours * 60 * MINUTE_MS).toISOString(),
  });
  return token;
}

/** Ends a session: revokes its key and forgets it. */
export async function closeSession(tx: Executor, session: Session, at: string): Promise<void> {
  await revokeApiKey(tx, session.keyId, at);
  await tx.delete(sessions).where(eq(sessions.id, session.id));
}

/**
 * The live session a cookie token names, refreshing its idle clock; an
 * expired one is ended on the way and gives null.
 */
export async function resumeSession(
  ctx: PluginContext,
  token: string,
): Promise<LiveSession | null> {
  if (token.length > 100) return null;
  const row = await ctx.db.orm
    .select()
    .from(sessions)
    .where(eq(sessions.tokenHash, await sha256Hex(token)))
    .get();
  if (!row) return null;
  const now = ctx.clock.now();
  const limits = await portalSettings(ctx.settings, ctx.db.orm);
  const idleUntil = new Date(row.lastSeenAt).getTime() + limits.idleMinutes * MINUTE_MS;
  if (now.toISOString() >= row.expiresAt || now.getTime() >= idleUntil) {
    await ctx.db.write((tx) => closeSession(tx, row, now.toISOString()));
    return null;
  }
  // One write a minute at most: the idle clock needs no finer grain.
  if (now.getTime() - new Date(row.lastSeenAt).getTime() > MINUTE_MS) {
    await ctx.db.write((tx) =>
      tx.update(sessions).set({ lastSeenAt: now.toISOString() }).where(eq(sessions.id, row.id)),
    );
  }
  return {
    id: row.id,
    login: row.login,
    apiKey: await ctx.secrets.open(row.keySealed),
    csrfToken: row.csrfToken,
  };
}

/** The session row of a live session, for sign-out. */
export async function findSession(db: Executor, id: number): Promise<Session | undefined> {
  return db.select().from(sessions).where(eq(sessions.id, id)).get();
}

/** Ends every session past its lifetime or idle for too long; returns how many. */
export async function expireSessions(ctx: PluginContext): Promise<number> {
  const now = ctx.clock.now();
  const limits = await portalSettings(ctx.settings, ctx.db.orm);
  const idleSince = new Date(now.getTime() - limits.idleMinutes * MINUTE_MS).toISOString();
  return ctx.db.write(async (tx) => {
    const due = await tx
      .select()
      .from(sessions)
      .where(or(lte(sessions.expiresAt, now.toISOString()), lte(sessions.lastSeenAt, idleSince)))
      .all();
    for (const row of due) await closeSession(tx, row, now.toISOString());
    return due.length;
  });
}
