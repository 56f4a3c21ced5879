/**
 * The metrics extension point: a plugin that knows a figure (the delivery
 * backlog, a certificate's expiry) contributes it as plain data at scrape
 * time, and the kernel serves it on `/metrics` in the Prometheus text
 * format. Plugins need no metrics library of their own.
 *
 * @module
 */
import { defineExtensionPoint } from "./extensions.ts";

/** One value of a metric, with its labels. */
export interface MetricSample {
  labels?: Record<string, string>;
  value: number;
}

/** One metric: its name (`portico_` and snake_case), help text and values. */
export interface MetricFamily {
  name: string;
  help: string;
  samples: MetricSample[];
}

/** A contributor of gauges, read on every scrape of `/metrics`. */
export interface MetricsSource {
  collect(): Promise<MetricFamily[]>;
}

export const metricsPoint = defineExtensionPoint<MetricsSource>("kernel", "metrics");
