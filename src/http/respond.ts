/**
 * How answers are written: problem details (RFC 9457) on native routes, the
 * Threat Grid envelope on `/api/v2` and `/api/v3`.
 *
 * @module
 */
import type { Context } from "hono";
import type { ContentfulStatusCode } from "hono/utils/http-status";
import { Problem } from "../errors.ts";
import type { AppEnv } from "./env.ts";
import { problemPage, wantsHtml } from "./problem-page.ts";

/** The Threat Grid API version a path speaks, or null for native routes. */
export function compatibleVersion(path: string): 2 | 3 | null {
  const match = /^\/api\/v([23])(\/|$)/.exec(path);
  return match ? (Number(match[1]) as 2 | 3) : null;
}

/** A success in the compatible envelope. */
export function envelope(c: Context<AppEnv>, data: unknown, status: ContentfulStatusCode = 200) {
  const version = compatibleVersion(c.req.path) ?? 2;
  return c.json({ api_version: version, id: c.get("requestId"), data }, status);
}

export function problemBody(problem: Problem) {
  return {
    type: `/api/docs/problems#${problem.code}`,
    title: problem.title,
    status: problem.status,
    detail: problem.detail,
    code: problem.code,
    errors: problem.errors,
  };
}

/** Writes a problem in the form the path's clients expect. */
export function renderProblem(c: Context<AppEnv>, problem: Problem): Response {
  const headers = { ...problem.headers };
  if (wantsHtml(c.req.path)) return problemPage(problem, headers);
  const version = compatibleVersion(c.req.path);
  if (version !== null) {
    const errors =
      problem.errors.length > 0
        ? problem.errors.map((e) => ({ code: problem.code, message: `${e.path}: ${e.message}` }))
        : [{ code: problem.code, message: problem.detail }];
    const body = {
      api_version: version,
      id: c.get("requestId"),
      error: { code: problem.status, message: problem.detail, errors },
    };
    return new Response(JSON.stringify(body), {
      status: problem.status,
      headers: { ...headers, "Content-Type": "application/json" },
    });
  }
  return new Response(JSON.stringify(problemBody(problem)), {
    status: problem.status,
    headers: { ...headers, "Content-Type": "application/problem+json" },
  });
}

export function internalError(requestId: number): Problem {
  return new Problem(
    500,
    "internal_error",
    "Internal error",
    `The appliance could not complete the request (request id ${requestId}). ` +
      "Its log has the cause under that id.",
  );
}
