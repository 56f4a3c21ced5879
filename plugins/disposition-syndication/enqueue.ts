/**
 * Writing delivery rows: one per service in the transaction of every
 * disposition change, on replay, and when a disabled service comes back.
 *
 * @module
 */
import { and, asc, eq, gte, inArray, isNull, lt, or } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { events } from "../../db/schema.ts";
import type { EventRecord } from "../../src/services/events.ts";
import { deliveries, services } from "./schema.ts";

/** Runs in the emitting transaction: a rollback there takes these rows back too. */
export async function enqueueForServices(tx: Executor, event: EventRecord): Promise<void> {
  const targets = await tx
    .select({ id: services.id, enabled: services.enabled })
    .from(services)
    .all();
  if (targets.length === 0) return;
  const payload = event.payload;
  await tx.insert(deliveries).values(
    targets.map((service) => ({
      serviceId: service.id,
      eventId: event.id,
      sha256: String(payload.sha256),
      sequence: Number(payload.sequence),
      payload,
      status: service.enabled ? ("pending" as const) : ("held" as const),
      nextAt: event.createdAt,
      createdAt: event.createdAt,
    })),
  );
}

/** A service enabled again sends what was held for it. */
export async function releaseHeld(tx: Executor, serviceId: number, at: string): Promise<void> {
  await tx
    .update(deliveries)
    .set({ status: "pending", nextAt: at })
    .where(and(eq(deliveries.serviceId, serviceId), eq(deliveries.status, "held")));
}

/** A disabled service holds what it has not started sending. */
export async function holdPending(tx: Executor, serviceId: number, at: string): Promise<void> {
  await tx
    .update(deliveries)
    .set({ status: "held" })
    .where(
      and(
        eq(deliveries.serviceId, serviceId),
        eq(deliveries.status, "pending"),
        or(isNull(deliveries.leaseUntil), lt(deliveries.leaseUntil, at)),
      ),
    );
}

/**
 * Queues again every disposition change since `since` for one service:
 * missing deliveries are created, finished ones sent again with the same
 * event id. Returns how many were queued.
 */
export async function replay(
  tx: Executor,
  service: { id: number; enabled: boolean },
  since: string,
  at: string,
): Promise<number> {
  const changes = await tx
    .select()
    .from(events)
    .where(and(eq(events.type, "disposition.changed"), gte(events.createdAt, since)))
    .orderBy(asc(events.id))
    .all();
  if (changes.length === 0) return 0;
  const status = service.enabled ? ("pending" as const) : ("held" as const);
  const existing = await tx
    .select({ eventId: deliveries.eventId, status: deliveries.status })
    .from(deliveries)
    .where(
      and(
        eq(deliveries.serviceId, service.id),
        inArray(
          deliveries.eventId,
          changes.map((e) => e.eventId),
        ),
      ),
    )
    .all();
  const known = new Map(existing.map((d) => [d.eventId, d.status]));

  const fresh = changes.filter((e) => !known.has(e.eventId));
  if (fresh.length > 0) {
    await tx.insert(deliveries).values(
      fresh.map((e) => ({
        serviceId: service.id,
        eventId: e.eventId,
        sha256: String(e.payload.sha256),
        sequence: Number(e.payload.sequence),
        payload: e.payload,
        status,
        nextAt: at,
        createdAt: at,
      })),
    );
  }
  const finished = existing
    .filter((d) => d.status === "delivered" || d.status === "failed")
    .map((d) => d.eventId);
  if (finished.length > 0) {
    await tx
      .update(deliveries)
      .set({
        status,
        attempts: 0,
        blockedAttempts: 0,
        nextAt: at,
        finishedAt: null,
        leaseUntil: null,
      })
      .where(and(eq(deliveries.serviceId, service.id), inArray(deliveries.eventId, finished)));
  }
  return fresh.length + finished.length;
}
