/**
 * Reads a request body as a plain object, whether JSON, a URL-encoded form
 * or multipart, with clear refusals for anything else.
 *
 * @module
 */
import type { Context } from "hono";
import { Problem } from "../errors.ts";
import type { AppEnv } from "./env.ts";

export type BodyFields = Record<string, unknown>;

function mediaType(c: Context<AppEnv>): string {
  return (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
}

export function isForm(c: Context<AppEnv>): boolean {
  const type = mediaType(c);
  return type === "application/x-www-form-urlencoded" || type === "multipart/form-data";
}

/** Parses a form once; Hono caches it for later readers. */
export async function readForm(c: Context<AppEnv>): Promise<BodyFields> {
  try {
    return (await c.req.parseBody({ all: true })) as BodyFields;
  } catch (cause) {
    throw new Problem(
      400,
      "malformed_body",
      "Malformed body",
      "The form body could not be read: check the Content-Type boundary and the encoding.",
      { cause },
    );
  }
}

/**
 * The body as fields. `accept` lists what the route takes; an empty body
 * is an empty object.
 */
export async function readBody(
  c: Context<AppEnv>,
  accept: ("json" | "form")[] = ["json", "form"],
): Promise<BodyFields> {
  const type = mediaType(c);
  if (type === "" && (c.req.header("content-length") ?? "0") === "0") return {};
  if (accept.includes("json") && (type === "application/json" || type.endsWith("+json"))) {
    const text = await c.req.text();
    if (text.trim() === "") return {};
    let parsed: unknown;
    try {
      parsed = JSON.parse(text);
    } catch (cause) {
      throw new Problem(
        400,
        "malformed_json",
        "Malformed JSON",
        `The body is not valid JSON (${(cause as Error).message}): send one JSON object.`,
      );
    }
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) {
      throw new Problem(
        400,
        "malformed_json",
        "Malformed JSON",
        "The body must be one JSON object with the fields described in the API reference.",
      );
    }
    return parsed as BodyFields;
  }
  if (type === "application/x-www-form-urlencoded" && looksLikeJson(await c.req.text())) {
    // `curl -d '{…}'` sends JSON labelled as a form.
    throw new Problem(
      415,
      "unsupported_media_type",
      "Unsupported media type",
      "The body is JSON but is labelled as a form: send it with Content-Type: application/json.",
    );
  }
  if (accept.includes("form") && isForm(c)) return readForm(c);
  const wanted = accept
    .map((a) => (a === "json" ? "application/json" : "a form (urlencoded or multipart)"))
    .join(" or ");
  throw new Problem(
    415,
    "unsupported_media_type",
    "Unsupported media type",
    `This route takes ${wanted}, not "${type || "no Content-Type"}".`,
  );
}

/** A form field that may have been sent once or several times: the last value. */
export function single(value: unknown): unknown {
  return Array.isArray(value) ? value[value.length - 1] : value;
}

function looksLikeJson(text: string): boolean {
  const trimmed = text.trim();
  if (!trimmed.startsWith("{")) return false;
  try {
    JSON.parse(trimmed);
    return true;
  } catch {
    return false;
  }
}
