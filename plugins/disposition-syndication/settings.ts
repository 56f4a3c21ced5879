/**
 * The delivery settings an administrator tunes through `/api/v1/settings`.
 *
 * @module
 */
import * as v from "valibot";
import type { Executor } from "../../db/client.ts";
import type { SettingCheck, Settings } from "../../src/services/settings.ts";

const whole = (min: number, max: number) =>
  v.pipe(v.number(), v.integer(), v.minValue(min), v.maxValue(max));

const DEFINITIONS = {
  "deliveries.max_attempts": [whole(1, 100), 8, "Attempts per delivery before it is failed."],
  "deliveries.backoff_initial_ms": [
    whole(10, 3_600_000),
    5_000,
    "The wait before the second attempt, in ms; each later wait doubles, with jitter. " +
      "At most deliveries.backoff_max_ms.",
  ],
  "deliveries.backoff_max_ms": [
    whole(10, 86_400_000),
    3_600_000,
    "The longest wait between attempts, in ms (also caps Retry-After).",
  ],
  "deliveries.lease_ms": [
    whole(1_000, 600_000),
    60_000,
    "How long a process owns an attempt; a request is abandoned before its lease ends.",
  ],
  "deliveries.concurrency": [whole(1, 256), 16, "Requests sent at once by one process."],
} as const;

type Key = keyof typeof DEFINITIONS;

/** The delivery settings, read once per worker run. */
export interface DeliverySettings {
  maxAttempts: number;
  backoffInitialMs: number;
  backoffMaxMs: number;
  leaseMs: number;
  concurrency: number;
}

/** The first wait may not be longer than the longest. */
const BACKOFF_ORDER: Partial<Record<Key, SettingCheck>> = {
  "deliveries.backoff_initial_ms": async (value, after) => {
    const max = (await after("deliveries.backoff_max_ms")) as number;
    return (value as number) > max ? `must not be above deliveries.backoff_max_ms (${max})` : null;
  },
  "deliveries.backoff_max_ms": async (value, after) => {
    const initial = (await after("deliveries.backoff_initial_ms")) as number;
    return (value as number) < initial
      ? `must not be below deliveries.backoff_initial_ms (${initial})`
      : null;
  },
};

export function defineDeliverySettings(settings: Settings): void {
  for (const [key, [schema, fallback, description]] of Object.entries(DEFINITIONS)) {
    settings.define(key, schema, fallback, description, BACKOFF_ORDER[key as Key]);
  }
}

export async function readDeliverySettings(
  settings: Settings,
  db: Executor,
): Promise<DeliverySettings> {
  const get = (key: Key) => settings.get<number>(db, key);
  const backoffMaxMs = await get("deliveries.backoff_max_ms");
  return {
    maxAttempts: await get("deliveries.max_attempts"),
    // A PATCH cannot store an initial wait above the maximum; a value written
    // before that rule existed is capped the same way as every later wait.
    backoffInitialMs: Math.min(await get("deliveries.backoff_initial_ms"), backoffMaxMs),
    backoffMaxMs,
    leaseMs: await get("deliveries.lease_ms"),
    concurrency: await get("deliveries.concurrency"),
  };
}
