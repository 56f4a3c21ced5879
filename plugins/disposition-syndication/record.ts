/**
 * Writing the outcomes of sent attempts, many at once, in the caller's
 * transaction. Every row update is conditional on the lease still being this
 * worker's for that very attempt, so an outcome that arrives after another
 * process took the delivery over changes nothing but the attempt log.
 *
 * @module
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { nextWaitMs } from "./backoff.ts";
import { attempts, deliveries, services } from "./schema.ts";
import type { Delivery } from "./schema.ts";
import type { AttemptOutcome } from "./send.ts";
import type { DeliverySettings } from "./settings.ts";

/** One attempt that got an outcome. */
export interface Sent {
  delivery: Delivery;
  outcome: AttemptOutcome;
  startedAt: string;
  finishedAt: string;
}

/** Rows per statement; keeps the bound parameters far below SQLite's limit. */
const CHUNK = 200;

function chunks<T>(items: T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += CHUNK) out.push(items.slice(i, i + CHUNK));
  return out;
}

/** The delivery row as this worker claimed it for this attempt, and still pending. */
function mine(holder: string, ids: number[], attempt: number): SQL | undefined {
  return and(
    inArray(deliveries.id, ids),
    eq(deliveries.leaseHolder, holder),
    eq(deliveries.attempts, attempt),
    eq(deliveries.status, "pending"),
  );
}

/** `CASE id WHEN … THEN … END`: one value per delivery in a single UPDATE. */
function byId(rows: Sent[], value: (s: Sent) => string | number | null): SQL {
  const whens = rows.map((s) => sql`WHEN ${s.delivery.id} THEN ${value(s)}`);
  return sql`CASE ${deliveries.id} ${sql.join(whens, sql` `)} END`;
}

/** Records every outcome of `sent`: the attempt log, the deliveries and their services. */
export async function recordOutcomes(
  ctx: PluginContext,
  tx: Executor,
  holder: string,
  sent: Sent[],
  settings: DeliverySettings,
): Promise<void> {
  for (const part of chunks(sent)) {
    await tx.insert(attempts).values(
      part.map(({ delivery, outcome, startedAt, finishedAt }) => ({
        deliveryId: delivery.id,
        serviceId: delivery.serviceId,
        attempt: delivery.attempts,
        startedAt,
        finishedAt,
        httpStatus: outcome.status ?? null,
        outcome: isExhausted(delivery, outcome, settings) ? "failed" : outcome.kind,
        error: outcome.kind === "delivered" ? null : outcome.error,
      })),
    );
  }
  const delivered = sent.filter((s) => s.outcome.kind === "delivered");
  await recordDelivered(tx, holder, delivered);
  for (const one of sent) {
    if (one.outcome.kind !== "delivered") await recordUndelivered(ctx, tx, holder, one, settings);
  }
}

/** Whether a retryable failure used the last attempt the settings allow. */
function isExhausted(delivery: Delivery, outcome: AttemptOutcome, settings: DeliverySettings) {
  const spent = delivery.attempts - delivery.blockedAttempts;
  return outcome.kind === "retry" && spent >= settings.maxAttempts;
}

async function recordDelivered(tx: Executor, holder: string, delivered: Sent[]): Promise<void> {
  const byAttempt = new Map<number, Sent[]>();
  for (const s of delivered) {
    byAttempt.set(s.delivery.attempts, [...(byAttempt.get(s.delivery.attempts) ?? []), s]);
  }
  for (const [attempt, group] of byAttempt) {
    for (const part of chunks(group)) {
      await tx
        .update(deliveries)
        .set({
          status: "delivered",
          leaseUntil: null,
          leaseHolder: null,
          lastError: null,
          lastStatus: byId(part, (s) => s.outcome.status ?? null),
          finishedAt: byId(part, (s) => s.finishedAt),
        })
        .where(
          mine(
            holder,
            part.map((s) => s.delivery.id),
            attempt,
          ),
        );
    }
  }
  // One update per service, with its latest success.
  const latest = new Map<number, Sent>();
  for (const s of delivered) {
    const seen = latest.get(s.delivery.serviceId);
    if (!seen || seen.finishedAt <= s.finishedAt) latest.set(s.delivery.serviceId, s);
  }
  for (const [serviceId, s] of latest) {
    const anchorSha256 = s.outcome.kind === "delivered" ? s.outcome.anchorSha256 : undefined;
    await tx
      .update(services)
      .set({ status: "ok", lastSuccessAt: s.finishedAt, anchorSha256 })
      .where(eq(services.id, serviceId));
  }
}

async function recordUndelivered(
  ctx: PluginContext,
  tx: Executor,
  holder: string,
  { delivery, outcome, finishedAt }: Sent,
  settings: DeliverySettings,
): Promise<void> {
  if (outcome.kind === "delivered") return;
  const exhausted = isExhausted(delivery, outcome, settings);
  const row = mine(holder, [delivery.id], delivery.attempts);
  const release = { leaseUntil: null, leaseHolder: null, lastStatus: outcome.status ?? null };
  const error = outcome.error.slice(0, 1000);
  await tx
    .update(services)
    .set({
      lastError: error,
      lastErrorAt: finishedAt,
      ...(outcome.kind === "blocked" ? { status: outcome.service } : {}),
    })
    .where(eq(services.id, delivery.serviceId));

  if (outcome.kind === "blocked") {
    // The request was sent and is in the attempt log, so it stays counted; the delivery
    // stays pending and waits for the administrator, as the service's status says.
    await tx
      .update(deliveries)
      .set({
        ...release,
        lastError: error,
        blockedAttempts: sql`${deliveries.blockedAttempts} + 1`,
      })
      .where(row);
    ctx.log.warn(
      { service: delivery.serviceId, err: error },
      `deliveries stopped: ${outcome.service}`,
    );
  } else if (outcome.kind === "failed" || exhausted) {
    await tx
      .update(deliveries)
      .set({ ...release, status: "failed", lastError: error, finishedAt })
      .where(row);
    ctx.log.info(
      {
        delivery: delivery.id,
        service: delivery.serviceId,
        attempts: delivery.attempts,
        err: error,
      },
      "delivery failed for good",
    );
  } else {
    const wait = nextWaitMs(
      delivery.attempts,
      outcome.retryAfterMs,
      settings.backoffInitialMs,
      settings.backoffMaxMs,
    );
    const nextAt = new Date(ctx.clock.now().getTime() + wait).toISOString();
    await tx
      .update(deliveries)
      .set({ ...release, lastError: error, nextAt })
      .where(row);
  }
}

/** Gives back claims that were not sent: no attempt was made. */
export async function releaseUnsent(tx: Executor, holder: string, unsent: Delivery[]) {
  const byAttempt = new Map<number, number[]>();
  for (const d of unsent) byAttempt.set(d.attempts, [...(byAttempt.get(d.attempts) ?? []), d.id]);
  for (const [attempt, ids] of byAttempt) {
    for (const part of chunks(ids)) {
      await tx
        .update(deliveries)
        .set({ leaseUntil: null, leaseHolder: null, attempts: sql`${deliveries.attempts} - 1` })
        .where(
          and(
            inArray(deliveries.id, part),
            eq(deliveries.leaseHolder, holder),
            eq(deliveries.attempts, attempt),
          ),
        );
    }
  }
}
