/**
 * A per-source request limiter for routes anyone may call (registration,
 * sign-in): a fixed budget per rolling minute for each source (an IPv4
 * address, an IPv6 /64), kept in this process's memory.
 *
 * @module
 */
import { Problem } from "../errors.ts";
import { clientPrefix } from "../outbound/ip.ts";

export class SourceLimiter {
  private readonly hits = new Map<string, number[]>();

  constructor(
    private readonly what: string,
    private readonly now: () => number = Date.now,
  ) {}

  /**
   * Counts one request from `source`; throws the 429 problem when the source
   * sent `perMinute` requests in the last minute. 0 means no limit.
   */
  take(address: string, perMinute: number): void {
    if (perMinute <= 0) return;
    const source = clientPrefix(address);
    const now = this.now();
    const recent = (this.hits.get(source) ?? []).filter((t) => t > now - 60_000);
    if (recent.length >= perMinute) {
      const wait = Math.max(1, Math.ceil((recent[0] + 60_000 - now) / 1000));
      this.hits.set(source, recent);
      throw new Problem(
        429,
        "rate_limited",
        "Rate limited",
        `Too many ${this.what} requests from ${source}: try again in ${wait} seconds.`,
        { headers: { "Retry-After": String(wait) } },
      );
    }
    recent.push(now);
    this.hits.set(source, recent);
    if (this.hits.size > 10_000) this.forgetIdle(now);
  }

  private forgetIdle(now: number): void {
    for (const [source, times] of this.hits) {
      if (times.every((t) => t <= now - 60_000)) this.hits.delete(source);
    }
  }
}
