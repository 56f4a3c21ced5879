/**
 * Installs sample analysis in the kernel: its tables, the built-in
 * known-hash analyzer, the verdict routes and the analysis job.
 *
 * @module
 */
import * as v from "valibot";
import type { Router } from "../http/router.ts";
import type { KernelContext } from "../kernel-context.ts";
import { runMigrations } from "../migrate.ts";
import { createAnalysisJob } from "./job.ts";
import { knownHashAnalyzer } from "./known-hashes.ts";
import { analyzersPoint } from "./point.ts";
import { sampleVerdictRoutes, verdictRoutes } from "./routes.ts";
import { ANALYSIS_OWNER, analysisMigrations } from "./schema.ts";

export { analyzersPoint } from "./point.ts";
export type { AnalysisResult, Analyzer, Disposition } from "./point.ts";
export { setDisposition } from "./disposition.ts";
export type { DispositionChange, DispositionChanged } from "./disposition.ts";

/** The prefixes the analysis routes serve. */
export const ANALYSIS_PREFIXES = ["/api/v1/samples", "/api/v1/verdicts"];

/** A kernel background job. */
export interface AnalysisJob {
  name: string;
  owner: string;
  intervalMs: number;
  fn: () => Promise<void>;
}

/** How many batches one run of the job takes at most before yielding. */
const MAX_BATCHES_PER_RUN = 50;

/**
 * Migrates the analysis tables, provides the built-in analyzer, mounts the
 * routes and returns the job for the kernel to schedule.
 */
export async function installAnalysis(
  kernel: KernelContext,
  route: (prefix: string) => Router,
): Promise<AnalysisJob> {
  await runMigrations(kernel.db.client, ANALYSIS_OWNER, analysisMigrations);
  kernel.settings.define(
    "analysis.timeout_ms",
    v.pipe(v.number(), v.integer(), v.minValue(100), v.maxValue(3_600_000)),
    60_000,
    "How long one analyzer may take on one sample before the analysis counts as failed, in ms.",
  );
  kernel.extensions.provide(analyzersPoint, "kernel", knownHashAnalyzer(kernel.db.orm));
  sampleVerdictRoutes(kernel, route("/api/v1/samples"));
  verdictRoutes(kernel, route("/api/v1/verdicts"));

  const run = createAnalysisJob({
    db: kernel.db,
    log: kernel.log.child({ job: "analysis" }),
    clock: kernel.clock,
    events: kernel.events,
    analyzers: () => kernel.extensions.get(analyzersPoint).map((c) => c.impl),
    timeoutMs: () => kernel.settings.get<number>(kernel.db.orm, "analysis.timeout_ms"),
  });
  return {
    name: "analysis",
    owner: "kernel",
    intervalMs: 250,
    fn: async () => {
      for (let i = 0; i < MAX_BATCHES_PER_RUN && (await run()) > 0; i++);
    },
  };
}
