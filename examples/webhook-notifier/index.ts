/**
 * webhook-notifier: an example third-party plugin. When a gateway registers
 * (and waits for an administrator), it posts a JSON webhook — for example to
 * a SOC channel's incoming hook — through the appliance's outbound client,
 * which trusts only the CA store and refuses internal addresses. Every
 * webhook it sent is kept in its own table.
 *
 * It depends on nothing but what `ctx` gives it and the SDK it bundles.
 *
 * @module
 */
import {
  allow,
  definePlugin,
  desc,
  eq,
  integer,
  notFound,
  registerProblems,
  sqliteTable,
  text,
  v,
} from "../../src/sdk.ts";
import type { EventRecord, PluginContext } from "../../src/sdk.ts";

const Config = v.object({
  /** Where to post; https only (the outbound client refuses anything else). */
  url: v.pipe(
    v.string("url is required"),
    v.url("url must be a URL"),
    v.startsWith("https://", "url must be https"),
  ),
  /** Sent as a Bearer token, if the receiver wants one. */
  token: v.optional(v.pipe(v.string(), v.minLength(8))),
  /** The events to forward. */
  events: v.optional(v.array(v.string()), ["device.registered"]),
});

type WebhookConfig = v.InferOutput<typeof Config>;

/** One row per webhook the receiver accepted. */
const sent = sqliteTable("webhook_notifier_sent", {
  id: integer("id").primaryKey({ autoIncrement: true }),
  eventId: text("event_id").notNull().unique(),
  event: text("event").notNull(),
  status: integer("status").notNull(),
  at: text("at").notNull(),
});

/** Posts one event; throws so that the kernel retries it later. */
async function post(ctx: PluginContext<WebhookConfig>, event: EventRecord): Promise<number> {
  const headers: Record<string, string> = {
    "content-type": "application/json",
    "idempotency-key": event.id,
  };
  if (ctx.config.token) headers.authorization = `Bearer ${ctx.config.token}`;
  const response = await ctx.outbound.request(ctx.config.url, {
    method: "POST",
    headers,
    body: JSON.stringify({
      event: event.type,
      event_id: event.id,
      at: event.createdAt,
      data: event.payload,
    }),
  });
  if (response.status < 200 || response.status >= 300) {
    throw new Error(`the webhook answered HTTP ${response.status}`);
  }
  return response.status;
}

export default definePlugin({
  id: "webhook-notifier",
  version: "1.0.0",
  kernel: "^0.1.0",
  prefixes: ["/api/v1/webhook-notifier"],
  config: Config,
  migrations: [
    {
      id: "0001_sent",
      sql: `CREATE TABLE webhook_notifier_sent (
              id INTEGER PRIMARY KEY AUTOINCREMENT,
              event_id TEXT NOT NULL UNIQUE,
              event TEXT NOT NULL,
              status INTEGER NOT NULL,
              at TEXT NOT NULL
            );
            CREATE INDEX webhook_notifier_sent_event ON webhook_notifier_sent (event);`,
    },
  ],
  onBootFailure: "disable",
  setup(ctx) {
    registerProblems({
      webhook_not_sent: {
        status: 404,
        title: "No webhook sent for this event",
        remedy:
          "The event was not sent yet (its handler retries a failing webhook) or never matched " +
          "the configured events; see GET /api/v1/plugins for the last failure.",
      },
    });

    for (const type of ctx.config.events) {
      ctx.events.on(
        type,
        async (event) => {
          const status = await post(ctx, event);
          // A retry after a crash may post the same event again; the row stays one.
          await ctx.db.write((tx) =>
            tx
              .insert(sent)
              .values({
                eventId: event.id,
                event: event.type,
                status,
                at: ctx.clock.now().toISOString(),
              })
              .onConflictDoNothing(),
          );
          ctx.log.info({ event: event.type, event_id: event.id }, "webhook sent");
        },
        { timeoutMs: 20_000 },
      );
    }

    const router = ctx.route("/api/v1/webhook-notifier");
    router.get(
      "/",
      allow("admin"),
      { summary: "Where the webhooks go and the last ones sent" },
      async (c) => {
        const recent = await ctx.db.orm.select().from(sent).orderBy(desc(sent.id)).limit(20).all();
        return c.json({
          url: ctx.config.url,
          events: ctx.config.events,
          recent: recent.map(({ eventId, event, status, at }) => ({
            event_id: eventId,
            event,
            status,
            at,
          })),
        });
      },
    );
    router.get(
      "/sent/:event_id",
      allow("admin"),
      { summary: "The webhook sent for one event" },
      async (c) => {
        const eventId: string = c.req.param("event_id") ?? "";
        const row = await ctx.db.orm.select().from(sent).where(eq(sent.eventId, eventId)).get();
        if (!row) {
          throw notFound("webhook_not_sent", "No webhook was sent for this event id yet.");
        }
        return c.json({ event_id: row.eventId, event: row.event, status: row.status, at: row.at });
      },
    );
  },
});
