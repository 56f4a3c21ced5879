/**
 * Reading the certificates an administrator posts: JSON `{ pem }` or
 * `{ der }` (base64), or the file itself as the body (PEM or DER).
 *
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import { badRequest, parseInput } from "../../src/errors.ts";
import { readBody } from "../../src/http/body.ts";
import type { AppEnv } from "../../src/http/env.ts";

/** The JSON form of the body: one of `pem` and `der`. */
export const JsonInput = v.pipe(
  v.strictObject(
    {
      pem: v.optional(v.pipe(v.string("must be PEM text"), v.minLength(1, "must not be empty"))),
      der: v.optional(v.pipe(v.string("must be base64 text"), v.minLength(1, "must not be empty"))),
    },
    "is not a field of this request: send pem or der",
  ),
  v.check(
    (input) => (input.pem === undefined) !== (input.der === undefined),
    "send exactly one of pem (PEM text) and der (base64 of DER)",
  ),
);

/** What to parse, and the JSON pointer to name in errors. */
export interface PostedCertificates {
  input: string | Uint8Array;
  path: string;
}

/** Reads the body of `POST /api/v1/ca-certificates`. */
export async function readPostedCertificates(c: Context<AppEnv>): Promise<PostedCertificates> {
  const type = (c.req.header("content-type") ?? "").split(";")[0].trim().toLowerCase();
  if (type === "application/json" || type.endsWith("+json")) {
    const body = parseInput(JsonInput, await readBody(c, ["json"]));
    return body.pem !== undefined
      ? { input: body.pem, path: "/pem" }
      : { input: body.der as string, path: "/der" };
  }
  const bytes = new Uint8Array(await c.req.arrayBuffer());
  if (bytes.byteLength === 0) {
    throw badRequest(
      "certificate_missing",
      "The body is empty: send the certificate file (PEM or DER) as the body, " +
        'or JSON { "pem": "..." } or { "der": "<base64>" }.',
    );
  }
  return { input: bytes, path: "/" };
}
