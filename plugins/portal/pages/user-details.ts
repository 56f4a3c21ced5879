/**
 * User Details: who the user is, its registration history, and what the
 * administrator may do — activate, deactivate and reset the API key, each
 * after a confirmation (a new key is shown once, here and nowhere else).
 *
 * @module
 */
import type { Context } from "hono";
import { html } from "hono/html";
import { allow } from "../../../src/http/access.ts";
import type { AppEnv } from "../../../src/http/env.ts";
import type { Router } from "../../../src/http/router.ts";
import type { PluginContext } from "../../../src/plugin.ts";
import { apiFor, expectOk } from "../api.ts";
import { actionButton } from "../view/form.ts";
import { when } from "../view/format.ts";
import { sessionOf } from "../request-state.ts";
import { render, tokenOf } from "../view/shell.ts";

const pathOf = (login: string) => `/portal/users/${encodeURIComponent(login)}`;
const apiPath = (login: string) => `/api/v1/users/${encodeURIComponent(login)}`;
const loginOf = (c: Context<AppEnv>) => c.req.param("login") ?? "";

function details(user: any) {
  const device = user.registration?.device;
  const rows: [string, unknown][] = [
    ["Login", user.login],
    ["Name", user.name],
    ["Email", user.email],
    ["Role", user.role],
    ["Organization", user.organization_name ?? user.organization_id],
    ["Status", user.active ? "active" : "inactive"],
    ["API key", user.key_prefix ? `${user.key_prefix}… (shown once when made)` : "none"],
    ["May register again until", when(user.reregister_until)],
    ["Created", when(user.created_at)],
  ];
  if (device) {
    rows.push(
      ["Device type", device.device_type],
      ["Model", device.model],
      ["Serial", device.serial],
      ["Device hostname", device.hostname],
      ["Software version", device.software_version],
      ["Last registered", when(device.last_registered_at)],
    );
  }
  return html`<dl class="details">
    ${rows
      .filter(([, value]) => value !== null && value !== undefined && value !== "")
      .map(
        ([label, value]) =>
          html`<dt>${label}</dt>
            <dd>${String(value)}</dd>`,
      )}
  </dl>`;
}

function history(attempts: any[]) {
  if (attempts.length === 0) return html`<p>No registration attempt.</p>`;
  return html`<table>
    <thead>
      <tr>
        <th scope="col">Time</th>
        <th scope="col">Source</th>
        <th scope="col">Outcome</th>
        <th scope="col">HTTP status</th>
      </tr>
    </thead>
    <tbody>
      ${attempts.map(
        (a) =>
          html`<tr>
            <td>${when(a.at)}</td>
            <td>${a.source ?? ""}</td>
            <td>${a.outcome}</td>
            <td>${a.status}</td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** Mounts User Details and its actions. */
export function userDetailPages(ctx: PluginContext, router: Router): void {
  router.get("/users/:login", allow("admin"), { summary: "User Details" }, async (c) => {
    const login = loginOf(c);
    const user = expectOk(await apiFor(ctx, c)("GET", apiPath(login))).json;
    const yourself = sessionOf(c).login === user.login;
    const attempts = (user.registration?.history ?? []) as any[];
    return render(
      c,
      { title: `User ${login}`, section: "/portal/users" },
      html`${details(user)}
        <h2>Actions</h2>
        ${
          yourself
            ? html`<p>
                This is your own account: another administrator may deactivate it or reset its key.
              </p>`
            : html`<p class="actions">
                ${
                  user.active
                    ? html`<a class="button danger" href="${pathOf(login)}/deactivate"
                        >Deactivate…</a
                      >`
                    : html`<a class="button" href="${pathOf(login)}/activate">Activate…</a>`
                }
                <a class="button secondary" href="${pathOf(login)}/api-key">Reset API key…</a>
              </p>`
        }
        ${
          user.device
            ? html`<h2>Registration history</h2>
                ${history(attempts)}`
            : ""
        }`,
    );
  });

  /** Each action asks first, saying what it will do; Cancel goes back to the user. */
  const confirmations = {
    activate: {
      title: (login: string) => `Activate ${login}?`,
      says: (user: any) =>
        user.device
          ? "Once active, this device may submit samples with its API key."
          : "Once active, this user may sign in and use the API with its key.",
      button: "Activate",
      style: "",
    },
    deactivate: {
      title: (login: string) => `Deactivate ${login}?`,
      says: (user: any) =>
        user.device
          ? "Its submissions are refused until an administrator activates it again; its key " +
            "and registration stay."
          : "It can no longer sign in or use the API until an administrator activates it again.",
      button: "Deactivate",
      style: "danger",
    },
    "api-key": {
      title: (login: string) => `Reset the API key of ${login}?`,
      says: (user: any) =>
        user.device
          ? "Its key stops working at once. The device gets a new one by registering again " +
            "within the re-registration window, keeping its status."
          : "Its key stops working at once; the new key is shown once, on the next page.",
      button: "Reset API key",
      style: "danger",
    },
  } as const;

  for (const [verb, confirm] of Object.entries(confirmations)) {
    router.get(
      `/users/:login/${verb}`,
      allow("admin"),
      { summary: `Confirm: ${confirm.button}` },
      async (c) => {
        const login = loginOf(c);
        const user = expectOk(await apiFor(ctx, c)("GET", apiPath(login))).json;
        return render(
          c,
          { title: confirm.title(login), section: "/portal/users" },
          html`<p>${confirm.says(user)}</p>
            <p class="actions">
              ${actionButton(`${pathOf(login)}/${verb}`, confirm.button, tokenOf(c), confirm.style)}
              <a href="${pathOf(login)}">Cancel</a>
            </p>`,
        );
      },
    );
  }

  for (const verb of ["activate", "deactivate"] as const) {
    router.post(
      `/users/:login/${verb}`,
      allow("admin"),
      { summary: `${verb} a user` },
      async (c) => {
        const login = loginOf(c);
        expectOk(await apiFor(ctx, c)("POST", `${apiPath(login)}/${verb}`));
        return c.redirect(`${pathOf(login)}?done=${verb}d`, 303);
      },
    );
  }

  router.post(
    "/users/:login/api-key",
    allow("admin"),
    { summary: "Reset an API key" },
    async (c) => {
      const login = loginOf(c);
      const reset = expectOk(await apiFor(ctx, c)("POST", `${apiPath(login)}/api-key`)).json;
      const content = reset.api_key
        ? html`<p>The new API key of ${login}. Copy it now: it is shown only this once.</p>
            <p class="secret" id="new-api-key">${reset.api_key}</p>`
        : html`<p>
            The key of device ${login} is revoked. The device gets a new key by registering again
            before ${when(reset.reregister_until)}; it keeps its status.
          </p>`;
      return render(
        c,
        { title: `API key of ${login} reset`, section: "/portal/users" },
        html`${content}
          <p><a href="${pathOf(login)}">Back to ${login}</a></p>`,
      );
    },
  );
}
