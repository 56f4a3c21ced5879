/**
 * The kernel's verdict routes: the administrator's verdict on one sample
 * (`PUT /api/v1/samples/{id}/disposition`) and the known-hash verdicts the
 * built-in analyzer answers from (`/api/v1/verdicts`).
 *
 * @module
 */
import { asc, eq, gt } from "drizzle-orm";
import * as v from "valibot";
import { pageLimit } from "../http/paging.ts";
import { QUERY_FIELDS_MESSAGE, notFound, parseInput } from "../errors.ts";
import { allow } from "../http/access.ts";
import { principalOf } from "../http/auth.ts";
import { readBody } from "../http/body.ts";
import type { RouteDoc, Router } from "../http/router.ts";
import type { KernelContext } from "../kernel-context.ts";
import { sampleView } from "../samples/store.ts";
import { setDisposition } from "./disposition.ts";
import { Sha256Param, VerdictInput, defaultThreatScore } from "./input.ts";
import { knownVerdicts } from "./schema.ts";

const ListQuery = v.strictObject(
  {
    cursor: v.optional(Sha256Param),
    limit: pageLimit(500, 100),
  },
  QUERY_FIELDS_MESSAGE,
);

type KnownVerdict = typeof knownVerdicts.$inferSelect;

function verdictView(row: KnownVerdict) {
  return {
    sha256: row.sha256,
    disposition: row.disposition,
    threat_score: row.threatScore,
    reason: row.reason,
    updated_by: row.updatedBy,
    updated_at: row.updatedAt,
  };
}

const verdictNotFound = (sha256: string) =>
  notFound(
    "verdict_not_found",
    `No known-hash verdict for ${sha256}: set one with PUT /api/v1/verdicts/${sha256}.`,
  );

const DOC = {
  disposition: {
    summary: "Set the administrator's verdict on one sample",
    body: VerdictInput,
    problems: ["sample_not_found", "invalid_request", "malformed_json"],
  },
  list: {
    summary: "Known-hash verdicts, by sha256, by cursor",
    query: ListQuery,
    problems: ["invalid_request"],
  },
  get: {
    summary: "The known-hash verdict for one sha256",
    problems: ["verdict_not_found", "invalid_request"],
  },
  set: {
    summary: "Set the known-hash verdict for a sha256",
    description: "Answers 201 when the sha256 had no verdict, 200 when one was replaced.",
    body: VerdictInput,
    problems: ["invalid_request", "malformed_json"],
  },
  delete: {
    summary: "Delete the known-hash verdict for a sha256",
    status: 204,
    problems: ["verdict_not_found", "invalid_request"],
  },
} satisfies Record<string, RouteDoc>;

/** `PUT /api/v1/samples/{id}/disposition`. */
export function sampleVerdictRoutes(kernel: KernelContext, router: Router): void {
  router.put("/:id/disposition", allow("admin"), DOC.disposition, async (c) => {
    const id = c.req.param("id") ?? "";
    const input = parseInput(VerdictInput, await readBody(c, ["json"]));
    const actor = principalOf(c).login;
    const outcome = await kernel.db.write(async (tx) => {
      const done = await setDisposition(kernel, tx, id, {
        disposition: input.disposition,
        threat_score: input.threat_score ?? defaultThreatScore(input.disposition),
        reason: input.reason ?? `set by ${actor}`,
        actor,
      });
      if (!done) {
        throw notFound("sample_not_found", `No sample ${id}: check the id returned at submission.`);
      }
      await kernel.audit.record(tx, {
        actor,
        action: "sample.disposition",
        target: id,
        source: c.get("sourceAddress"),
        outcome: done.changed ? "success" : "unchanged",
        detail: { disposition: input.disposition, reason: input.reason ?? null },
      });
      return done;
    });
    return c.json({ ...sampleView(outcome.sample), changed: outcome.changed });
  });
}

/** `GET /api/v1/verdicts`, `GET|PUT|DELETE /api/v1/verdicts/{sha256}`. */
export function verdictRoutes(kernel: KernelContext, router: Router): void {
  router.get("/", allow("admin"), DOC.list, async (c) => {
    const query = parseInput(ListQuery, c.req.query(), "query");
    const rows = await kernel.db.orm
      .select()
      .from(knownVerdicts)
      .where(query.cursor ? gt(knownVerdicts.sha256, query.cursor) : undefined)
      .orderBy(asc(knownVerdicts.sha256))
      .limit(query.limit + 1)
      .all();
    const page = rows.slice(0, query.limit);
    const nextCursor = rows.length > query.limit ? page[page.length - 1].sha256 : null;
    return c.json({ items: page.map(verdictView), next_cursor: nextCursor });
  });

  router.get("/:sha256", allow("admin"), DOC.get, async (c) => {
    const sha256 = parseInput(Sha256Param, c.req.param("sha256"), "path");
    const row = await kernel.db.orm
      .select()
      .from(knownVerdicts)
      .where(eq(knownVerdicts.sha256, sha256))
      .get();
    if (!row) throw verdictNotFound(sha256);
    return c.json(verdictView(row));
  });

  router.put("/:sha256", allow("admin"), DOC.set, async (c) => {
    const sha256 = parseInput(Sha256Param, c.req.param("sha256"), "path");
    const input = parseInput(VerdictInput, await readBody(c, ["json"]));
    const actor = principalOf(c).login;
    const values = {
      disposition: input.disposition,
      threatScore: input.threat_score ?? defaultThreatScore(input.disposition),
      reason: input.reason ?? null,
      updatedBy: actor,
      updatedAt: kernel.clock.now().toISOString(),
    };
    const { row, created } = await kernel.db.write(async (tx) => {
      const existed = await tx
        .select({ sha256: knownVerdicts.sha256 })
        .from(knownVerdicts)
        .where(eq(knownVerdicts.sha256, sha256))
        .get();
      const [saved] = await tx
        .insert(knownVerdicts)
        .values({ sha256, ...values })
        .onConflictDoUpdate({ target: knownVerdicts.sha256, set: values })
        .returning();
      await kernel.audit.record(tx, {
        actor,
        action: "verdict.set",
        target: sha256,
        source: c.get("sourceAddress"),
        outcome: "success",
        detail: { disposition: input.disposition, threat_score: values.threatScore },
      });
      return { row: saved, created: !existed };
    });
    return c.json(verdictView(row), created ? 201 : 200);
  });

  router.delete("/:sha256", allow("admin"), DOC.delete, async (c) => {
    const sha256 = parseInput(Sha256Param, c.req.param("sha256"), "path");
    await kernel.db.write(async (tx) => {
      const removed = await tx
        .delete(knownVerdicts)
        .where(eq(knownVerdicts.sha256, sha256))
        .returning({ sha256: knownVerdicts.sha256 });
      if (removed.length === 0) throw verdictNotFound(sha256);
      await kernel.audit.record(tx, {
        actor: principalOf(c).login,
        action: "verdict.delete",
        target: sha256,
        source: c.get("sourceAddress"),
        outcome: "success",
      });
    });
    return c.body(null, 204);
  });
}
