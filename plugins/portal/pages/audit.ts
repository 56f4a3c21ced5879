/**
 * Audit log: who did what, to what, from where, and how it ended; newest
 * first, filtered by action or actor.
 *
 * @module
 */
import { html } from "hono/html";
import * as v from "valibot";
import { allow } from "../../../src/http/access.ts";
import type { Router } from "../../../src/http/router.ts";
import type { PluginContext } from "../../../src/plugin.ts";
import { apiFor, fieldErrors } from "../api.ts";
import { field } from "../view/form.ts";
import { when } from "../view/format.ts";
import { rowsOr } from "../view/layout.ts";
import { render } from "../view/shell.ts";

const Filter = v.object({
  action: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(100, "At most 100 characters.")), ""),
  actor: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(200, "At most 200 characters.")), ""),
  cursor: v.optional(v.string(), ""),
});

const ACTION = { name: "action", label: "Action (e.g. user.activate)" };
const ACTOR = { name: "actor", label: "Actor (login)" };

/** Mounts the Audit log page. */
export function auditPages(ctx: PluginContext, router: Router): void {
  router.get("/audit", allow("admin"), { summary: "Audit log" }, async (c) => {
    const parsed = v.safeParse(Filter, c.req.query());
    const filter = parsed.success ? parsed.output : { action: "", actor: "", cursor: "" };
    const errors: Record<string, string> = {};
    if (!parsed.success) {
      for (const issue of parsed.issues) errors[String(issue.path?.[0]?.key)] ??= issue.message;
    }
    const query = new URLSearchParams({ limit: "100" });
    for (const key of ["action", "actor", "cursor"] as const)
      if (filter[key]) query.set(key, filter[key]);
    const answer = await apiFor(ctx, c)("GET", `/api/v1/audit-events?${query}`);
    Object.assign(errors, fieldErrors(answer.problem));
    const items = (answer.json?.items ?? []) as any[];
    const next = answer.json?.next_cursor as string | null;
    const nextQuery = new URLSearchParams({
      action: filter.action,
      actor: filter.actor,
      cursor: next ?? "",
    });
    return render(
      c,
      { title: "Audit log", section: "/portal/audit", alert: answer.problem?.detail },
      html`<form method="get" action="/portal/audit" role="search">
          ${field({ ...ACTION, value: filter.action, error: errors.action })}
          ${field({ ...ACTOR, value: filter.actor, error: errors.actor })}
          <button type="submit">Filter</button>
        </form>
        <table>
          <thead>
            <tr>
              <th scope="col">Time</th>
              <th scope="col">Actor</th>
              <th scope="col">Action</th>
              <th scope="col">Target</th>
              <th scope="col">Source</th>
              <th scope="col">Outcome</th>
            </tr>
          </thead>
          <tbody>
            ${rowsOr(
              items,
              6,
              "No audit entry matches these filters.",
              (e) =>
                html`<tr>
                  <td>${when(e.at)}</td>
                  <td>${e.actor}</td>
                  <td>${e.action}</td>
                  <td class="wrap">${e.target ?? ""}</td>
                  <td>${e.source ?? ""}</td>
                  <td>${e.outcome}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${next ? html`<p><a href="/portal/audit?${nextQuery}">Older entries</a></p>` : ""}`,
    );
  });
}
