/**
 * The Threat Grid v2-compatible sample routes, owned by the kernel.
 *
 * @module
 */
import * as v from "valibot";
import { Problem, badRequest, notFound, parseInput } from "../errors.ts";
import { allow } from "../http/access.ts";
import { principalOf } from "../http/auth.ts";
import { isForm, readForm, single } from "../http/body.ts";
import { pageLimit, wholeNumber } from "../http/paging.ts";
import { envelope } from "../http/respond.ts";
import type { RouteDoc, Router } from "../http/router.ts";
import type { KernelContext } from "../kernel-context.ts";
import { enforceRateLimits } from "./rate-limit.ts";
import { findSample, insertSample, sampleView, searchSamples } from "./store.ts";

const SUBMITTERS = ["device", "user", "org-admin", "admin"] as const;

/** Threat Grid clients send booleans as true/false, True/False or 1/0. */
export const formBoolean = v.pipe(
  v.picklist(["true", "false", "True", "False", "1", "0"], "must be true or false"),
  v.transform((s) => s === "true" || s === "True" || s === "1"),
);

const text = (max: number) => v.pipe(v.string("must be text"), v.trim(), v.maxLength(max));

const SubmissionFields = v.object({
  filename: v.optional(v.pipe(text(255), v.minLength(1, "must not be empty"))),
  private: v.optional(formBoolean, "true"),
  vm: v.optional(text(64)),
  playbook: v.optional(text(64)),
  network_exit: v.optional(text(64)),
  tags: v.optional(
    v.pipe(
      text(1024),
      v.transform((s) =>
        s
          .split(",")
          .map((t) => t.trim())
          .filter(Boolean),
      ),
    ),
    "",
  ),
});

/** Threat Grid pages by offset; past a billion rows a search has no use for it. */
const MAX_OFFSET = 1_000_000_000;

const SearchQuery = v.object({
  q: v.pipe(
    v.string("q is required"),
    v.regex(
      /^([0-9a-fA-F]{32}|[0-9a-fA-F]{40}|[0-9a-fA-F]{64})$/,
      "must be an md5, sha1 or sha256",
    ),
  ),
  offset: wholeNumber("offset", 0, MAX_OFFSET, 0),
  limit: pageLimit(100, 10),
});

const DOC = {
  submit: {
    summary: "Submit a sample for analysis (Threat Grid v2)",
    description:
      "A multipart form: the file in the field `sample`, and the optional fields below. " +
      "Counts against the user's and the organization's submission limits.",
    body: SubmissionFields,
    bodyTypes: ["multipart/form-data"],
    problems: [
      "multipart_required",
      "sample_missing",
      "sample_empty",
      "sample_too_large",
      "invalid_request",
      "rate_limited",
    ],
  },
  get: { summary: "A sample this key may see", problems: ["sample_not_found"] },
  state: { summary: "A sample's analysis state", problems: ["sample_not_found"] },
  search: {
    summary: "Samples by md5, sha1 or sha256 (Threat Grid v2)",
    query: SearchQuery,
    problems: ["invalid_request"],
  },
} satisfies Record<string, RouteDoc>;

export function sampleRoutes(kernel: KernelContext, router: Router): void {
  router.post("/", allow(...SUBMITTERS), DOC.submit, async (c) => {
    if (!isForm(c) || !(c.req.header("content-type") ?? "").includes("multipart/form-data")) {
      throw new Problem(
        415,
        "multipart_required",
        "Multipart required",
        'Submit samples as multipart/form-data with the file in the "sample" field.',
      );
    }
    const form = await readForm(c);
    if (Array.isArray(form.sample)) {
      throw badRequest(
        "invalid_request",
        `The form holds ${form.sample.length} "sample" fields: submit one file per request.`,
        [{ path: "/sample", message: "sent more than once" }],
      );
    }
    const file = form.sample;
    if (!(file instanceof File)) {
      throw badRequest("sample_missing", 'The "sample" field must hold the file to analyse.', [
        { path: "/sample", message: "missing, or not a file" },
      ]);
    }
    if (file.size === 0) {
      throw badRequest("sample_empty", "The submitted file is empty: send the file's content.", [
        { path: "/sample", message: "0 bytes" },
      ]);
    }
    const maxBytes = await kernel.settings.get<number>(kernel.db.orm, "samples.max_bytes");
    if (file.size > maxBytes) {
      throw new Problem(
        413,
        "sample_too_large",
        "Sample too large",
        `The sample has ${file.size} bytes; this appliance takes at most ${maxBytes} ` +
          "(the samples.max_bytes setting).",
        { errors: [{ path: "/sample", message: `larger than ${maxBytes} bytes` }] },
      );
    }
    const fields = parseInput(
      SubmissionFields,
      Object.fromEntries(
        ["filename", "private", "vm", "playbook", "network_exit", "tags"]
          .filter((k) => form[k] !== undefined)
          .map((k) => [k, single(form[k])]),
      ),
      "submission",
    );
    const principal = principalOf(c);
    const content = new Uint8Array(await file.arrayBuffer());
    const at = kernel.clock.now().toISOString();
    const sample = await kernel.db.write(async (tx) => {
      await enforceRateLimits(tx, kernel.settings, principal, kernel.clock.now());
      const row = await insertSample(
        tx,
        principal,
        {
          filename: fields.filename ?? (file.name || "sample"),
          content,
          private: fields.private,
          tags: fields.tags,
          vm: fields.vm,
          playbook: fields.playbook,
          networkExit: fields.network_exit,
        },
        at,
      );
      await kernel.events.emit(tx, "sample.submitted", {
        id: row.id,
        sha256: row.sha256,
        login: row.login,
        organization_id: row.organizationId,
      });
      return row;
    });
    c.get("log").info(
      { sample: sample.id, sha256: sample.sha256, size: sample.size, login: principal.login },
      "sample submitted",
    );
    return envelope(c, sampleView(sample));
  });

  router.get("/:id", allow(...SUBMITTERS), DOC.get, async (c) => {
    const sample = await findSample(kernel.db.orm, c.req.param("id") ?? "", principalOf(c));
    if (!sample) throw sampleNotFound(c.req.param("id") ?? "");
    return envelope(c, sampleView(sample));
  });

  router.get("/:id/state", allow(...SUBMITTERS), DOC.state, async (c) => {
    const sample = await findSample(kernel.db.orm, c.req.param("id") ?? "", principalOf(c));
    if (!sample) throw sampleNotFound(c.req.param("id") ?? "");
    return envelope(c, { state: sample.state });
  });
}

export function searchRoutes(kernel: KernelContext, router: Router): void {
  router.get("/submissions", allow(...SUBMITTERS), DOC.search, async (c) => {
    const query = parseInput(SearchQuery, c.req.query(), "query");
    const rows = await searchSamples(kernel.db.orm, query.q, principalOf(c), query);
    return envelope(c, {
      current_item_count: rows.length,
      items_per_page: query.limit,
      index: query.offset,
      items: rows.map((s) => ({
        item: {
          sample: s.id,
          sha256: s.sha256,
          md5: s.md5,
          sha1: s.sha1,
          filename: s.filename,
          state: s.state,
          disposition: s.disposition,
          threat_score: s.threatScore,
          submitted_at: s.submittedAt.replace(/\.\d{3}Z$/, "Z"),
          login: s.login,
        },
      })),
    });
  });
}

function sampleNotFound(id: string) {
  return notFound(
    "sample_not_found",
    `No sample ${id} that this key may see: check the id returned at submission.`,
  );
}
