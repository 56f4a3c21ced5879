/**
 * Hostile inputs for fuzzing: path segments, bodies with their content
 * types, and the checks every refusal must pass (a problem, or the Threat
 * Grid envelope, and no 5xx).
 *
 * @module
 */
import fc from "fast-check";

/** The seed and run count of a fuzz pass, from FUZZ_SEED and FUZZ_RUNS when set. */
export function fuzzParameters(defaultRuns: number): { seed: number; numRuns: number } {
  const seed = process.env.FUZZ_SEED ? Number(process.env.FUZZ_SEED) : Date.now() % 2 ** 31;
  const numRuns = process.env.FUZZ_RUNS ? Number(process.env.FUZZ_RUNS) : defaultRuns;
  return { seed, numRuns };
}

const encoder = new TextEncoder();

/** Path segment values: traversal, encoded slashes, NULs, very long, and plain junk. */
export const segment = fc.oneof(
  fc.constantFrom(
    "..",
    "%2e%2e",
    "%2F",
    "..%2F..%2Fetc%2Fpasswd",
    "%00",
    "%ff%fe",
    "%",
    "%zz",
    "a%2Fb",
    "0",
    "-1",
    "99999999999999999999",
    "1e309",
    "NaN",
    "%E2%80%AE",
    "%EF%BB%BF",
    "x".repeat(5000),
    "0".repeat(32),
    "a".repeat(64),
    "clean",
    "admin",
  ),
  fc.string({ maxLength: 40 }).map(encodeURIComponent),
  fc.stringMatching(/^[0-9a-f]{1,70}$/),
);

/**
 * Query parameter values: numbers at and past every integer boundary (a
 * JavaScript number, SQLite's int64), hashes that pass a format check, and
 * the path junk above.
 */
export const queryValue = fc.oneof(
  // Values that pass the usual checks, so that the other parameters are reached too.
  {
    weight: 3,
    arbitrary: fc.constantFrom("a".repeat(64), "d41d8cd98f00b204e9800998ecf8427e", "1", "10"),
  },
  {
    weight: 3,
    arbitrary: fc.constantFrom(
      "0",
      "-1",
      "9007199254740993",
      "9223372036854775807",
      "9223372036854775808",
      "18446744073709551616",
      "1e30",
      "1.5",
      "0x10",
      " 7",
      "",
      "true",
      "True",
      "u.1",
      "u.999999999999999",
    ),
  },
  { weight: 1, arbitrary: fc.bigInt({ min: -(2n ** 70n), max: 2n ** 70n }).map(String) },
  { weight: 1, arbitrary: segment },
);

/** A body as bytes with the Content-Type it claims (or none). */
export interface FuzzBody {
  contentType?: string;
  bytes?: Uint8Array;
}

const jsonTypes = fc.constantFrom(
  "application/json",
  "application/json; charset=utf-16",
  "application/problem+json",
  "APPLICATION/JSON",
  "text/plain",
  "application/octet-stream",
  "application/x-www-form-urlencoded",
  "multipart/form-data",
  "multipart/form-data; boundary=",
  "multipart/form-data; boundary=xyz",
  "application/xml",
  ";;;",
  "",
);

const utf8 = (text: string) => encoder.encode(text);
const join = (...parts: Uint8Array[]) => {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const part of parts) {
    out.set(part, at);
    at += part.length;
  }
  return out;
};

/** A multipart body, sometimes truncated mid-part. */
const multipart = fc
  .record({
    boundary: fc.stringMatching(/^[A-Za-z0-9'()+_,-]{1,70}$/),
    name: fc.constantFrom("sample", "api_key", "filename", "certificate", "pem", "x"),
    content: fc.uint8Array({ maxLength: 300 }),
    cut: fc.option(fc.nat(), { nil: undefined }),
  })
  .map(({ boundary, name, content, cut }) => {
    const full = join(
      utf8(`--${boundary}\r\nContent-Disposition: form-data; name="${name}"; filename="f.bin"\r\n`),
      utf8("Content-Type: application/octet-stream\r\n\r\n"),
      content,
      utf8(`\r\n--${boundary}--\r\n`),
    );
    const bytes = cut === undefined ? full : full.slice(0, cut % full.length);
    return { contentType: `multipart/form-data; boundary=${boundary}`, bytes };
  });

/** Bodies of every odd kind: JSON values, BOMs, invalid UTF-8, NULs, forms, multipart. */
export const body: fc.Arbitrary<FuzzBody> = fc.oneof(
  fc.constant({}),
  fc.record({ contentType: jsonTypes, bytes: fc.jsonValue().map((v) => utf8(JSON.stringify(v))) }),
  fc.record({
    contentType: fc.constant("application/json"),
    bytes: fc
      .dictionary(
        fc.constantFrom("hostname", "disposition", "url", "client_id", "role", "pem", "enabled"),
        fc.oneof(fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.jsonValue()),
      )
      .map((v) => utf8(JSON.stringify(v))),
  }),
  fc.record({
    contentType: jsonTypes,
    bytes: fc.constantFrom(
      join(new Uint8Array([0xef, 0xbb, 0xbf]), utf8('{"hostname":"a.example"}')),
      new Uint8Array([0x7b, 0x22, 0xc3, 0x28, 0x22, 0x3a, 0xff, 0xfe, 0x7d]),
      utf8('{"a":"\u0000"}'),
      new Uint8Array([0, 0, 0, 0]),
      utf8("{".repeat(5000)),
      utf8('{"__proto__":{"admin":true},"constructor":{"prototype":{}}}'),
      utf8("client_id=%ZZ&device_type=%00&api_key=%ff"),
      utf8("a=1&a=2&a[]=3&=&&="),
    ),
  }),
  fc.record({ contentType: jsonTypes, bytes: fc.uint8Array({ maxLength: 400 }) }),
  multipart,
);

/** Keys a request may carry: the admin's, a device's, a made-up one, garbage, or none. */
export type KeyChoice = "admin" | "device" | "unknown" | "garbage" | "none";
export const keyChoice = fc.constantFrom<KeyChoice>(
  "admin",
  "device",
  "unknown",
  "garbage",
  "none",
);

/**
 * Why an answer breaks the invariant, or null: no 5xx, and every 4xx is a
 * problem (native), the envelope (`/api/v2`, `/api/v3`) or a page (portal).
 */
export function invariantViolation(path: string, status: number, type: string, text: string) {
  if (status >= 500) return `answered ${status}: ${text.slice(0, 300)}`;
  if (status < 400) return null;
  if (path.startsWith("/portal")) {
    return type.includes("text/html") || type.includes("json") ? null : `odd type ${type}`;
  }
  let json: any;
  try {
    json = JSON.parse(text);
  } catch {
    return `a ${status} whose body is not JSON: ${text.slice(0, 200)}`;
  }
  if (/^\/api\/v[23]\//.test(path)) {
    const ok =
      type.startsWith("application/json") &&
      typeof json.api_version === "number" &&
      json.error?.code === status &&
      Array.isArray(json.error.errors) &&
      json.error.errors.every((e: any) => /^[a-z0-9_]+$/.test(e.code));
    return ok ? null : `a ${status} that is not the compatible envelope: ${text.slice(0, 200)}`;
  }
  const ok =
    type.startsWith("application/problem+json") &&
    json.status === status &&
    /^[a-z0-9_]+$/.test(json.code) &&
    json.type === `/api/docs/problems#${json.code}` &&
    typeof json.title === "string" &&
    typeof json.detail === "string" &&
    Array.isArray(json.errors);
  return ok ? null : `a ${status} that is not a problem: ${text.slice(0, 200)}`;
}
