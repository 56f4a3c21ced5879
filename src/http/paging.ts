/**
 * The query parameters of native lists (`/api/v1`): a page size and an
 * opaque cursor, so that every list pages the same way.
 *
 * @module
 */
import * as v from "valibot";

/**
 * A whole-number query parameter from `min` to `max`, `fallback` when
 * absent. Bounded, so that no value reaches the database as a float.
 */
export function wholeNumber(name: string, min: number, max: number, fallback: number) {
  return v.optional(
    v.pipe(
      v.string(),
      v.regex(/^\d{1,16}$/, `${name} must be a whole number from ${min} to ${max}`),
      v.transform(Number),
      v.minValue(min, `${name} must be at least ${min}`),
      v.maxValue(max, `${name} must be at most ${max}`),
    ),
    String(fallback),
  );
}

/**
 * A row id from a path: a plain positive decimal, or null. `Number()` would
 * also read `0x1`, `1e0` and ` 1` as 1, giving one row many names.
 */
export function rowId(raw: string | undefined): number | null {
  return raw !== undefined && /^[1-9]\d{0,15}$/.test(raw) ? Number(raw) : null;
}

/** `limit`: a whole number from 1 to `max`, `fallback` when absent. */
export function pageLimit(max: number, fallback: number) {
  return wholeNumber("limit", 1, max, fallback);
}

/**
 * `cursor`: a `next_cursor` from an earlier page, `<letter>.<id>`; parses to
 * the id. The letter keeps one list's cursors out of another.
 */
export function idCursor(letter: string) {
  return v.optional(
    v.pipe(
      v.string(),
      v.regex(
        new RegExp(`^${letter}\\.\\d{1,15}$`),
        "cursor must be a next_cursor value from an earlier page",
      ),
      v.transform((s) => Number(s.slice(letter.length + 1))),
    ),
  );
}

/** The `next_cursor` after a page whose last row has `id`, or null at the end. */
export function nextCursor(letter: string, more: boolean, lastId: number | undefined) {
  return more && lastId !== undefined ? `${letter}.${lastId}` : null;
}
