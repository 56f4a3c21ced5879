/**
 * The body of `PUT /api/v1/tls/{interface}/certificate`, as JSON or as a
 * multipart form with files, checked by the pki toolkit. A refusal is one
 * 422 problem whose code is the first issue's, listing every issue.
 *
 * @module
 */
import type { Context } from "hono";
import * as v from "valibot";
import {
  type FieldError,
  Problem,
  FIELDS_MESSAGE,
  badRequest,
  parseInput,
} from "../../src/errors.ts";
import { isForm, readBody } from "../../src/http/body.ts";
import type { AppEnv } from "../../src/http/env.ts";
import { prepareUpload } from "../../src/pki/prepare.ts";
import type { PreparedCertificate, UploadInput } from "../../src/pki/prepare.ts";
import type { PkiIssue } from "../../src/pki/result.ts";

const MATERIAL = "must be PEM text, base64 of DER, or (in a multipart form) a file";
const file = v.union([v.string(), v.instance(Uint8Array)], MATERIAL);
const material = v.optional(file);
const CHAIN_FILES = "must be PEM text, base64 of DER, a file, or a list of them";
const chainFiles = v.optional(v.union([file, v.array(file, CHAIN_FILES)], CHAIN_FILES));

const FLAG = "allow_incomplete_chain must be true or false";
const TRUE_WORDS = ["true", "True", "1"];

/** The fields of an upload, as JSON text or as multipart files. */
export const UploadFields = v.strictObject(
  {
    certificate: material,
    private_key: material,
    chain: chainFiles,
    pkcs12: material,
    passphrase: v.optional(v.string("passphrase must be text")),
    allow_incomplete_chain: v.optional(
      v.union(
        [
          v.boolean(),
          v.pipe(
            v.picklist([...TRUE_WORDS, "false", "False", "0"], FLAG),
            v.transform((word) => TRUE_WORDS.includes(word)),
          ),
        ],
        FLAG,
      ),
    ),
  },
  FIELDS_MESSAGE,
);

/** What the operator sent, ready for {@link prepareUpload}. */
export type UploadRequest = Omit<UploadInput, "hostname" | "now">;

/** Titles of the problems an upload can be refused with, by code. */
const TITLES: Record<string, string> = {
  key_mismatch: "Private key does not match the certificate",
  chain_incomplete: "Certificate chain is incomplete",
  chain_signature_invalid: "Certificate chain does not verify",
  chain_invalid: "Certificate chain cannot be verified",
  certificate_expired: "Certificate has expired",
  san_missing: "Certificate has no subjectAltName",
  weak_signature: "Certificate has a weak signature",
  weak_key: "Key is too weak",
  key_unsupported: "Key type is not supported",
  leaf_is_ca: "Certificate is a CA certificate",
  eku_missing_server_auth: "Certificate is not for server authentication",
  key_usage_unsuitable: "Certificate's key usage does not allow a TLS server",
  key_encrypted: "Private key is encrypted",
  passphrase_required: "Passphrase is required",
  passphrase_wrong: "Passphrase is wrong",
  certificate_missing: "Certificate is missing",
  key_missing: "Private key is missing",
  multiple_private_keys: "More than one private key",
  input_conflict: "Conflicting fields",
  tls_load_failed: "Certificate cannot be served",
};

/**
 * Reads the request body (JSON or multipart) and validates its fields. A
 * form may send several chain parts; any other field sent twice is refused,
 * as there is no telling which one the operator meant.
 */
export async function readUpload(c: Context<AppEnv>): Promise<UploadRequest> {
  const body = await readBody(c, ["json", "form"]);
  const form = isForm(c);
  const fields: Record<string, unknown> = {};
  const repeated: FieldError[] = [];
  for (const [name, value] of Object.entries(body)) {
    // A Threat Grid-style client may send its key as a form field.
    if (name === "api_key") continue;
    if (form && name !== "chain" && Array.isArray(value)) {
      const message = `was sent ${value.length} times: send it once`;
      repeated.push({ path: `/${name}`, message });
      continue;
    }
    fields[name] = name === "chain" ? await chainInput(value) : await asInput(value);
  }
  if (repeated.length > 0) {
    const names = repeated.map((error) => error.path).join(", ");
    throw badRequest(
      "invalid_request",
      `The form has more than one ${names} part, so it is not clear which to install: send ` +
        "each field once (several certificates go in one file, the intermediates in chain). " +
        "Nothing was changed.",
      repeated,
    );
  }
  const input = parseInput(UploadFields, fields);
  return {
    certificate: input.certificate,
    private_key: input.private_key,
    chain: input.chain,
    pkcs12: input.pkcs12,
    passphrase: input.passphrase,
    allowIncompleteChain: input.allow_incomplete_chain,
  };
}

/** A multipart file becomes its bytes; the pki toolkit tells PEM from DER itself. */
async function asInput(value: unknown): Promise<unknown> {
  return value instanceof Blob ? new Uint8Array(await value.arrayBuffer()) : value;
}

/** Several chain files in one form stay separate, so PEM and DER files can mix. */
async function chainInput(value: unknown): Promise<unknown> {
  return Array.isArray(value) ? Promise.all(value.map(asInput)) : asInput(value);
}

/** Runs the pki pipeline; throws the 422 problem when the upload is refused. */
export function prepare(request: UploadRequest, hostname: string, now: Date): PreparedCertificate {
  const result = prepareUpload({ ...request, hostname, now });
  if (result.ok) return result.value;
  throw refusal(result.issues);
}

/** One problem for every issue: the first one's code, each listed with its field. */
export function refusal(issues: PkiIssue[]): Problem {
  const [first] = issues;
  const more = issues.length - 1;
  const detail =
    more > 0 ? `${first.message} (${more} more problem(s) are listed in errors.)` : first.message;
  return new Problem(422, first.code, TITLES[first.code] ?? "Certificate refused", detail, {
    errors: issues.map((issue) => ({ path: issue.path ?? "/", message: issue.message })),
  });
}
