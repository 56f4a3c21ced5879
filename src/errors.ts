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

/**
 * The message of a `v.strictObject`, which reports three faults with it: a
 * key the route does not know (refused, not ignored, with `advice`), a
 * required key that is missing, and a value that is not an object at all.
 */
export function strictMessage(
  advice = "remove it (see the API reference)",
  what = "field of this request",
): (issue: v.BaseIssue<unknown>) => string {
  return (issue) => {
    if (issue.expected === "never") return `is not a ${what}: ${advice}`;
    if (issue.path?.length && issue.received === "undefined") return "is required";
    return `must be an object of this request's fields, not ${issue.received} (see the API reference)`;
  };
}

/** For a request body's `v.strictObject`. */
export const FIELDS_MESSAGE = strictMessage();

/** For a query's `v.strictObject`. */
export const QUERY_FIELDS_MESSAGE = strictMessage("remove it", "query parameter of this route");

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
