/**
 * Every problem code the appliance answers with, and what an operator does
 * about it. `type` in a problem links to its entry on `/api/docs/problems`.
 *
 * @module
 */

export interface ProblemEntry {
  status: number;
  title: string;
  remedy: string;
}

const KERNEL_PROBLEMS: Record<string, ProblemEntry> = {
  invalid_request: {
    status: 400,
    title: "Invalid request",
    remedy: "Correct the fields listed in `errors` (JSON pointers) and send the request again.",
  },
  malformed_json: {
    status: 400,
    title: "Malformed JSON",
    remedy: "Send one JSON object with Content-Type application/json.",
  },
  malformed_body: {
    status: 400,
    title: "Malformed body",
    remedy: "Check the multipart boundary and the form encoding.",
  },
  conflicting_credentials: {
    status: 400,
    title: "Conflicting credentials",
    remedy:
      "Send one API key: as a Bearer header, an api_key query parameter or an api_key form field.",
  },
  sample_missing: {
    status: 400,
    title: "Sample missing",
    remedy: "Put the file in the multipart field named sample.",
  },
  sample_empty: {
    status: 400,
    title: "Sample empty",
    remedy: "The file has no content; send the file itself.",
  },
  unauthorized: {
    status: 401,
    title: "Unauthorized",
    remedy: "Send a current API key as Authorization: Bearer <key>.",
  },
  registration_token_required: {
    status: 401,
    title: "Registration token required",
    remedy:
      "Registration needs a token: ask an administrator for one and send it as registration_token.",
  },
  registration_token_invalid: {
    status: 401,
    title: "Registration token invalid",
    remedy:
      "The token is unknown, expired, used up or revoked: ask an administrator for a new one.",
  },
  user_inactive: {
    status: 403,
    title: "User inactive",
    remedy: "An administrator must activate the user (POST /api/v1/users/{login}/activate).",
  },
  role_forbidden: {
    status: 403,
    title: "Forbidden",
    remedy: "Use a key of a user with a role allowed on this route.",
  },
  admin_interface_only: {
    status: 403,
    title: "Admin interface only",
    remedy: "Administration is served on the admin interface only: use its port.",
  },
  not_found: {
    status: 404,
    title: "Not found",
    remedy: "Check the path against the API reference at /api/docs.",
  },
  sample_not_found: {
    status: 404,
    title: "Sample not found",
    remedy: "Check the sample id; a key sees only its organization's samples.",
  },
  user_not_found: {
    status: 404,
    title: "User not found",
    remedy: "Check the login; list users with GET /api/v1/users.",
  },
  organization_not_found: {
    status: 404,
    title: "Organization not found",
    remedy: "Check the id; list organizations with GET /api/v1/organizations.",
  },
  interface_not_found: {
    status: 404,
    title: "Interface not found",
    remedy: "Use clean, or admin when PORTICO_ADMIN_PORT is set.",
  },
  certificate_not_found: {
    status: 404,
    title: "Certificate not found",
    remedy: "The interface has no certificate yet: regenerate one.",
  },
  registration_token_not_found: {
    status: 404,
    title: "Registration token not found",
    remedy: "Check the id; list tokens with GET /api/v1/registration-tokens.",
  },
  device_already_registered: {
    status: 409,
    title: "Device already registered",
    remedy:
      "An administrator must reset the device's key (POST /api/v1/users/{login}/api-key); then it registers again.",
  },
  login_in_use: { status: 409, title: "Login in use", remedy: "Choose another login." },
  organization_name_in_use: {
    status: 409,
    title: "Organization name in use",
    remedy: "Choose another name.",
  },
  organization_not_empty: {
    status: 409,
    title: "Organization not empty",
    remedy: "Move its users to another organization first.",
  },
  sample_too_large: {
    status: 413,
    title: "Sample too large",
    remedy:
      "The file is larger than the samples.max_bytes setting: raise it or send a smaller file.",
  },
  body_too_large: {
    status: 413,
    title: "Body too large",
    remedy: "Send a smaller body; the sample limit is the samples.max_bytes setting.",
  },
  unsupported_media_type: {
    status: 415,
    title: "Unsupported media type",
    remedy: "Send the Content-Type the route takes (see the API reference).",
  },
  multipart_required: {
    status: 415,
    title: "Multipart required",
    remedy: "Submit samples as multipart/form-data with the file in the sample field.",
  },
  invalid_setting: {
    status: 400,
    title: "Invalid setting",
    remedy: "Nothing was changed: correct the settings listed in errors.",
  },
  rate_limited: {
    status: 429,
    title: "Rate limited",
    remedy:
      "Wait the number of seconds in Retry-After, or ask an administrator to raise the limit.",
  },
  not_on_admin_interface: {
    status: 404,
    title: "Not on the admin interface",
    remedy: "The admin interface serves administration only: use the clean interface for devices.",
  },
  verdict_not_found: {
    status: 404,
    title: "Verdict not found",
    remedy: "No verdict for that sha256: list them with GET /api/v1/verdicts.",
  },
  url_not_https: {
    status: 422,
    title: "URL not https",
    remedy: "Give the service's https:// URL; deliveries never go in the clear.",
  },
  url_invalid: {
    status: 422,
    title: "URL invalid",
    remedy:
      "Give a full https URL without a user or password in it; send those as username and password.",
  },
  address_forbidden: {
    status: 422,
    title: "Address forbidden",
    remedy:
      "Loopback, link-local and metadata addresses are refused; for a lab, add its range to PORTICO_OUTBOUND_ALLOW.",
  },
  dns_failed: {
    status: 422,
    title: "Name not found",
    remedy:
      "The service's hostname does not resolve from the appliance: check DNS or use its address.",
  },
  internal_error: {
    status: 500,
    title: "Internal error",
    remedy: "The appliance log has the cause under the request id.",
  },
  not_ready: {
    status: 503,
    title: "Not ready",
    remedy:
      "A part of the appliance (a listener) failed its check; /readyz with an admin key shows which.",
  },
  database_unavailable: {
    status: 503,
    title: "Database unavailable",
    remedy: "The appliance recovers by itself when its database returns.",
  },
};

/**
 * One catalog per process, however many copies of this module are loaded: a
 * third-party plugin bundles its own copy of the SDK, and its entries must
 * reach the catalog the kernel serves.
 */
const SHARED = Symbol.for("portico.problem-catalog");
const holder = globalThis as { [SHARED]?: Record<string, ProblemEntry> };
export const PROBLEM_CATALOG: Record<string, ProblemEntry> = (holder[SHARED] ??= {
  ...KERNEL_PROBLEMS,
});

/** Adds plugin-specific entries; an entry that exists is kept. */
export function registerProblems(entries: Record<string, ProblemEntry>): void {
  for (const [code, entry] of Object.entries(entries)) PROBLEM_CATALOG[code] ??= entry;
}
