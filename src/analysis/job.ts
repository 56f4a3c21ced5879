/**
 * The analysis job: takes samples in state `wait`, runs every analyzer on
 * them with a time limit, and stores the outcome (`succ` with a
 * disposition, or `fail`). A sample is claimed with a conditional UPDATE
 * (`wait` → `run`) and a lease, so two processes never analyse one sample
 * at once, and a sample whose process died is taken up again.
 *
 * @module
 */
import { and, eq, inArray, lt, sql } from "drizzle-orm";
import type { Database } from "../../db/client.ts";
import { sampleContents, samples } from "../../db/schema.ts";
import type { Logger } from "../log.ts";
import type { Sample } from "../samples/store.ts";
import { withTimeout } from "../services/events.ts";
import { setDisposition } from "./disposition.ts";
import type { DispositionDeps } from "./disposition.ts";
import type { AnalysisResult, Analyzer } from "./point.ts";
import { analysisLeases } from "./schema.ts";

/** What the job needs. */
export interface AnalysisJobDeps extends DispositionDeps {
  db: Database;
  log: Logger;
  analyzers: () => Analyzer[];
  /** How long one analyzer may take on one sample. */
  timeoutMs: () => Promise<number>;
}

const BATCH = 10;
/** A lease outlives the analyzers' time limit by this much. */
const LEASE_MARGIN_MS = 30_000;
const SEVERITY = { malicious: 3, clean: 2, unknown: 1 } as const;

/** Creates the job; each call analyses the samples waiting now. Returns how many it took. */
export function createAnalysisJob(deps: AnalysisJobDeps): () => Promise<number> {
  const holder = crypto.randomUUID();

  return async () => {
    const timeoutMs = await deps.timeoutMs();
    await releaseExpired(deps);
    const claimed = await claim(deps, holder, timeoutMs + LEASE_MARGIN_MS);
    for (const sample of claimed) await analyse(deps, holder, sample, timeoutMs);
    return claimed.length;
  };
}

/** Puts samples back in `wait` whose analysing process stopped holding them. */
async function releaseExpired(deps: AnalysisJobDeps) {
  const now = deps.clock.now().toISOString();
  const anyExpired = await deps.db.orm
    .select({ id: analysisLeases.sampleId })
    .from(analysisLeases)
    .where(lt(analysisLeases.leaseUntil, now))
    .limit(1)
    .get();
  if (!anyExpired) return;
  await deps.db.write(async (tx) => {
    const expired = await tx
      .delete(analysisLeases)
      .where(lt(analysisLeases.leaseUntil, now))
      .returning({ id: analysisLeases.sampleId });
    if (expired.length === 0) return;
    const ids = expired.map((e) => e.id);
    await tx
      .update(samples)
      .set({ state: "wait" })
      .where(and(inArray(samples.id, ids), eq(samples.state, "run")));
  });
}

async function claim(deps: AnalysisJobDeps, holder: string, leaseMs: number): Promise<Sample[]> {
  const waiting = await deps.db.orm
    .select({ id: samples.id })
    .from(samples)
    .where(eq(samples.state, "wait"))
    .orderBy(samples.submittedAt, samples.id)
    .limit(BATCH)
    .all();
  if (waiting.length === 0) return [];

  const leaseUntil = new Date(deps.clock.now().getTime() + leaseMs).toISOString();
  return deps.db.write(async (tx) => {
    const taken = await tx
      .update(samples)
      .set({ state: "run" })
      .where(
        and(
          inArray(
            samples.id,
            waiting.map((w) => w.id),
          ),
          eq(samples.state, "wait"),
        ),
      )
      .returning();
    if (taken.length > 0) {
      await tx
        .insert(analysisLeases)
        .values(taken.map((s) => ({ sampleId: s.id, holder, leaseUntil })))
        .onConflictDoUpdate({
          target: analysisLeases.sampleId,
          set: { holder, leaseUntil: sql`excluded.lease_until` },
        });
    }
    return taken;
  });
}

async function analyse(deps: AnalysisJobDeps, holder: string, sample: Sample, timeoutMs: number) {
  let content: Promise<Uint8Array> | undefined;
  const readContent = () =>
    (content ??= deps.db.orm
      .select({ content: sampleContents.content })
      .from(sampleContents)
      .where(eq(sampleContents.sampleId, sample.id))
      .get()
      .then((row) => new Uint8Array(row?.content ?? new Uint8Array())));

  const results: { analyzer: string; result: AnalysisResult }[] = [];
  const failures: string[] = [];
  for (const analyzer of deps.analyzers()) {
    try {
      const result = await withTimeout(analyzer.analyze(sample, readContent), timeoutMs);
      if (result) results.push({ analyzer: analyzer.name, result });
    } catch (error) {
      failures.push(`${analyzer.name}: ${(error as Error).message}`);
    }
  }

  await deps.db.write(async (tx) => {
    const [lease] = await tx
      .delete(analysisLeases)
      .where(and(eq(analysisLeases.sampleId, sample.id), eq(analysisLeases.holder, holder)))
      .returning();
    // Without its lease the job lost the sample (to an administrator's verdict, or to
    // another process after the lease ran out): its result must not overwrite theirs.
    if (!lease) return;
    const still = await tx.select().from(samples).where(eq(samples.id, sample.id)).get();
    if (still?.state !== "run") return;

    if (results.length === 0 && failures.length > 0) {
      await tx.update(samples).set({ state: "fail" }).where(eq(samples.id, sample.id));
      deps.log.warn({ sample: sample.id, failures }, "analysis failed");
      return;
    }
    const verdict = strongest(results);
    await setDisposition(deps, tx, sample.id, {
      ...verdict.result,
      actor: `analyzer:${verdict.analyzer}`,
    });
  });
}

/** Malicious beats clean beats unknown; within one, the higher threat score. */
function strongest(results: { analyzer: string; result: AnalysisResult }[]) {
  const sorted = [...results].sort(
    (a, b) =>
      SEVERITY[b.result.disposition] - SEVERITY[a.result.disposition] ||
      b.result.threat_score - a.result.threat_score,
  );
  return (
    sorted[0] ?? {
      analyzer: "none",
      result: {
        disposition: "unknown" as const,
        threat_score: 0,
        reason: "no analyzer recognised the sample",
      },
    }
  );
}
