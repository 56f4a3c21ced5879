/**
 * What administrators send to set verdicts, validated.
 *
 * @module
 */
import * as v from "valibot";
import { FIELDS_MESSAGE } from "../errors.ts";
import { DISPOSITIONS } from "./point.ts";
import type { Disposition } from "./point.ts";

export const Sha256Param = v.pipe(
  v.string(),
  v.regex(/^[0-9a-fA-F]{64}$/, "must be a sha256: 64 hexadecimal characters"),
  v.toLowerCase(),
);

/** `{ disposition, threat_score?, reason? }`, as both verdict routes take it. */
export const VerdictInput = v.strictObject(
  {
    disposition: v.picklist(DISPOSITIONS, "must be one of malicious, clean, unknown"),
    threat_score: v.optional(
      v.pipe(
        v.number("must be a number"),
        v.integer("must be a whole number"),
        v.minValue(0, "must be 0 or more"),
        v.maxValue(100, "must be 100 or less"),
      ),
    ),
    reason: v.optional(
      v.pipe(
        v.string("must be text"),
        v.trim(),
        v.maxLength(500, "must be at most 500 characters"),
      ),
    ),
  },
  FIELDS_MESSAGE,
);

/** The threat score when the administrator gives none. */
export function defaultThreatScore(disposition: Disposition): number {
  return disposition === "malicious" ? 100 : 0;
}
