/**
 * Hostname: the name devices use to reach the appliance. Changing it names
 * the certificates that no longer match and the devices that will need the
 * new one.
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
import { readable } from "../view/format.ts";
import { readFormAs, typed } from "../view/input.ts";
import type { Html } from "../view/layout.ts";
import { render, tokenOf } from "../view/shell.ts";

const HostnameForm = v.object({
  hostname: v.pipe(
    v.string("Enter a hostname."),
    v.trim(),
    v.minLength(1, "Enter a hostname."),
    v.maxLength(253, "A hostname is at most 253 characters."),
  ),
});

const warningItem = (w: any) =>
  html`<li>${readable(w.message)} <a href="/portal/ssl#${w.interface}">Go to SSL</a></li>`;
const deviceItem = (d: any) =>
  html`<li class="wrap">${d.login}${d.active ? "" : " (inactive)"}</li>`;

function hostnamePage(
  c: Context<AppEnv>,
  hostname: string,
  state: { error?: string; notice?: string; result?: Html } = {},
  status = 200,
) {
  return render(
    c,
    { title: "Hostname", section: "/portal/hostname", notice: state.notice },
    html`<p>Gateways and AMP reach the appliance by this name; its certificates must name it.</p>
      <form method="post" action="/portal/hostname" novalidate>
        ${csrf(tokenOf(c))}
        ${field({
          name: "hostname",
          label: "Hostname",
          value: hostname,
          error: state.error,
          required: true,
          hint: "A DNS name such as sandbox.example.com; not an IP address.",
        })}
        <button type="submit">Save</button>
      </form>
      ${state.result ?? ""}`,
    status,
  );
}

/** Mounts the Hostname page and form. */
export function hostnamePages(ctx: PluginContext, router: Router): void {
  router.get("/hostname", allow("admin"), { summary: "Hostname" }, async (c) => {
    const current = expectOk(await apiFor(ctx, c)("GET", "/api/v1/appliance/hostname")).json;
    return hostnamePage(c, current.hostname);
  });

  router.post("/hostname", allow("admin"), { summary: "Change the hostname" }, async (c) => {
    const form = await readFormAs(c, HostnameForm);
    if (!form.ok)
      return hostnamePage(c, typed(form.raw, "hostname"), { error: form.errors.hostname }, 400);
    const answer = await apiFor(ctx, c)("PUT", "/api/v1/appliance/hostname", { json: form.value });
    if (!answer.ok) {
      const error = fieldErrors(answer.problem).hostname ?? answer.problem?.detail;
      return hostnamePage(c, form.value.hostname, { error }, answer.status);
    }
    const result = answer.json;
    const warnings = result.warnings as any[];
    const devices = result.devices_affected as any[];
    return hostnamePage(c, result.hostname, {
      notice: result.changed
        ? `The hostname is now ${result.hostname}.`
        : "The hostname is unchanged.",
      result: warnings.length
        ? html`<h2>Certificates to replace</h2>
            <ul>
              ${warnings.map(warningItem)}
            </ul>
            ${
              devices.length
                ? html`<h2>Devices that will need the new certificate</h2>
                    <ul>
                      ${devices.map(deviceItem)}
                    </ul>`
                : ""
            }`
        : undefined,
    });
  });
}
