/** The clock, injected so that tests can move time. */
export interface Clock {
  now(): Date;
}

export const systemClock: Clock = { now: () => new Date() };

/** ISO 8601 in UTC with milliseconds, as every timestamp column stores it. */
export function iso(date: Date): string {
  return date.toISOString();
}
