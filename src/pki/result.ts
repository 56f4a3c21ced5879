/**
 * The result shape every pki function returns: failures are data.
 *
 * @module
 */

/** One problem with the input, addressed to the operator. */
export interface PkiIssue {
  /** Stable snake_case code, e.g. `key_mismatch`. */
  code: string;
  /** A sentence that names the field, the value's problem and what to do. */
  message: string;
  /** JSON pointer of the input field, e.g. `/private_key`. */
  path?: string;
}

/** Something the operator should know that does not stop the operation. */
export interface PkiWarning {
  code: string;
  message: string;
}

/** Either the value, or the issues that prevented it. */
export type PkiResult<T> = { ok: true; value: T } | PkiFailure;

/** The failed branch of {@link PkiResult}. */
export type PkiFailure = { ok: false; issues: PkiIssue[] };

/** Wraps a value as a successful result. */
export function ok<T>(value: T): { ok: true; value: T } {
  return { ok: true, value };
}

/** Builds a failed result holding one issue. */
export function fail(code: string, message: string, path?: string): PkiFailure {
  return { ok: false, issues: [path === undefined ? { code, message } : { code, message, path }] };
}
