/**
 * One error type for every refusal the appliance makes: a problem in the
 * sense of RFC 9457, with a stable snake_case `code` that scripts rely on.
 *
 * @module
 */
import * as v from "valibot";

/** One invalid field: a JSON pointer into the input and what is wrong. */
export interface FieldError {
  path: string;
  message: string;
}

export interface ProblemOptions {
  errors?: FieldError[];
  headers?: Record<string, string>;
  cause?: unknown;
}

export class Problem extends Error {
  readonly errors: FieldError[];
  readonly headers: Record<string, string>;

  constructor(
    readonly status: number,
    readonly code: string,
    readonly title: string,
    readonly detail: string,
    options: ProblemOptions = {},
  ) {
    super(detail, { cause: options.cause });
    this.name = "Problem";
    this.errors = options.errors ?? [];
    this.headers = options.headers ?? {};
  }
}

/** Brand check that survives a plugin carrying its own copy of this module. */
export function isProblem(value: unknown): value is Problem {
  return (
    value instanceof Error &&
    typeof (value as Problem).status === "number" &&
    typeof (value as Problem).code === "string" &&
    Array.isArray((value as Problem).errors)
  );
}

export const badRequest = (code: string, detail: string, errors?: FieldError[]) =>
  new Problem(400, code, "Bad request", detail, { errors });

export const unauthorized = (detail: string) =>
  new Problem(401, "unauthorized", "Unauthorized", detail, {
    headers: { "WWW-Authenticate": 'Bearer realm="portico"' },
  });

export const forbidden = (code: string, detail: string) =>
  new Problem(403, code, "Forbidden", detail);

export const notFound = (code: string, detail: string) =>
  new Problem(404, code, "Not found", detail);

export const conflict = (code: string, title: string, detail: string) =>
  new Problem(409, code, title, detail);

export const unprocessable = (code: string, title: string, detail: string, errors?: FieldError[]) =>
  new Problem(422, code, title, detail, { errors });

export const INACTIVE_MESSAGE = "user is inactive: an administrator must activate it";

/** For `v.strictObject`: a field the route does not know is refused, not ignored. */
export const UNKNOWN_FIELD = "is not a field of this request: remove it (see the API reference)";

/** A JSON pointer (RFC 6901) for a valibot issue's path. */
export function issuePointer(issue: v.BaseIssue<unknown>): string {
  const keys = (issue.path ?? []).map((item) => String(item.key));
  return "/" + keys.map((k) => k.replace(/~/g, "~0").replace(/\//g, "~1")).join("/");
}

/**
 * Validates input from outside against a valibot schema; on failure throws
 * one 400 problem listing every invalid field.
 */
export function parseInput<S extends v.GenericSchema>(
  schema: S,
  input: unknown,
  what = "request body",
): v.InferOutput<S> {
  const result = v.safeParse(schema, input);
  if (result.success) return result.output;
  const errors = result.issues.map((issue) => ({
    path: issuePointer(issue),
    message: issue.message,
  }));
  const fields = [...new Set(errors.map((e) => e.path))].join(", ");
  throw new Problem(
    400,
    "invalid_request",
    "Invalid request",
    `The ${what} is not valid (${fields}): correct the fields listed in errors and send it again.`,
    { errors },
  );
}
