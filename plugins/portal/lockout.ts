/**
 * Lockout after repeated failed sign-ins over the lockout period, in the
 * database so that every process of a scaled-out appliance counts the same
 * failures. A login is locked for the address that failed with it, so that
 * nobody can lock the well-known `admin` out from elsewhere with a few wrong
 * passwords; a far higher count from all addresses together still locks it,
 * which bounds a distributed guess.
 *
 * @module
 */
import { and, eq, gt, lte } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import type { Clock } from "../../src/services/clock.ts";
import { signInFailures } from "./schema.ts";
import type { PortalSettings } from "./settings.ts";

/** Why sign-in is refused before the password is even checked, or null. */
export interface Lockout {
  scope: "login" | "source";
  /** When the oldest counted failure leaves the period. */
  until: Date;
}

const MINUTE_MS = 60_000;

/** Everywhere, a login may fail this many times the per-address limit. */
const EVERYWHERE_FACTOR = 10;

async function recent(db: Executor, filter: { login?: string; source?: string }, since: string) {
  const rows = await db
    .select({ at: signInFailures.at })
    .from(signInFailures)
    .where(
      and(
        filter.login !== undefined ? eq(signInFailures.login, filter.login) : undefined,
        filter.source !== undefined ? eq(signInFailures.source, filter.source) : undefined,
        gt(signInFailures.at, since),
      ),
    )
    .orderBy(signInFailures.at)
    .all();
  return rows.map((r) => r.at);
}

/** Whether the login or the source has used up its failures. */
export async function lockoutOf(
  db: Executor,
  clock: Clock,
  limits: PortalSettings,
  login: string,
  source: string,
): Promise<Lockout | null> {
  const period = limits.lockoutMinutes * MINUTE_MS;
  const since = new Date(clock.now().getTime() - period).toISOString();
  const checks = [
    {
      scope: "login" as const,
      failures: await recent(db, { login, source }, since),
      max: limits.perLogin,
    },
    {
      scope: "source" as const,
      failures: await recent(db, { source }, since),
      max: limits.perSource,
    },
    {
      scope: "login" as const,
      failures: await recent(db, { login }, since),
      max: limits.perLogin * EVERYWHERE_FACTOR,
    },
  ];
  for (const check of checks) {
    if (check.failures.length >= check.max) {
      const oldest = check.failures[check.failures.length - check.max];
      return { scope: check.scope, until: new Date(new Date(oldest).getTime() + period) };
    }
  }
  return null;
}

/** Counts one failed sign-in. */
export async function recordFailure(tx: Executor, clock: Clock, login: string, source: string) {
  await tx.insert(signInFailures).values({ at: clock.now().toISOString(), login, source });
}

/** A successful sign-in forgives the login's earlier failures (not the source's). */
export async function forgiveLogin(tx: Executor, login: string) {
  await tx.delete(signInFailures).where(eq(signInFailures.login, login));
}

/** Forgets failures older than the lockout period. */
export async function pruneFailures(tx: Executor, clock: Clock, limits: PortalSettings) {
  const since = new Date(clock.now().getTime() - limits.lockoutMinutes * MINUTE_MS);
  await tx.delete(signInFailures).where(lte(signInFailures.at, since.toISOString()));
}
