/**
 * API keys: 256 random bits, shown once, stored as SHA-256 with a short
 * display prefix.
 *
 * @module
 */
import { and, eq, isNull } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { apiKeys } from "../../db/schema.ts";

const KEY_PREFIX = "pk_";
const DISPLAY_LENGTH = 11;

export async function sha256Hex(text: string): Promise<string> {
  const digest = await crypto.subtle.digest("SHA-256", new TextEncoder().encode(text));
  return [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

/** A new key: `pk_` and 64 hex digits. */
export function generateApiKey(): string {
  const bytes = crypto.getRandomValues(new Uint8Array(32));
  return KEY_PREFIX + [...bytes].map((b) => b.toString(16).padStart(2, "0")).join("");
}

export function displayPrefix(key: string): string {
  return key.slice(0, DISPLAY_LENGTH);
}

/** Stores a key for a user; `key` defaults to a new random one. Returns it. */
export async function issueApiKey(
  tx: Executor,
  userId: number,
  at: string,
  key: string = generateApiKey(),
): Promise<string> {
  await tx.insert(apiKeys).values({
    userId,
    hash: await sha256Hex(key),
    prefix: displayPrefix(key),
    createdAt: at,
  });
  return key;
}

/** Revokes every live key of a user; returns how many. */
export async function revokeApiKeys(tx: Executor, userId: number, at: string): Promise<number> {
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.length;
}

/** Revokes one key by its id; true when it was live. */
export async function revokeApiKey(tx: Executor, keyId: number, at: string): Promise<boolean> {
  const revoked = await tx
    .update(apiKeys)
    .set({ revokedAt: at })
    .where(and(eq(apiKeys.id, keyId), isNull(apiKeys.revokedAt)))
    .returning({ id: apiKeys.id });
  return revoked.length > 0;
}

/** The live key of a key's hash, if any. */
export async function findLiveKey(db: Executor, key: string) {
  return db
    .select()
    .from(apiKeys)
    .where(and(eq(apiKeys.hash, await sha256Hex(key)), isNull(apiKeys.revokedAt)))
    .get();
}

/** The display prefix of the user's live key, if it has one. */
export async function liveKeyPrefix(db: Executor, userId: number): Promise<string | null> {
  const row = await db
    .select({ prefix: apiKeys.prefix })
    .from(apiKeys)
    .where(and(eq(apiKeys.userId, userId), isNull(apiKeys.revokedAt)))
    .get();
  return row?.prefix ?? null;
}
