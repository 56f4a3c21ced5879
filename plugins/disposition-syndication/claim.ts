/**
 * Claiming due deliveries with a lease. The UPDATE is conditional on the
 * row still being free, so of several processes sharing the database only
 * one takes each attempt; a lease that ran out (its process died) makes the
 * attempt free again.
 *
 * @module
 */
import { and, eq, inArray, isNull, lt, lte, notExists, or, sql } from "drizzle-orm";
import { alias } from "drizzle-orm/sqlite-core";
import type { Database } from "../../db/client.ts";
import { attempts, deliveries, services } from "./schema.ts";
import type { Delivery } from "./schema.ts";

const earlier = alias(deliveries, "earlier");

/** Whether a delivery row is free to claim at `now`. */
const free = (now: string) =>
  and(
    eq(deliveries.status, "pending"),
    or(isNull(deliveries.leaseUntil), lt(deliveries.leaseUntil, now)),
  );

/**
 * Claims up to `limit` due deliveries of enabled, unblocked services whose
 * earlier sequence numbers (same service and sha256) are all finished.
 */
export async function claimDue(
  db: Database,
  holder: string,
  now: Date,
  leaseMs: number,
  limit: number,
): Promise<Delivery[]> {
  const nowIso = now.toISOString();
  const due = await db.orm
    .select({ id: deliveries.id })
    .from(deliveries)
    .innerJoin(services, eq(services.id, deliveries.serviceId))
    .where(
      and(
        free(nowIso),
        lte(deliveries.nextAt, nowIso),
        eq(services.enabled, true),
        eq(services.status, "ok"),
        notExists(
          db.orm
            .select({ one: sql`1` })
            .from(earlier)
            .where(
              and(
                eq(earlier.serviceId, deliveries.serviceId),
                eq(earlier.sha256, deliveries.sha256),
                lt(earlier.sequence, deliveries.sequence),
                inArray(earlier.status, ["pending", "held"]),
              ),
            ),
        ),
      ),
    )
    .orderBy(deliveries.nextAt, deliveries.id)
    .limit(limit)
    .all();
  if (due.length === 0) return [];

  const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
  return db.write((tx) =>
    tx
      .update(deliveries)
      .set({
        leaseUntil,
        leaseHolder: holder,
        // A lease that ran out without its attempt in the log belonged to a process that
        // died before it sent that attempt (or before it saw the answer): the attempt is
        // claimed again under its own number instead of using up another.
        attempts: sql`CASE WHEN ${deliveries.leaseUntil} IS NOT NULL AND ${deliveries.attempts} > 0
          AND NOT EXISTS (SELECT 1 FROM ${attempts} WHERE ${attempts.deliveryId} = ${deliveries.id}
            AND ${attempts.attempt} = ${deliveries.attempts})
          THEN ${deliveries.attempts} ELSE ${deliveries.attempts} + 1 END`,
      })
      .where(
        and(
          inArray(
            deliveries.id,
            due.map((d) => d.id),
          ),
          free(nowIso),
        ),
      )
      .returning(),
  );
}
