/**
 * User Details: who the user is, its registration history, and what the
 * administrator may do — activate (after a confirmation), deactivate, and
 * reset the API key (a new key is shown once, here and nowhere else).
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
    ["Organization", user.organization_id],
    ["Status", user.active ? "active" : "inactive"],
    ["API key", user.key_prefix ? `${user.key_prefix}… (shown once when made)` : "none"],
    ["May register again until", user.reregister_until],
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
    const token = tokenOf(c);
    const attempts = (user.registration?.attempts ?? []) as any[];
    return render(
      c,
      { title: `User ${login}`, section: "/portal/users" },
      html`${details(user)}
        <h2>Actions</h2>
        <p>
          ${
            user.active
              ? actionButton(`${pathOf(login)}/deactivate`, "Deactivate", token, "danger")
              : html`<a href="${pathOf(login)}/activate">Activate…</a>`
          }
          ${actionButton(`${pathOf(login)}/api-key`, "Reset API key", token, "secondary")}
        </p>
        ${
          user.device
            ? html`<h2>Registration history</h2>
                ${history(attempts)}`
            : ""
        }`,
    );
  });

  router.get(
    "/users/:login/activate",
    allow("admin"),
    { summary: "Confirm an activation" },
    async (c) => {
      const login = loginOf(c);
      const user = expectOk(await apiFor(ctx, c)("GET", apiPath(login))).json;
      return render(
        c,
        { title: `Activate ${login}?`, section: "/portal/users" },
        html`<p>
            Once active, ${user.device ? "this device" : "this user"} may submit samples with its
            API key.
          </p>
          ${actionButton(`${pathOf(login)}/activate`, "Activate", tokenOf(c))}
          <a href="${pathOf(login)}">Cancel</a>`,
      );
    },
  );

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
