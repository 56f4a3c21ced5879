/**
 * How values read on the console's pages.
 *
 * @module
 */

/** An ISO time as `2026-12-03 12:00 UTC`; empty for none. */
export function when(iso: string | null | undefined): string {
  if (!iso) return "";
  return iso.replace("T", " ").replace(/:\d\d(\.\d+)?Z$/, " UTC");
}

/** Whether a path is a console page to return to after sign-in. */
export function safeNext(next: string | undefined): string {
  if (next && /^\/portal\/[^/\\]/.test(next) && !next.startsWith("/portal/session")) return next;
  return "/portal";
}

/** `1 user`, `2 users`: a count with its noun in the right number. */
export function count(n: number, singular: string, plural = `${singular}s`): string {
  return `${n} ${n === 1 ? singular : plural}`;
}

/** A message from the API with its ISO times written as {@link when} writes them. */
export function readable(message: string): string {
  return message.replace(/\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(?:\.\d+)?Z/g, (iso) => when(iso));
}
