/**
 * Submission rate limits over rolling windows, for the whole appliance,
 * each organization and each user. Counted from the samples themselves,
 * inside the submitting transaction, so concurrent submissions cannot pass
 * a limit together.
 *
 * @module
 */
import { and, asc, count, eq, gt } from "drizzle-orm";
import type { SQL } from "drizzle-orm";
import * as v from "valibot";
import type { Executor } from "../../db/client.ts";
import { samples } from "../../db/schema.ts";
import { Problem } from "../errors.ts";
import type { Settings } from "../services/settings.ts";

export interface RateRule {
  samples: number;
  minutes: number;
}

export type Scope = "appliance" | "organization" | "user";

const RuleList = v.pipe(
  v.array(
    v.object({
      samples: v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(10_000_000)),
      minutes: v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(525_600)),
    }),
  ),
  v.maxLength(8),
);

export function defineRateLimitSettings(settings: Settings): void {
  const what: Record<Scope, string> = {
    appliance: "the whole appliance",
    organization: "each organization",
    user: "each user",
  };
  for (const scope of ["appliance", "organization", "user"] as const) {
    settings.define(
      `rate_limits.${scope}`,
      RuleList,
      [],
      `Submission limits for ${what[scope]}: a list of {samples, minutes} rolling windows ` +
        "(the Threat Grid default window is 1440 minutes); empty means no limit.",
    );
  }
}

export interface Allowance {
  rules: RateRule[];
  /** Submissions left under the tightest rule, or null without rules. */
  available: number | null;
  /** Seconds until one more submission is allowed; 0 when one is now. */
  waitSeconds: number;
}

function scopeCondition(scope: Scope, who: { userId: number; organizationId: number }) {
  if (scope === "user") return eq(samples.userId, who.userId);
  if (scope === "organization") return eq(samples.organizationId, who.organizationId);
  return undefined;
}

async function allowanceOf(
  db: Executor,
  rules: RateRule[],
  condition: SQL | undefined,
  now: Date,
): Promise<Allowance> {
  let available: number | null = null;
  let waitSeconds = 0;
  for (const rule of rules) {
    const since = new Date(now.getTime() - rule.minutes * 60_000).toISOString();
    const inWindow = and(condition, gt(samples.submittedAt, since));
    const [{ n }] = await db.select({ n: count() }).from(samples).where(inWindow);
    const left = Math.max(0, rule.samples - n);
    available = available === null ? left : Math.min(available, left);
    if (left > 0) continue;
    // The window frees a place when its oldest submissions leave it.
    const excess = n - rule.samples;
    const freeing = await db
      .select({ at: samples.submittedAt })
      .from(samples)
      .where(inWindow)
      .orderBy(asc(samples.submittedAt))
      .limit(1)
      .offset(excess)
      .get();
    const freeAt = freeing ? Date.parse(freeing.at) + rule.minutes * 60_000 : now.getTime();
    waitSeconds = Math.max(waitSeconds, Math.ceil((freeAt - now.getTime()) / 1000));
  }
  return { rules, available, waitSeconds };
}

export async function allowance(
  db: Executor,
  settings: Settings,
  scope: Scope,
  who: { userId: number; organizationId: number },
  now: Date,
): Promise<Allowance> {
  const rules = await settings.get<RateRule[]>(db, `rate_limits.${scope}`);
  return allowanceOf(db, rules, scopeCondition(scope, who), now);
}

/** Throws the 429 problem when any limit leaves no submission. */
export async function enforceRateLimits(
  db: Executor,
  settings: Settings,
  who: { userId: number; organizationId: number },
  now: Date,
): Promise<void> {
  for (const scope of ["user", "organization", "appliance"] as const) {
    const left = await allowance(db, settings, scope, who, now);
    if (left.available !== 0) continue;
    const rule = left.rules.map((r) => `${r.samples} samples per ${r.minutes} minutes`).join(", ");
    const wait = Math.max(1, left.waitSeconds);
    throw new Problem(
      429,
      "rate_limited",
      "Rate limited",
      `The ${scope} submission limit (${rule}) is reached: try again in ${wait} seconds.`,
      { headers: { "Retry-After": String(wait) } },
    );
  }
}

/** The Threat Grid view of one scope's limits. */
export function compatibleAllowance(left: Allowance) {
  return {
    "submission-rate-limit": left.rules,
    "submissions-available": left.available,
    "submission-wait-seconds": left.waitSeconds,
  };
}
