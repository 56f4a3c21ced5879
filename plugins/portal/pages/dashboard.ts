/**
 * The dashboard: what needs the administrator now — devices waiting for
 * activation, deliveries that fail, certificates with warnings.
 *
 * @module
 */
import { html } from "hono/html";
import { allow } from "../../../src/http/access.ts";
import type { Router } from "../../../src/http/router.ts";
import type { PluginContext } from "../../../src/plugin.ts";
import { apiFor, expectOk } from "../api.ts";
import { readable, when } from "../view/format.ts";
import { render } from "../view/shell.ts";
import { serviceStatus } from "./services.ts";

/** Mounts the dashboard at `/portal`. */
export function dashboardPage(ctx: PluginContext, router: Router): void {
  router.get("/", allow("admin"), { summary: "The console's dashboard" }, async (c) => {
    const api = apiFor(ctx, c);
    const waiting = expectOk(await api("GET", "/api/v1/users?status=inactive&device=true&limit=50"))
      .json.items as any[];
    const appliance = expectOk(await api("GET", "/api/v1/appliance")).json;
    const services = expectOk(await api("GET", "/api/v1/disposition-services")).json.items as any[];
    const failing: { service: any; delivery: any }[] = [];
    for (const service of services) {
      const list = await api(
        "GET",
        `/api/v1/disposition-services/${service.id}/deliveries?limit=500`,
      );
      for (const delivery of (list.json?.items ?? []) as any[]) {
        if (
          delivery.status === "failed" ||
          (delivery.status !== "delivered" && delivery.last_error)
        ) {
          failing.push({ service, delivery });
        }
      }
    }
    const troubled = services.filter((s) => s.status !== "ok");
    const warnings = (appliance.interfaces as any[]).flatMap((i) =>
      (i.warnings as any[]).map((w) => ({ iface: i.name, message: w.message })),
    );

    return render(
      c,
      { title: "Dashboard", section: "/portal" },
      html`<section aria-labelledby="waiting">
          <h2 id="waiting">Devices waiting for activation (${waiting.length})</h2>
          ${
            waiting.length === 0
              ? html`<p>No device is waiting.</p>`
              : html`<table>
                  <thead>
                    <tr>
                      <th scope="col">Login (client ID)</th>
                      <th scope="col">Type</th>
                      <th scope="col">Registered</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${waiting.map(
                      (u) =>
                        html`<tr>
                          <td class="wrap">
                            <a href="/portal/users/${encodeURIComponent(u.login)}">${u.login}</a>
                          </td>
                          <td>${u.device_type ?? ""}</td>
                          <td>${when(u.created_at)}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
          }
        </section>
        <section aria-labelledby="deliveries">
          <h2 id="deliveries">Failing deliveries (${failing.length})</h2>
          ${troubled.map(
            (s) =>
              html`<p class="alert">
                Service <a href="/portal/disposition-services/${s.id}">${s.name}</a>:
                <strong>${serviceStatus(s)}</strong>. ${s.last_error ?? ""}
              </p>`,
          )}
          ${
            failing.length === 0
              ? html`<p>No delivery is failing.</p>`
              : html`<table>
                  <thead>
                    <tr>
                      <th scope="col">Service</th>
                      <th scope="col">SHA-256</th>
                      <th scope="col">Status</th>
                      <th scope="col">Attempts</th>
                      <th scope="col">Error</th>
                    </tr>
                  </thead>
                  <tbody>
                    ${failing.map(
                      ({ service, delivery }) =>
                        html`<tr>
                          <td>
                            <a href="/portal/disposition-services/${service.id}">${service.name}</a>
                          </td>
                          <td class="wrap">${delivery.sha256}</td>
                          <td>${delivery.status}</td>
                          <td>${delivery.attempts}</td>
                          <td>${delivery.last_error ?? ""}</td>
                        </tr>`,
                    )}
                  </tbody>
                </table>`
          }
        </section>
        <section aria-labelledby="certificates">
          <h2 id="certificates">Certificate warnings (${warnings.length})</h2>
          ${
            warnings.length === 0
              ? html`<p>
                  Every certificate names the hostname ${appliance.hostname} and is valid.
                </p>`
              : html`<ul>
                  ${warnings.map(
                    (w) =>
                      html`<li>
                        <a href="/portal/ssl#${w.iface}">${w.iface}</a>: ${readable(w.message)}
                      </li>`,
                  )}
                </ul>`
          }
        </section>`,
    );
  });
}
