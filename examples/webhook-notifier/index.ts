/**
 * webhook-notifier: an example third-party plugin. When a gateway registers
 * (and waits for an administrator), it posts a JSON webhook — for example to
 * a SOC channel's incoming hook — through the appliance's outbound client,
 * which trusts only the CA store and refuses internal addresses.
 *
 * It depends on nothing but what `ctx` gives it and the SDK it bundles.
 *
 * @module
 */
import * as v from "valibot";
import { allow, definePlugin } from "../../src/sdk.ts";
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

interface Sent {
  at: string;
  event: string;
  status: number;
}

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

export default definePlugin<WebhookConfig>({
  id: "webhook-notifier",
  version: "1.0.0",
  kernel: "^0.1.0",
  prefixes: ["/api/v1/webhook-notifier"],
  config: Config,
  onBootFailure: "disable",
  setup(ctx) {
    const recent: Sent[] = [];
    for (const type of ctx.config.events) {
      ctx.events.on(
        type,
        async (event) => {
          const status = await post(ctx, event);
          recent.unshift({ at: event.createdAt, event: event.type, status });
          recent.length = Math.min(recent.length, 20);
          ctx.log.info({ event: event.type, event_id: event.id }, "webhook sent");
        },
        { timeoutMs: 20_000 },
      );
    }

    ctx
      .route("/api/v1/webhook-notifier")
      .get("/", allow("admin"), { summary: "Where the webhooks go and the last ones sent" }, (c) =>
        c.json({ url: ctx.config.url, events: ctx.config.events, recent }),
      );
  },
});
