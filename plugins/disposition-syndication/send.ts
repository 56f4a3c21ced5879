/**
 * One attempt: the request a Disposition Update Service receives, and what
 * its answer (or the lack of one) means for the delivery and the service.
 *
 * @module
 */
import { isOutboundError } from "../../src/outbound/errors.ts";
import { redirectTargetForLog } from "../../src/outbound/redact.ts";
import type { OutboundClient } from "../../src/outbound/client.ts";
import { retryAfterMs } from "./backoff.ts";
import type { Delivery, ServiceStatus } from "./schema.ts";

/** What an attempt came to. */
export type AttemptOutcome =
  | { kind: "delivered"; status: number; anchorSha256?: string }
  | { kind: "retry"; status?: number; error: string; retryAfterMs?: number }
  | { kind: "failed"; status?: number; error: string }
  | { kind: "blocked"; service: Exclude<ServiceStatus, "ok">; status?: number; error: string };

/** The service as the sender needs it, password opened. */
export interface Target {
  id: number;
  url: string;
  username: string;
  password: string;
}

/** The body API.md specifies, from the event payload and the appliance's hostname. */
export function updateBody(delivery: Delivery, hostname: string): string {
  const p = delivery.payload;
  return JSON.stringify({
    event_id: delivery.eventId,
    sequence: delivery.sequence,
    sample: { id: p.id, sha256: p.sha256, md5: p.md5, sha1: p.sha1, filename: p.filename },
    disposition: p.disposition,
    threat_score: p.threat_score,
    analyzed_at: String(p.analyzed_at).replace(/\.\d{3}Z$/, "Z"),
    appliance: { hostname },
  });
}

/** Sends one attempt; never throws. */
export async function sendUpdate(
  outbound: OutboundClient,
  target: Target,
  delivery: Delivery,
  body: string,
  timeoutMs: number,
  now: () => Date,
): Promise<AttemptOutcome> {
  const basic = Buffer.from(`${target.username}:${target.password}`, "utf8").toString("base64");
  try {
    const response = await outbound.request(target.url, {
      method: "POST",
      headers: {
        authorization: `Basic ${basic}`,
        "content-type": "application/json",
        "idempotency-key": delivery.eventId,
      },
      body,
      timeoutMs,
    });
    const status = response.status;
    if (status >= 200 && status < 300) {
      return { kind: "delivered", status, anchorSha256: response.anchorSha256 };
    }
    if (status === 401 || status === 403) {
      const error =
        `HTTP ${status}: the service rejected the user and password; ` +
        "correct them with PATCH, then deliveries resume";
      return { kind: "blocked", service: "credentials_rejected", status, error };
    }
    if (status === 429 || status >= 500 || (status >= 300 && status < 400)) {
      const wait = retryAfterMs(response.headers["retry-after"], now());
      const why =
        status < 400
          ? ` (redirect to ${redirectTargetForLog(response.headers.location, target.url)})`
          : "";
      return { kind: "retry", status, error: `HTTP ${status}${why}`, retryAfterMs: wait };
    }
    return { kind: "failed", status, error: `HTTP ${status}: the service refused the update` };
  } catch (error) {
    if (!isOutboundError(error)) return { kind: "retry", error: String(error) };
    switch (error.kind) {
      case "tls_untrusted":
      case "no_trust_anchors":
        return { kind: "blocked", service: "untrusted", error: error.message };
      case "dns_failed":
      case "connect_failed":
      case "timeout":
      case "tls_failed":
      case "protocol":
        return { kind: "retry", error: error.message };
      default:
        return { kind: "failed", error: error.message };
    }
  }
}
