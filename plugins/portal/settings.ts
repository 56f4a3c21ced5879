/**
 * The console's settings: how long a session lives and when failed
 * sign-ins lock a login or a source out.
 *
 * @module
 */
import * as v from "valibot";
import type { Executor } from "../../db/client.ts";
import type { Settings } from "../../src/services/settings.ts";

const whole = (min: number, max: number) =>
  v.pipe(
    v.number("must be a number"),
    v.integer("must be a whole number"),
    v.minValue(min, `must be at least ${min}`),
    v.maxValue(max, `must be at most ${max}`),
  );

const KEYS = {
  idleMinutes: "portal.session_idle_minutes",
  maxHours: "portal.session_max_hours",
  perLogin: "portal.lockout_failures_per_login",
  perSource: "portal.lockout_failures_per_source",
  lockoutMinutes: "portal.lockout_minutes",
} as const;

/** Declares the console's settings with their defaults. */
export function definePortalSettings(settings: Settings): void {
  settings.define(
    KEYS.idleMinutes,
    whole(1, 1440),
    30,
    "Minutes without a request after which a console session ends.",
  );
  settings.define(
    KEYS.maxHours,
    whole(1, 168),
    12,
    "Hours after sign-in at which a console session ends, however active.",
  );
  settings.define(
    KEYS.perLogin,
    whole(1, 1000),
    5,
    "Failed console sign-ins for one login, within the lockout period, that lock it out.",
  );
  settings.define(
    KEYS.perSource,
    whole(1, 10000),
    20,
    "Failed console sign-ins from one source address, within the lockout period, that lock it out.",
  );
  settings.define(
    KEYS.lockoutMinutes,
    whole(1, 1440),
    15,
    "Minutes over which failed console sign-ins are counted, and a lockout lasts.",
  );
}

/** The console's settings, read together. */
export interface PortalSettings {
  idleMinutes: number;
  maxHours: number;
  perLogin: number;
  perSource: number;
  lockoutMinutes: number;
}

/** The console's settings as they are now. */
export async function portalSettings(settings: Settings, db: Executor): Promise<PortalSettings> {
  const read = (key: string) => settings.get<number>(db, key);
  return {
    idleMinutes: await read(KEYS.idleMinutes),
    maxHours: await read(KEYS.maxHours),
    perLogin: await read(KEYS.perLogin),
    perSource: await read(KEYS.perSource),
    lockoutMinutes: await read(KEYS.lockoutMinutes),
  };
}
