/**
 * The delivery worker. `deliveries.concurrency` lanes send claimed
 * deliveries one after another; the queue is topped up with a new claim
 * before it runs dry, and outcomes are written in batches, each batch in one
 * transaction and every row conditional on the lease still being this
 * worker's. A delivery stays `pending` until its outcome is written, so the
 * claim never hands out the next update of the same sha256 before it.
 *
 * @module
 */
import { inArray } from "drizzle-orm";
import type { PluginContext } from "../../src/plugin.ts";
import { claimDue } from "./claim.ts";
import { type Sent, recordOutcomes, releaseUnsent } from "./record.ts";
import { services } from "./schema.ts";
import type { Delivery } from "./schema.ts";
import { sendUpdate, updateBody } from "./send.ts";
import type { Target } from "./send.ts";
import { readDeliverySettings } from "./settings.ts";
import type { DeliverySettings } from "./settings.ts";

/** A request is not started with less time than this left on its lease. */
const MIN_REQUEST_MS = 200;

/** Claims one run makes at most, so the job yields to the others. */
const MAX_CLAIMS_PER_RUN = 200;

/**
 * Where a service stands in this run. Its first delivery goes alone
 * (`probing`): if it shows the service refuses us (credentials, trust), the
 * rest are given back unsent instead of being refused one by one.
 */
type ServiceState = "new" | "probing" | "ok" | "stopped";

interface ServiceSlot {
  target: Target | null;
  state: ServiceState;
}

/** Creates the worker; each call sends what is due now and returns how many it claimed. */
export function createDeliveryWorker(ctx: PluginContext): () => Promise<number> {
  const holder = crypto.randomUUID();
  return async () => {
    const settings = await readDeliverySettings(ctx.settings, ctx.db.orm);
    const hostname = await ctx.settings.get<string>(ctx.db.orm, "appliance.hostname");
    return new DeliveryRun(ctx, holder, settings, hostname).run();
  };
}

class DeliveryRun {
  private readonly queue: Delivery[] = [];
  private readonly slots = new Map<number, ServiceSlot>();
  private readonly waiters: Array<() => void> = [];
  private sent: Sent[] = [];
  private unsent: Delivery[] = [];
  private claiming: Promise<void> | null = null;
  private claims = 0;
  private claimed = 0;
  private probing = 0;
  private exhausted = false;
  private writes: Promise<void> = Promise.resolve();
  private failure: unknown = null;

  constructor(
    private readonly ctx: PluginContext,
    private readonly holder: string,
    private readonly settings: DeliverySettings,
    private readonly hostname: string,
  ) {}

  async run(): Promise<number> {
    const lanes = this.settings.concurrency;
    await Promise.all(Array.from({ length: lanes }, () => this.lane()));
    this.flush();
    await this.writes;
    if (this.failure) throw this.failure;
    return this.claimed;
  }

  private async lane(): Promise<void> {
    for (;;) {
      const next = this.take();
      if (next) {
        if (this.queue.length < this.settings.concurrency) void this.refill();
        await this.send(next.delivery, next.probe);
        continue;
      }
      if (this.claiming) {
        await this.claiming;
      } else if (!this.exhausted && this.room() > 0) {
        await this.refill();
      } else if (this.probing > 0) {
        await new Promise<void>((resolve) => this.waiters.push(resolve));
      } else {
        return;
      }
    }
  }

  /** The first queued delivery that may go now; gives back those of stopped services. */
  private take(): { delivery: Delivery; probe: boolean } | null {
    for (let i = 0; i < this.queue.length; i++) {
      const delivery = this.queue[i];
      const slot = this.slots.get(delivery.serviceId);
      if (!slot?.target || slot.state === "stopped") {
        this.queue.splice(i--, 1);
        this.unsent.push(delivery);
        continue;
      }
      if (slot.state === "probing") continue;
      this.queue.splice(i, 1);
      const probe = slot.state === "new";
      if (probe) {
        slot.state = "probing";
        this.probing++;
      }
      return { delivery, probe };
    }
    return null;
  }

