/**
 * The settings the kernel owns. Plugins declare their own.
 *
 * @module
 */
import * as v from "valibot";
import { defineRateLimitSettings } from "./samples/rate-limit.ts";
import type { Settings } from "./services/settings.ts";

export const MIB = 1024 * 1024;

export function defineKernelSettings(settings: Settings): void {
  settings.define(
    "appliance.hostname",
    v.string(),
    "",
    "The hostname devices use to reach the appliance; its certificates must name it.",
  );
  settings.define(
    "samples.max_bytes",
    v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(1024 * MIB)),
    100 * MIB,
    "The largest sample a submission may carry, in bytes.",
  );
  defineRateLimitSettings(settings);
}
