/**
 * The "analyzers" extension point. The kernel owns it because it owns
 * samples: plugins contribute analyzers, the analysis job runs them.
 *
 * @module
 */
import { defineExtensionPoint } from "../extensions.ts";
import type { Sample } from "../samples/store.ts";

/** The verdict on a sample. */
export type Disposition = "malicious" | "clean" | "unknown";

export const DISPOSITIONS: readonly Disposition[] = ["malicious", "clean", "unknown"];

/** What an analyzer concluded. */
export interface AnalysisResult {
  disposition: Disposition;
  /** 0 (harmless) to 100 (certainly malicious). */
  threat_score: number;
  /** A sentence for the administrator: why this verdict. */
  reason: string;
}

/** One way of judging a sample. */
export interface Analyzer {
  /** Shown in reasons and logs, e.g. `known-hashes`. */
  name: string;
  /**
   * Judges a sample; `null` means "no opinion". `readContent` loads the
   * bytes only when the analyzer needs them. A throw or a time-out counts
   * as a failed analysis by this analyzer.
   */
  analyze(sample: Sample, readContent: () => Promise<Uint8Array>): Promise<AnalysisResult | null>;
}

export const analyzersPoint = defineExtensionPoint<Analyzer>("kernel", "analyzers");
