/**
 * The services: checking their URL against the address policy, sealing
 * their password, and showing them without it.
 *
 * @module
 */
import { count, eq } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { Problem, notFound, unprocessable } from "../../src/errors.ts";
import { resolveServiceTarget } from "../../src/outbound/resolve.ts";
import type { Cidr } from "../../src/outbound/ip.ts";
import { deliveries, services } from "./schema.ts";
import type { Service } from "./schema.ts";

/** The service as every response shows it: never the password. */
export function serviceView(row: Service) {
  return {
    id: row.id,
    name: row.name,
    url: row.url,
    username: row.username,
    password_set: true,
    enabled: row.enabled,
    status: row.status,
    last_error: row.lastError,
    last_error_at: row.lastErrorAt,
    last_success_at: row.lastSuccessAt,
    anchor_sha256: row.anchorSha256,
    created_at: row.createdAt,
    updated_at: row.updatedAt,
  };
}

/** How many of the service's deliveries are in each status. */
export async function deliveryCounts(db: Executor, serviceId: number) {
  const rows = await db
    .select({ status: deliveries.status, n: count() })
    .from(deliveries)
    .where(eq(deliveries.serviceId, serviceId))
    .groupBy(deliveries.status)
    .all();
  const counts = { pending: 0, held: 0, delivered: 0, failed: 0 };
  for (const row of rows) counts[row.status] = row.n;
  return counts;
}

export const serviceNotFound = (id: number) =>
  notFound(
    "service_not_found",
    `No disposition service ${id}: GET /api/v1/disposition-services lists them.`,
  );

export async function requireService(db: Executor, id: number): Promise<Service> {
  const row = await db.select().from(services).where(eq(services.id, id)).get();
  if (!row) throw serviceNotFound(id);
  return row;
}

/**
 * Refuses a URL the outbound client would refuse: not https, with
 * credentials, or naming or resolving to a forbidden address.
 *
 * @returns the URL as the client will use it.
 */
export async function checkedUrl(url: string, allow: readonly Cidr[]): Promise<URL> {
  const checked = await resolveServiceTarget(url, allow);
  if (!checked.ok) {
    throw unprocessable(checked.code, "Service URL refused", checked.message, [
      { path: "/url", message: checked.message },
    ]);
  }
  return checked.target.url;
}

/** True when two URLs reach a different host or port (where the password would go). */
export function changesDestination(before: string, after: URL): boolean {
  const old = new URL(before);
  const port = (u: URL) => u.port || "443";
  return old.hostname !== after.hostname || port(old) !== port(after);
}

export const passwordRequired = () =>
  new Problem(
    422,
    "password_required",
    "Password required",
    "The new URL sends the password to another host or port: send the password again " +
      "with the URL, so that a changed URL never receives the old one by accident.",
    { errors: [{ path: "/password", message: "required when the host or port changes" }] },
  );
