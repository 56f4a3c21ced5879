/**
 * Organizations: the list, with how many users each has, and a form to add one.
 *
 * @module
 */
import type { Context } from "hono";
import { html } from "hono/html";
import * as v from "valibot";
import { allow } from "../../../src/http/access.ts";
import type { AppEnv } from "../../../src/http/env.ts";
import type { Router } from "../../../src/http/router.ts";
import type { PluginContext } from "../../../src/plugin.ts";
import { apiFor, expectOk, fieldErrors } from "../api.ts";
import { csrf, field } from "../view/form.ts";
import { when } from "../view/format.ts";
import { readFormAs, typed } from "../view/input.ts";
import { render, tokenOf } from "../view/shell.ts";

const NewOrganization = v.object({
  name: v.pipe(
    v.string("Enter a name."),
    v.trim(),
    v.minLength(1, "Enter a name."),
    v.maxLength(200, "A name is at most 200 characters."),
  ),
});

interface FormState {
  name?: string;
  errors?: Record<string, string>;
  alert?: string;
}

async function organizationsPage(
  ctx: PluginContext,
  c: Context<AppEnv>,
  state: FormState = {},
  status = 200,
) {
  const list = expectOk(await apiFor(ctx, c)("GET", "/api/v1/organizations?limit=200")).json;
  const errors = state.errors ?? {};
  return render(
    c,
    { title: "Organizations", section: "/portal/organizations", alert: state.alert },
    html`<table>
        <thead>
          <tr>
            <th scope="col">Id</th>
            <th scope="col">Name</th>
            <th scope="col">Users</th>
            <th scope="col">Created</th>
          </tr>
        </thead>
        <tbody>
          ${(list.items as any[]).map(
            (o) =>
              html`<tr>
                <td>${o.id}</td>
                <td class="wrap">${o.name}</td>
                <td>${o.users}</td>
                <td>${when(o.created_at)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2 id="add">Add an organization</h2>
      <form method="post" action="/portal/organizations" aria-labelledby="add" novalidate>
        ${csrf(tokenOf(c))}
        ${field({ name: "name", label: "Name", value: state.name, error: errors.name })}
        <button type="submit">Add</button>
      </form>`,
    status,
  );
}

/** Mounts the Organizations page and form. */
export function organizationPages(ctx: PluginContext, router: Router): void {
  router.get("/organizations", allow("admin"), { summary: "Organizations" }, (c) =>
    organizationsPage(ctx, c),
  );

  router.post("/organizations", allow("admin"), { summary: "Add an organization" }, async (c) => {
    const form = await readFormAs(c, NewOrganization);
    if (!form.ok) {
      return organizationsPage(ctx, c, { name: typed(form.raw, "name"), errors: form.errors }, 400);
    }
    const answer = await apiFor(ctx, c)("POST", "/api/v1/organizations", { json: form.value });
    if (!answer.ok) {
      const errors = fieldErrors(answer.problem);
      if (!errors.name && answer.problem?.code === "organization_name_in_use") {
        errors.name = answer.problem.detail;
      }
      return organizationsPage(
        ctx,
        c,
        { name: form.value.name, errors, alert: errors.name ? undefined : answer.problem?.detail },
        answer.status,
      );
    }
    return c.redirect("/portal/organizations?done=organization-added", 303);
  });
}
