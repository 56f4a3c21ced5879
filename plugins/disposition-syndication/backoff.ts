/**
 * When to try a delivery again: exponential backoff with jitter, and the
 * service's `Retry-After` (RFC 9110 §10.2.3) when it asks for longer.
 *
 * @module
 */

/**
 * The wait after failed attempt number `attempt` (1-based): initial × 2^(n-1),
 * capped, then drawn from its upper half so that many deliveries that failed
 * together do not come back together.
 */
export function backoffMs(
  attempt: number,
  initialMs: number,
  maxMs: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(maxMs, initialMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential / 2 + random() * (exponential / 2));
}

/** `Retry-After` as a wait in ms: delay-seconds or an HTTP date; undefined when absent or bad. */
export function retryAfterMs(value: string | undefined, now: Date): number | undefined {
  if (!value) return undefined;
  const trimmed = value.trim();
  if (/^\d+$/.test(trimmed)) return Number(trimmed) * 1000;
  const at = Date.parse(trimmed);
  if (Number.isNaN(at)) return undefined;
  return Math.max(0, at - now.getTime());
}

/** The wait before the next attempt: the backoff, or longer if the service asked, capped. */
export function nextWaitMs(
  attempt: number,
  retryAfter: number | undefined,
  initialMs: number,
  maxMs: number,
): number {
  const wait = backoffMs(attempt, initialMs, maxMs);
  return Math.min(maxMs, Math.max(wait, retryAfter ?? 0));
}
