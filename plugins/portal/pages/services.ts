/**
 * Disposition Update Syndication Service: the AMP Private Cloud services
 * that receive every disposition change, and the form that adds one.
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
import { csrf, field, formAlert } from "../view/form.ts";
import { when } from "../view/format.ts";
import { rowsOr } from "../view/layout.ts";
import { readFormAs, typed } from "../view/input.ts";
import { render, tokenOf } from "../view/shell.ts";

/** The services' navigation entry and base path. */
export const SECTION = "/portal/disposition-services";

const text = (what: string, max: number) =>
  v.pipe(
    v.string(`Enter the ${what}.`),
    v.trim(),
    v.minLength(1, `Enter the ${what}.`),
    v.maxLength(max, `The ${what} is at most ${max} characters.`),
  );

/** The add form's fields, checked before the API sees them. */
export const ServiceForm = v.object({
  url: v.pipe(
    text("service URL", 2048),
    v.startsWith("https://", "The service URL must start with https://."),
  ),
  username: text("user", 256),
  password: text("password", 1024),
});

/** Service URL, User and Password; the password is never filled in again. */
export function serviceFields(
  values: { url?: string; username?: string },
  errors: Record<string, string>,
  adding: boolean,
) {
  const passwordHint = adding
    ? undefined
    : "A password is saved; type a new one only to replace it. " +
      "Changing the host or port needs the password again.";
  return html`${field({
    name: "url",
    label: "Service URL",
    type: "url",
    value: values.url,
    error: errors.url,
    required: true,
    hint: "https://, as AMP Private Cloud gives it.",
  })}
  ${field({
    name: "username",
    label: "User",
    value: values.username,
    error: errors.username,
    required: true,
    autocomplete: "off",
  })}
  ${field({
    name: "password",
    label: "Password",
    type: "password",
    error: errors.password,
    required: adding,
    autocomplete: "new-password",
    hint: passwordHint,
  })}`;
}

interface FormState {
  url?: string;
  username?: string;
  errors?: Record<string, string>;
  alert?: string;
}

/** The service's last error, unless a delivery succeeded after it. */
export function currentError(service: any): string {
  if (!service.last_error) return "";
  const resolved =
    service.last_success_at &&
    service.last_error_at &&
    service.last_success_at > service.last_error_at;
  return resolved ? "" : service.last_error;
}

/** How a service's state reads. */
export function serviceStatus(service: any) {
  const contacted = Boolean(service.last_success_at || service.last_error_at);
  const label =
    service.status === "ok"
      ? !service.enabled
        ? "disabled"
        : contacted
          ? "ok"
          : "not contacted yet"
      : service.status === "untrusted"
        ? "untrusted: its certificate does not chain to a CA certificate"
        : "credentials rejected";
  const style =
    service.status !== "ok" ? "status-bad" : contacted && service.enabled ? "status-ok" : "";
  return html`<span class="${style}">${label}</span>`;
}

async function servicesPage(
  ctx: PluginContext,
  c: Context<AppEnv>,
  state: FormState = {},
  status = 200,
) {
  const list = expectOk(await apiFor(ctx, c)("GET", "/api/v1/disposition-services")).json;
  const errors = state.errors ?? {};
  return render(
    c,
    { title: "Disposition Update Syndication Service", section: SECTION },
    html`<table>
        <caption>
          Services that receive disposition updates
        </caption>
        <thead>
          <tr>
            <th scope="col">Service URL</th>
            <th scope="col">User</th>
            <th scope="col">Status</th>
            <th scope="col">Last success</th>
            <th scope="col">Last error</th>
          </tr>
        </thead>
        <tbody>
          ${rowsOr(
            list.items as any[],
            5,
            "No service yet: add one below to send dispositions to AMP.",
            (s) =>
              html`<tr>
                <td class="wrap"><a href="${SECTION}/${s.id}">${s.url}</a></td>
                <td>${s.username}</td>
                <td>${serviceStatus(s)}</td>
                <td>${when(s.last_success_at)}</td>
                <td>${currentError(s)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2 id="add">Add a Disposition Update Service</h2>
      <form method="post" action="${SECTION}" aria-labelledby="add" novalidate>
        ${csrf(tokenOf(c))} ${formAlert(state.alert)} ${serviceFields(state, errors, true)}
        <button type="submit">Add</button>
      </form>`,
    status,
  );
}

/** Mounts the services list and the add form. */
export function servicePages(ctx: PluginContext, router: Router): void {
  router.get("/disposition-services", allow("admin"), { summary: "Disposition services" }, (c) =>
    servicesPage(ctx, c),
  );

  router.post(
    "/disposition-services",
    allow("admin"),
    { summary: "Add a disposition service" },
    async (c) => {
      const form = await readFormAs(c, ServiceForm);
      const typedBack = (raw: Record<string, unknown>) => ({
        url: typed(raw, "url"),
        username: typed(raw, "username"),
      });
      if (!form.ok)
        return servicesPage(ctx, c, { ...typedBack(form.raw), errors: form.errors }, 400);
      const answer = await apiFor(ctx, c)("POST", "/api/v1/disposition-services", {
        json: form.value,
      });
      if (!answer.ok) {
        const errors = fieldErrors(answer.problem);
        const alert = Object.keys(errors).length ? undefined : answer.problem?.detail;
        return servicesPage(ctx, c, { ...typedBack(form.raw), errors, alert }, answer.status);
      }
      return c.redirect(`${SECTION}/${answer.json.id}?done=service-added`, 303);
    },
  );
}
