/**
 * The delivery worker: claims due deliveries, sends them a few at a time,
 * and writes every outcome of a batch in one transaction, each conditional
 * on the lease still being this worker's.
 *
 * @module
 */
import { and, eq, inArray, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/client.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { nextWaitMs } from "./backoff.ts";
import { claimDue } from "./claim.ts";
import { attempts, deliveries, services } from "./schema.ts";
import type { Delivery } from "./schema.ts";
import { sendUpdate, updateBody } from "./send.ts";
import type { AttemptOutcome, Target } from "./send.ts";
import { readDeliverySettings } from "./settings.ts";
import type { DeliverySettings } from "./settings.ts";

interface Sent {
  delivery: Delivery;
  outcome: AttemptOutcome;
  startedAt: string;
  finishedAt: string;
}

/** A request is not started with less time than this left on its lease. */
const MIN_REQUEST_MS = 200;

/** Batches one run takes at most, so the job yields to the others. */
const MAX_BATCHES_PER_RUN = 200;

/** Creates the worker; each call sends what is due now and returns how many it sent. */
export function createDeliveryWorker(ctx: PluginContext): () => Promise<number> {
  const holder = crypto.randomUUID();
  return async () => {
    const settings = await readDeliverySettings(ctx.settings, ctx.db.orm);
    const hostname = await ctx.settings.get<string>(ctx.db.orm, "appliance.hostname");
    let total = 0;
    for (let i = 0; i < MAX_BATCHES_PER_RUN; i++) {
      const batch = await claimDue(
        ctx.db,
        holder,
        ctx.clock.now(),
        settings.leaseMs,
        settings.concurrency * 4,
      );
      if (batch.length === 0) break;
      const { sent, unsent } = await sendBatch(ctx, batch, settings, hostname);
      await ctx.db.write(async (tx) => {
        await record(ctx, tx, holder, sent, settings);
        await releaseUnsent(tx, holder, unsent);
      });
      total += batch.length;
    }
    return total;
  };
}

/**
 * Sends a batch. Each service's first delivery goes alone: if it shows the
 * service refuses us (credentials, trust), the rest are not sent at all.
 */
async function sendBatch(
  ctx: PluginContext,
  batch: Delivery[],
  settings: DeliverySettings,
  hostname: string,
): Promise<{ sent: Sent[]; unsent: Delivery[] }> {
  const targets = await loadTargets(ctx, [...new Set(batch.map((d) => d.serviceId))]);
  const sent: Sent[] = [];
  const unsent: Delivery[] = [];
  const margin = Math.floor(settings.leaseMs / 4);

  const sendOne = async (delivery: Delivery, target: Target): Promise<AttemptOutcome | null> => {
    // The request must end before the lease does, or another process could take the
    // attempt while this one is still sending it.
    const timeoutMs = Date.parse(delivery.leaseUntil ?? "") - ctx.clock.now().getTime() - margin;
    if (!(timeoutMs >= MIN_REQUEST_MS)) {
      unsent.push(delivery);
      return null;
    }
    const startedAt = ctx.clock.now().toISOString();
    const body = updateBody(delivery, hostname);
    const now = () => ctx.clock.now();
    const outcome = await sendUpdate(ctx.outbound, target, delivery, body, timeoutMs, now);
    sent.push({ delivery, outcome, startedAt, finishedAt: ctx.clock.now().toISOString() });
    return outcome;
  };

  const groups = new Map<number, Delivery[]>();
  for (const d of batch) groups.set(d.serviceId, [...(groups.get(d.serviceId) ?? []), d]);
  await Promise.all(
    [...groups].map(async ([serviceId, group]) => {
      const target = targets.get(serviceId);
      if (!target) return;
      const first = await sendOne(group[0], target);
      if (first?.kind === "blocked") {
        unsent.push(...group.slice(1));
        return;
      }
      let next = 1;
      const lane = async () => {
        while (next < group.length) await sendOne(group[next++], target);
      };
      const lanes = Math.min(settings.concurrency, group.length - 1);
      await Promise.all(Array.from({ length: lanes }, lane));
    }),
  );
  return { sent, unsent };
}

async function loadTargets(ctx: PluginContext, ids: number[]): Promise<Map<number, Target>> {
  const rows = await ctx.db.orm.select().from(services).where(inArray(services.id, ids)).all();
  const targets = new Map<number, Target>();
  for (const row of rows) {
    const password = await ctx.secrets.open(row.passwordSealed);
    targets.set(row.id, { id: row.id, url: row.url, username: row.username, password });
  }
  return targets;
}

/** Gives back claims that were not sent: no attempt was made. */
async function releaseUnsent(tx: Executor, holder: string, unsent: Delivery[]) {
  for (const delivery of unsent) {
    await tx
      .update(deliveries)
      .set({ leaseUntil: null, leaseHolder: null, attempts: sql`${deliveries.attempts} - 1` })
      .where(
        and(
          eq(deliveries.id, delivery.id),
          eq(deliveries.leaseHolder, holder),
          eq(deliveries.attempts, delivery.attempts),
        ),
      );
  }
}

async function record(
  ctx: PluginContext,
  tx: Executor,
  holder: string,
  sent: Sent[],
  settings: DeliverySettings,
) {
  const now = ctx.clock.now();
  for (const { delivery, outcome, startedAt, finishedAt } of sent) {
    const exhausted = outcome.kind === "retry" && delivery.attempts >= settings.maxAttempts;
    await tx.insert(attempts).values({
      deliveryId: delivery.id,
      serviceId: delivery.serviceId,
      attempt: delivery.attempts,
      startedAt,
      finishedAt,
      httpStatus: outcome.status ?? null,
      outcome: exhausted ? "failed" : outcome.kind,
      error: outcome.kind === "delivered" ? null : outcome.error,
    });
    const mine = and(
      eq(deliveries.id, delivery.id),
      eq(deliveries.leaseHolder, holder),
      eq(deliveries.attempts, delivery.attempts),
      eq(deliveries.status, "pending"),
    );
    const release = { leaseUntil: null, leaseHolder: null, lastStatus: outcome.status ?? null };
    const service = eq(services.id, delivery.serviceId);

    if (outcome.kind === "delivered") {
      await tx
        .update(deliveries)
        .set({ ...release, status: "delivered", lastError: null, finishedAt })
        .where(mine);
      await tx
        .update(services)
        .set({ status: "ok", lastSuccessAt: finishedAt, anchorSha256: outcome.anchorSha256 })
        .where(service);
      continue;
    }

    const error = outcome.error.slice(0, 1000);
    await tx
      .update(services)
      .set({
        lastError: error,
        lastErrorAt: finishedAt,
        ...(outcome.kind === "blocked" ? { status: outcome.service } : {}),
      })
      .where(service);

    if (outcome.kind === "blocked") {
      // The attempt does not count: the delivery waits for the administrator, not for retries.
      await tx
        .update(deliveries)
        .set({ ...release, lastError: error, attempts: sql`${deliveries.attempts} - 1` })
        .where(mine);
      ctx.log.warn(
        { service: delivery.serviceId, err: error },
        `deliveries stopped: ${outcome.service}`,
      );
    } else if (outcome.kind === "failed" || exhausted) {
      await tx
        .update(deliveries)
        .set({ ...release, status: "failed", lastError: error, finishedAt })
        .where(mine);
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
      const nextAt = new Date(now.getTime() + wait).toISOString();
      await tx
        .update(deliveries)
        .set({ ...release, lastError: error, nextAt })
        .where(mine);
    }
  }
}
