/**
 * The event bus over the outbox. An event is written in the transaction
 * that made the change, together with one dispatch row per subscriber;
 * workers claim due rows with a lease (a conditional UPDATE), so several
 * processes never run the same dispatch at once, and a handler that throws
 * or hangs is retried for its subscriber alone.
 *
 * @module
 */
import { and, eq, inArray, isNull, lt, lte, or, sql } from "drizzle-orm";
import type { Database, Executor } from "../../db/client.ts";
import { eventDispatches, events } from "../../db/schema.ts";
import type { Logger } from "../log.ts";
import type { Clock } from "./clock.ts";

/** The event types the kernel and first-party plugins emit, with payloads. */
export interface EventPayloads {
  "device.registered": { login: string; organization_id: number; device_type: string };
  "device.reregistered": { login: string; organization_id: number; active: boolean };
  "user.activated": { login: string; actor: string };
  "user.deactivated": { login: string; actor: string };
  "user.api_key_reset": { login: string; actor: string };
  "sample.submitted": { id: string; sha256: string; login: string; organization_id: number };
  "disposition.changed": Record<string, unknown>;
  "certificate.replaced": { interface: string; fingerprint_sha256: string; source: string };
  "hostname.changed": { hostname: string; previous: string };
}

export type EventType = keyof EventPayloads | (string & {});

export interface EventRecord<T = Record<string, unknown>> {
  id: string;
  type: string;
  payload: T;
  createdAt: string;
}

/** The payload of an event type: a known type's own shape, any other a plain record. */
export type EventPayload<K extends EventType> = K extends keyof EventPayloads
  ? EventPayloads[K]
  : Record<string, unknown>;

/** Handles one event; what a returned promise resolves to is ignored. */
export type EventHandler<T = Record<string, unknown>> = (
  event: EventRecord<T>,
) => Promise<unknown> | void;

/**
 * Runs inside the emitting transaction: what it writes commits or rolls
 * back with the change itself (e.g. one delivery row per service).
 */
export type TransactionalHandler = (tx: Executor, event: EventRecord) => Promise<void>;

interface Subscription {
  subscriber: string;
  type: string;
  handler: EventHandler;
  timeoutMs: number;
  log: Logger;
}

export interface DispatchOptions {
  /** A lease longer than the handler's timeout. */
  leaseMs?: number;
  maxAttempts?: number;
}

const BACKOFF_MS = [1_000, 5_000, 30_000, 120_000, 600_000];

export class EventBus {
  private readonly subscriptions: Subscription[] = [];
  private readonly hooks: { type: string; handler: TransactionalHandler }[] = [];
  /** The last failure of each subscriber, for the plugin list. */
  readonly lastErrors = new Map<string, { at: string; message: string }>();
  private readonly holder = crypto.randomUUID();

  constructor(
    private readonly clock: Clock,
    private readonly options: DispatchOptions = {},
  ) {}

  /**
   * Subscribes `subscriber` (unique, e.g. `plugin-id:purpose`) to a type.
   * Subscriptions are made at setup: events emitted before a subscriber
   * existed are not replayed to it.
   */
  subscribe(
    subscriber: string,
    type: EventType,
    handler: EventHandler,
    options: { timeoutMs?: number; log: Logger },
  ): void {
    if (this.subscriptions.some((s) => s.subscriber === subscriber && s.type === type)) {
      throw new Error(`${subscriber} subscribes to ${type} twice`);
    }
    this.subscriptions.push({
      subscriber,
      type,
      handler,
      timeoutMs: options.timeoutMs ?? 30_000,
      log: options.log,
    });
  }

  /** Registers a handler that runs in the transaction of every emit of `type`. */
  inTransaction(type: EventType, handler: TransactionalHandler): void {
    this.hooks.push({ type, handler });
  }

  /** Writes an event and its dispatch rows in the caller's transaction. */
  async emit<K extends EventType>(
    tx: Executor,
    type: K,
    payload: K extends keyof EventPayloads ? EventPayloads[K] : Record<string, unknown>,
  ): Promise<string> {
    const eventId = crypto.randomUUID();
    const createdAt = this.clock.now().toISOString();
    const [row] = await tx
      .insert(events)
      .values({ eventId, type, payload: payload as Record<string, unknown>, createdAt })
      .returning({ id: events.id });
    const record: EventRecord = {
      id: eventId,
      type,
      payload: payload as Record<string, unknown>,
      createdAt,
    };
    for (const hook of this.hooks) if (hook.type === type) await hook.handler(tx, record);
    const subscribers = this.subscriptions.filter((s) => s.type === type);
    if (subscribers.length > 0) {
      await tx.insert(eventDispatches).values(
        subscribers.map((s) => ({
          eventId: row.id,
          subscriber: s.subscriber,
          status: "pending" as const,
          nextAt: createdAt,
        })),
      );
    }
    return eventId;
  }

