/**
 * A delivery as the API shows it.
 *
 * @module
 */
import type { Delivery } from "./schema.ts";

/** The delivery without its payload: the sample id and disposition are enough. */
export function deliveryView(row: Delivery) {
  return {
    id: row.id,
    service_id: row.serviceId,
    event_id: row.eventId,
    sequence: row.sequence,
    sha256: row.sha256,
    sample_id: row.payload.id,
    disposition: row.payload.disposition,
    status: row.status,
    attempts: row.attempts,
    blocked_attempts: row.blockedAttempts,
    next_at: row.status === "pending" ? row.nextAt : null,
    in_flight: row.leaseUntil !== null,
    last_status: row.lastStatus,
    last_error: row.lastError,
    created_at: row.createdAt,
    finished_at: row.finishedAt,
  };
}
