/**
 * One Disposition Update Service: edit it (the password is never shown,
 * and is kept unless a new one is typed), check the connection step by
 * step, delete it after a confirmation, and read its recent deliveries.
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
import { actionButton, csrf, formAlert } from "../view/form.ts";
import { when } from "../view/format.ts";
import { readFormAs, typed } from "../view/input.ts";
import { type Html, rowsOr } from "../view/layout.ts";
import { render, tokenOf } from "../view/shell.ts";
import { SECTION, ServiceForm, currentError, serviceFields, serviceStatus } from "./services.ts";

const RECENT = 20;

const EditForm = v.object({
  ...ServiceForm.entries,
  password: v.optional(
    v.pipe(v.string(), v.maxLength(1024, "The password is at most 1024 characters.")),
  ),
  enabled: v.optional(v.literal("on")),
});

interface State {
  values?: { url: string; username: string; enabled: boolean };
  errors?: Record<string, string>;
  alert?: string;
  check?: Html;
}

const idOf = (c: Context<AppEnv>) => {
  const raw = c.req.param("id") ?? "";
  return /^[1-9]\d{0,15}$/.test(raw) ? raw : "0";
};

function deliveriesTable(items: any[]) {
  if (items.length === 0) return html`<p>No delivery yet.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Created</th>
        <th scope="col">SHA-256</th>
        <th scope="col">Disposition</th>
        <th scope="col">Status</th>
        <th scope="col">Attempts</th>
        <th scope="col">Error</th>
      </tr>
    </thead>
    <tbody>
      ${rowsOr(
        items,
        6,
        "No delivery yet: one is made for every change of a sample's disposition.",
        (d) =>
          html`<tr>
            <td>${when(d.created_at)}</td>
            <td class="wrap">${d.sha256}</td>
            <td>${d.disposition}</td>
            <td
              class="${d.status === "delivered" ? "status-ok" : d.last_error ? "status-bad" : ""}"
            >
              ${d.status}
            </td>
            <td>${d.attempts}</td>
            <td>${d.last_error ?? ""}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

async function servicePage(
  ctx: PluginContext,
  c: Context<AppEnv>,
  state: State = {},
  status = 200,
) {
  const api = apiFor(ctx, c);
  const id = idOf(c);
  const service = expectOk(await api("GET", `/api/v1/disposition-services/${id}`)).json;
  const all = expectOk(
    await api("GET", `/api/v1/disposition-services/${id}/deliveries?limit=500`),
  ).json;
  const recent = (all.items as any[]).slice(-RECENT).reverse();
  const values = state.values ?? {
    url: service.url,
    username: service.username,
    enabled: service.enabled,
  };
  const errors = state.errors ?? {};
  const token = tokenOf(c);
  const base = `${SECTION}/${id}`;
  const error = currentError(service);
  const lastError = error ? html` — ${error}` : "";
  return render(
    c,
    { title: `Service ${service.name}`, section: SECTION },
    html`<p>Status: ${serviceStatus(service)}${lastError}</p>
      <p>
        ${actionButton(`${base}/check`, "Check connection", token, "secondary")}
        <a href="${base}/delete">Delete…</a>
      </p>
      ${state.check ?? ""}
      <h2 id="edit">Edit</h2>
      <form method="post" action="${base}" aria-labelledby="edit" novalidate>
        ${csrf(token)} ${formAlert(state.alert)} ${serviceFields(values, errors, false)}
        <div class="field">
          <label
            ><input type="checkbox" name="enabled" ${values.enabled ? html` checked` : ""} />
            Enabled</label
          >
        </div>
        <button type="submit">Save</button>
      </form>
      <h2>Recent deliveries</h2>
      ${deliveriesTable(recent)}`,
    status,
  );
}

/** Mounts one service's page and its forms. */
export function serviceDetailPages(ctx: PluginContext, router: Router): void {
  router.get(
    "/disposition-services/:id",
    allow("admin"),
    { summary: "A disposition service" },
    (c) => servicePage(ctx, c),
  );

  router.post(
    "/disposition-services/:id",
    allow("admin"),
    { summary: "Edit a disposition service" },
    async (c) => {
      const form = await readFormAs(c, EditForm);
      const values = (raw: Record<string, unknown>) => ({
        url: typed(raw, "url"),
        username: typed(raw, "username"),
        enabled: raw.enabled === "on",
      });
      if (!form.ok)
        return servicePage(ctx, c, { values: values(form.raw), errors: form.errors }, 400);
      const { password, enabled, ...rest } = form.value;
      const patch = { ...rest, enabled: enabled === "on", ...(password ? { password } : {}) };
      const answer = await apiFor(ctx, c)("PATCH", `/api/v1/disposition-services/${idOf(c)}`, {
        json: patch,
      });
      if (!answer.ok) {
        const errors = fieldErrors(answer.problem);
        if (answer.problem?.code === "password_required") errors.password = answer.problem.detail;
        const alert = Object.keys(errors).length ? undefined : answer.problem?.detail;
        return servicePage(ctx, c, { values: values(form.raw), errors, alert }, answer.status);
      }
      return c.redirect(`${SECTION}/${idOf(c)}?done=service-saved`, 303);
    },
  );

  router.post(
    "/disposition-services/:id/check",
    allow("admin"),
    { summary: "Check a connection" },
    async (c) => {
      const result = expectOk(
        await apiFor(ctx, c)("POST", `/api/v1/disposition-services/${idOf(c)}/check`),
      ).json;
      const check = html`<section aria-labelledby="check" role="status">
        <h2 id="check">Connection check: ${result.ok ? "passed" : "failed"}</h2>
        <ol>
          ${(result.steps as any[]).map(
            (s) =>
              html`<li>
                <strong>${s.step}</strong>:
                <span class="${s.ok ? "status-ok" : "status-bad"}">${s.ok ? "ok" : "failed"}</span>
                — ${s.detail}
              </li>`,
          )}
        </ol>
      </section>`;
      return servicePage(ctx, c, { check });
    },
  );

  router.get(
    "/disposition-services/:id/delete",
    allow("admin"),
    { summary: "Confirm a deletion" },
    async (c) => {
      const service = expectOk(
        await apiFor(ctx, c)("GET", `/api/v1/disposition-services/${idOf(c)}`),
      ).json;
      return render(
        c,
        { title: `Delete ${service.name}?`, section: SECTION },
        html`<p>${service.url} will receive no more updates; its deliveries are deleted with it.</p>
          ${actionButton(`${SECTION}/${service.id}/delete`, "Delete", tokenOf(c), "danger")}
          <a href="${SECTION}/${service.id}">Cancel</a>`,
      );
    },
  );

  router.post(
    "/disposition-services/:id/delete",
    allow("admin"),
    { summary: "Delete a disposition service" },
    async (c) => {
      expectOk(await apiFor(ctx, c)("DELETE", `/api/v1/disposition-services/${idOf(c)}`));
      return c.redirect(`${SECTION}?done=service-deleted`, 303);
    },
  );
}
