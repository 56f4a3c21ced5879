/**
 * Background jobs: each runs on its interval, never two runs of one job at
 * once, and a failing run is logged without stopping the job.
 *
 * @module
 */
import type { Logger } from "./log.ts";

export interface Job {
  name: string;
  owner: string;
  intervalMs: number;
  fn: () => Promise<void>;
}

export interface RunningJob {
  stop(): void;
  idle(): Promise<void>;
}

/** Runs each job on its interval, never two runs of one job at once. */
export function startJobs(jobs: Job[], log: Logger): RunningJob[] {
  return jobs.map((job) => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let running: Promise<void> = Promise.resolve();
    const tick = () => {
      running = job
        .fn()
        .catch((error) =>
          log.error(
            { job: job.name, plugin: job.owner, err: (error as Error).message },
            "job failed",
          ),
        )
        .finally(() => {
          if (!stopped) timer = setTimeout(tick, job.intervalMs);
        });
    };
    timer = setTimeout(tick, job.intervalMs);
    return {
      stop() {
        stopped = true;
        clearTimeout(timer);
      },
      idle: () => running,
    };
  });
}
