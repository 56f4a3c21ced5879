/**
 * The one place a sample's disposition changes. The change and its
 * `disposition.changed` event are written in the caller's transaction, so
 * a rollback takes both back and nobody hears of a verdict that was never
 * saved.
 *
 * @module
 */
import { eq, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { samples } from "../../db/schema.ts";
import type { Sample } from "../samples/store.ts";
import type { Clock } from "../services/clock.ts";
import type { EventBus } from "../services/events.ts";
import type { Disposition } from "./point.ts";
import { dispositionSequences } from "./schema.ts";

/** A new verdict and who gave it. */
export interface DispositionChange {
  disposition: Disposition;
  threat_score: number;
  reason: string;
  /** A login, or `analyzer:<name>`. */
  actor: string;
}

/** The payload of `disposition.changed`. */
export interface DispositionChanged {
  id: string;
  sha256: string;
  md5: string;
  sha1: string;
  filename: string;
  disposition: Disposition;
  threat_score: number;
  analyzed_at: string;
  /** Increases by one with every change for this sha256, across samples. */
  sequence: number;
  reason: string;
  actor: string;
}

/** What {@link setDisposition} did. */
export interface DispositionOutcome {
  sample: Sample;
  /** False when the disposition stayed the same (none counts as unknown): no event then. */
  changed: boolean;
  eventId: string | null;
}

/** The services {@link setDisposition} needs from the kernel. */
export interface DispositionDeps {
  events: Pick<EventBus, "emit">;
  clock: Clock;
}

/**
 * Stores a verdict on a sample (state `succ`) and, only when the
 * disposition differs from the stored one, emits `disposition.changed`
 * with the next sequence number for the sample's sha256. A sample without
 * a verdict counts as `unknown`: that is what a receiver assumes of a hash
 * it never heard of, so a first `unknown` announces nothing.
 *
 * @returns null when there is no such sample.
 */
export async function setDisposition(
  deps: DispositionDeps,
  tx: Executor,
  sampleId: string,
  change: DispositionChange,
): Promise<DispositionOutcome | null> {
  const before = await tx.select().from(samples).where(eq(samples.id, sampleId)).get();
  if (!before) return null;

  const analyzedAt = deps.clock.now().toISOString();
  const [sample] = await tx
    .update(samples)
    .set({
      state: "succ",
      disposition: change.disposition,
      threatScore: change.threat_score,
      analyzedAt,
    })
    .where(eq(samples.id, sampleId))
    .returning();
  const previous = before.disposition ?? "unknown";
  if (previous === change.disposition) return { sample, changed: false, eventId: null };

  const [counter] = await tx
    .insert(dispositionSequences)
    .values({ sha256: sample.sha256, sequence: 1 })
    .onConflictDoUpdate({
      target: dispositionSequences.sha256,
      set: { sequence: sql`${dispositionSequences.sequence} + 1` },
    })
    .returning();
  const payload: DispositionChanged = {
    id: sample.id,
    sha256: sample.sha256,
    md5: sample.md5,
    sha1: sample.sha1,
    filename: sample.filename,
    disposition: change.disposition,
    threat_score: change.threat_score,
    analyzed_at: analyzedAt,
    sequence: counter.sequence,
    reason: change.reason,
    actor: change.actor,
  };
  const eventId = await deps.events.emit(
    tx,
    "disposition.changed",
    payload as unknown as Record<string, unknown>,
  );
  return { sample, changed: true, eventId };
}
