/**
 * Manage Users: search by login or name, filter by status, inactive
 * devices first (they are the ones waiting for the administrator).
 *
 * @module
 */
import { html } from "hono/html";
import * as v from "valibot";
import { allow } from "../../../src/http/access.ts";
import type { Router } from "../../../src/http/router.ts";
import type { PluginContext } from "../../../src/plugin.ts";
import { apiFor, fieldErrors } from "../api.ts";
import { field, select } from "../view/form.ts";
import { count, when } from "../view/format.ts";
import { rowsOr } from "../view/layout.ts";
import { render } from "../view/shell.ts";

const Filter = v.object({
  q: v.optional(
    v.pipe(v.string(), v.trim(), v.maxLength(100, "Search for at most 100 characters.")),
    "",
  ),
  status: v.optional(v.picklist(["", "active", "inactive"], "Choose a status from the list."), ""),
  cursor: v.optional(v.string(), ""),
});

const SEARCH = { name: "q", label: "Search login or name", type: "search" } as const;

const kindOf = (u: any) =>
  u.device ? `device (${u.device_type})` : u.api_only ? "integration" : "person";

/** Inactive devices first, then everyone else, each in the API's order. */
export function waitingFirst<T extends { device: boolean; active: boolean }>(users: T[]): T[] {
  const waiting = (u: T) => u.device && !u.active;
  return [...users.filter(waiting), ...users.filter((u) => !waiting(u))];
}

/** Mounts Manage Users. */
export function userPages(ctx: PluginContext, router: Router): void {
  router.get("/users", allow("admin"), { summary: "Manage Users" }, async (c) => {
    const parsed = v.safeParse(Filter, c.req.query());
    const filter = parsed.success ? parsed.output : { q: "", status: "", cursor: "" };
    const errors: Record<string, string> = {};
    if (!parsed.success) {
      for (const issue of parsed.issues) errors[String(issue.path?.[0]?.key)] ??= issue.message;
    }
    const query = new URLSearchParams({ limit: "100" });
    if (filter.q) query.set("q", filter.q);
    if (filter.status) query.set("status", filter.status);
    if (filter.cursor) query.set("cursor", filter.cursor);
    const answer = await apiFor(ctx, c)("GET", `/api/v1/users?${query}`);
    Object.assign(errors, fieldErrors(answer.problem));
    const users = waitingFirst((answer.json?.items ?? []) as any[]);
    const next = answer.json?.next_cursor as string | null;
    const nextQuery = new URLSearchParams({
      q: filter.q,
      status: filter.status,
      cursor: next ?? "",
    });

    return render(
      c,
      { title: "Manage Users", section: "/portal/users", alert: answer.problem?.detail },
      html`<form method="get" action="/portal/users" role="search">
          ${field({ ...SEARCH, value: filter.q, error: errors.q })}
          ${select({
            name: "status",
            label: "Status",
            value: filter.status,
            error: errors.status,
            options: [
              { value: "", label: "All" },
              { value: "inactive", label: "Inactive" },
              { value: "active", label: "Active" },
            ],
          })}
          <button type="submit">Search</button>
        </form>
        <table>
          <caption>
            ${count(users.length, "user")}, inactive devices first
          </caption>
          <thead>
            <tr>
              <th scope="col">Login</th>
              <th scope="col">Kind</th>
              <th scope="col">Role</th>
              <th scope="col">Status</th>
              <th scope="col">Organization</th>
              <th scope="col">Created</th>
            </tr>
          </thead>
          <tbody>
            ${rowsOr(
              users,
              6,
              "No user matches this search.",
              (u) =>
                html`<tr>
                  <td class="wrap">
                    <a href="/portal/users/${encodeURIComponent(u.login)}">${u.login}</a>
                  </td>
                  <td>${kindOf(u)}</td>
                  <td>${u.role}</td>
                  <td class="${u.active ? "status-ok" : "status-bad"}">
                    ${u.active ? "active" : "inactive"}
                  </td>
                  <td>${u.organization_name ?? u.organization_id}</td>
                  <td>${when(u.created_at)}</td>
                </tr>`,
            )}
          </tbody>
        </table>
        ${next ? html`<p><a href="/portal/users?${nextQuery}">Next page</a></p>` : ""}`,
    );
  });
}