  /**
   * Claims and runs the due dispatches once. Returns how many it ran.
   * Called by the dispatch worker; tests call it directly.
   */
  async dispatchDue(db: Database, limit = 20): Promise<number> {
    const now = this.clock.now();
    const nowIso = now.toISOString();
    const leaseMs = this.options.leaseMs ?? 60_000;
    const leaseUntil = new Date(now.getTime() + leaseMs).toISOString();
    const due = await db.orm
      .select({ id: eventDispatches.id })
      .from(eventDispatches)
      .where(
        and(
          eq(eventDispatches.status, "pending"),
          lte(eventDispatches.nextAt, nowIso),
          or(isNull(eventDispatches.leaseUntil), lt(eventDispatches.leaseUntil, nowIso)),
        ),
      )
      .limit(limit)
      .all();
    if (due.length === 0) return 0;

    const claimed = await db.write((tx) =>
      tx
        .update(eventDispatches)
        .set({ leaseUntil, attempts: sql`${eventDispatches.attempts} + 1` })
        .where(
          and(
            inArray(
              eventDispatches.id,
              due.map((d) => d.id),
            ),
            eq(eventDispatches.status, "pending"),
            or(isNull(eventDispatches.leaseUntil), lt(eventDispatches.leaseUntil, nowIso)),
          ),
        )
        .returning(),
    );
    for (const dispatch of claimed) await this.run(db, dispatch);
    return claimed.length;
  }

  private async run(db: Database, dispatch: typeof eventDispatches.$inferSelect) {
    const event = await db.orm.select().from(events).where(eq(events.id, dispatch.eventId)).get();
    const subscription = this.subscriptions.find(
      (s) => s.subscriber === dispatch.subscriber && s.type === event?.type,
    );
    if (!event || !subscription) {
      await this.finish(db, dispatch.id, "failed", "no such subscriber in this appliance");
      return;
    }
    const record: EventRecord = {
      id: event.eventId,
      type: event.type,
      payload: event.payload,
      createdAt: event.createdAt,
    };
    try {
      await withTimeout(Promise.resolve(subscription.handler(record)), subscription.timeoutMs);
      await this.finish(db, dispatch.id, "done", null);
    } catch (error) {
      const reason = error instanceof Error ? error.message : String(error);
      const maxAttempts = this.options.maxAttempts ?? 8;
      const last = dispatch.attempts >= maxAttempts;
      this.lastErrors.set(subscription.subscriber, {
        at: this.clock.now().toISOString(),
        message: `${record.type}: ${reason}`,
      });
      subscription.log.warn(
        { event: record.type, event_id: record.id, attempt: dispatch.attempts, err: reason },
        last ? "event handler failed for good" : "event handler failed; will retry",
      );
      if (last) {
        await this.finish(db, dispatch.id, "failed", reason);
        return;
      }
      const delay = BACKOFF_MS[Math.min(dispatch.attempts - 1, BACKOFF_MS.length - 1)];
      const nextAt = new Date(this.clock.now().getTime() + delay).toISOString();
      await db.write((tx) =>
        tx
          .update(eventDispatches)
          .set({ nextAt, leaseUntil: null, lastError: reason.slice(0, 500) })
          .where(eq(eventDispatches.id, dispatch.id)),
      );
    }
  }

  private async finish(db: Database, id: number, status: "done" | "failed", error: string | null) {
    await db.write((tx) =>
      tx
        .update(eventDispatches)
        .set({ status, leaseUntil: null, lastError: error })
        .where(eq(eventDispatches.id, id)),
    );
  }

  get holderId(): string {
    return this.holder;
  }
}

export class TimeoutError extends Error {
  constructor(ms: number) {
    super(`did not finish within ${ms} ms`);
    this.name = "TimeoutError";
  }
}

/** Settles with `promise`, or rejects after `ms`; the promise is abandoned. */
export function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(ms)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
