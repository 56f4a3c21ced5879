/**
 * Reading the certificates an administrator posts: JSON `{ pem }` or
 * `{ der }` (base64), a form with one of the fields {@link FORM_FIELDS}, or
 * the file itself as the body (PEM or DER).
 *
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import { type FieldError, badRequest, parseInput, strictMessage } from "../../src/errors.ts";
import { isForm, readBody, readForm } from "../../src/http/body.ts";
import type { AppEnv } from "../../src/http/env.ts";

/** The JSON form of the body: one of `pem` and `der`. */
export const JsonInput = v.pipe(
  v.strictObject(
    {
      pem: v.optional(v.pipe(v.string("must be PEM text"), v.minLength(1, "must not be empty"))),
      der: v.optional(v.pipe(v.string("must be base64 text"), v.minLength(1, "must not be empty"))),
    },
    strictMessage("send pem or der"),
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
  if (isForm(c)) return readFormCertificates(c);
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

/**
 * The form fields that may carry the certificates: `file` and `certificate`
 * as `curl -F file=@root.der` names them, `pem` and `der` as in JSON.
 */
export const FORM_FIELDS = ["file", "certificate", "pem", "der"] as const;

/**
 * One certificate field of a urlencoded or multipart form. A file part is
 * read as bytes, whatever it holds, so binary DER is never decoded as text;
 * a text field is PEM, or base64 of DER.
 */
async function readFormCertificates(c: Context<AppEnv>): Promise<PostedCertificates> {
  const form = await readForm(c);
  const errors: FieldError[] = Object.keys(form)
    .filter((name) => !(FORM_FIELDS as readonly string[]).includes(name))
    .map((name) => ({
      path: `/${name}`,
      message: `is not a field of this form: send one of ${FORM_FIELDS.join(", ")}`,
    }));
  const given = FORM_FIELDS.filter((name) => form[name] !== undefined);
  if (given.length !== 1) {
    const fields = FORM_FIELDS.join(", ");
    const message = `send exactly one of ${fields}: the certificate file (PEM or DER)`;
    errors.push({ path: "/", message });
  }
  const name = given[0];
  const value = form[name];
  if (Array.isArray(value)) {
    errors.push({
      path: `/${name}`,
      message: "send one file: put several certificates in one PEM file",
    });
  }
  if (errors.length > 0) {
    throw badRequest(
      "invalid_request",
      "The form does not hold one certificate field: send the file as " +
        `-F file=@ca.pem (or ${FORM_FIELDS.slice(1).join(", ")}).`,
      errors,
    );
  }
  const path = `/${name}`;
  if (value instanceof Blob) {
    const bytes = new Uint8Array(await value.arrayBuffer());
    if (bytes.byteLength === 0) {
      throw badRequest(
        "certificate_missing",
        `The file in ${name} is empty: send the certificate file (PEM or DER).`,
        [{ path, message: "is empty" }],
      );
    }
    return { input: bytes, path };
  }
  return { input: String(value), path };
}