  private room(): number {
    return this.settings.concurrency * 4 - this.queue.length;
  }

  /** Claims more due deliveries; one claim at a time. */
  private refill(): Promise<void> {
    if (this.claiming || this.exhausted) return this.claiming ?? Promise.resolve();
    if (this.claims >= MAX_CLAIMS_PER_RUN || this.room() <= 0) {
      this.exhausted = this.claims >= MAX_CLAIMS_PER_RUN;
      return Promise.resolve();
    }
    this.claims++;
    const { ctx, settings } = this;
    this.claiming = (async () => {
      const now = ctx.clock.now();
      const batch = await claimDue(ctx.db, this.holder, now, settings.leaseMs, this.room());
      if (batch.length === 0) {
        this.exhausted = true;
        return;
      }
      await this.loadTargets([...new Set(batch.map((d) => d.serviceId))]);
      this.queue.push(...batch);
      this.claimed += batch.length;
    })()
      .catch((error: unknown) => {
        this.failure ??= error;
        this.exhausted = true;
      })
      .finally(() => {
        this.claiming = null;
        this.wake();
      });
    return this.claiming;
  }

  /** Reads the services again at each claim, so a changed URL or password is used at once. */
  private async loadTargets(ids: number[]): Promise<void> {
    const { ctx } = this;
    const rows = await ctx.db.orm.select().from(services).where(inArray(services.id, ids)).all();
    const found = new Map<number, Target>();
    for (const row of rows) {
      const password = await ctx.secrets.open(row.passwordSealed);
      found.set(row.id, { id: row.id, url: row.url, username: row.username, password });
    }
    for (const id of ids) {
      const slot = this.slots.get(id);
      const target = found.get(id) ?? null;
      if (slot) slot.target = target;
      else this.slots.set(id, { target, state: "new" });
    }
  }

  private async send(delivery: Delivery, probe: boolean): Promise<void> {
    const { ctx, settings } = this;
    const slot = this.slots.get(delivery.serviceId)!;
    // The request must end before the lease does, or another process could take the
    // attempt while this one is still sending it.
    const margin = Math.floor(settings.leaseMs / 4);
    const leaseEnd = Date.parse(delivery.leaseUntil ?? "");
    const timeoutMs = leaseEnd - ctx.clock.now().getTime() - margin;
    if (!(timeoutMs >= MIN_REQUEST_MS) || !slot.target) {
      this.unsent.push(delivery);
      if (probe) this.settleProbe(slot, "new");
      return;
    }
    const startedAt = ctx.clock.now().toISOString();
    const body = updateBody(delivery, this.hostname);
    const now = () => ctx.clock.now();
    const outcome = await sendUpdate(ctx.outbound, slot.target, delivery, body, timeoutMs, now);
    this.sent.push({ delivery, outcome, startedAt, finishedAt: ctx.clock.now().toISOString() });

    const refused = outcome.kind === "blocked";
    if (probe) this.settleProbe(slot, refused ? "stopped" : "ok");
    else if (refused) slot.state = "stopped";
    if (this.sent.length >= settings.concurrency) this.flush();
  }

  private settleProbe(slot: ServiceSlot, state: ServiceState): void {
    slot.state = state;
    this.probing--;
    this.wake();
  }

  private wake(): void {
    for (const resolve of this.waiters.splice(0)) resolve();
  }

  /** Queues one transaction with every outcome gathered so far; writes run one after another. */
  private flush(): void {
    const sent = this.sent;
    const unsent = this.unsent;
    if (sent.length === 0 && unsent.length === 0) return;
    this.sent = [];
    this.unsent = [];
    const { ctx, holder, settings } = this;
    this.writes = this.writes.then(() =>
      ctx.db
        .write(async (tx) => {
          await recordOutcomes(ctx, tx, holder, sent, settings);
          await releaseUnsent(tx, holder, unsent);
        })
        .catch((error: unknown) => {
          // Left leased, these deliveries are tried again once their lease runs out.
          this.failure ??= error;
        }),
    );
  }
}
