/**
 * CA Certificates: the anchors the appliance trusts for its outbound
 * connections. Add by pasting PEM or choosing a file; remove after a
 * confirmation that names what the certificate anchors.
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
import type { ApiBody } from "../api.ts";
import { actionButton, csrf, field, textArea } from "../view/form.ts";
import { count, when } from "../view/format.ts";
import { rowsOr } from "../view/layout.ts";
import { formFields } from "../view/input.ts";
import { render, tokenOf } from "../view/shell.ts";

const PAGE = "/portal/ca-certificates";
const SHA256 = /^[0-9a-f]{64}$/;

const FILE_FIELD = { name: "file", label: "Or choose a file (PEM or DER)", type: "file" } as const;

const removeLink = (a: any) =>
  html`<a href="${PAGE}/${a.sha256}/remove" aria-label="Remove ${a.subject}">Remove…</a>`;

interface FormState {
  pem?: string;
  errors?: Record<string, string>;
  notice?: string;
  alert?: string;
}

async function caPage(ctx: PluginContext, c: Context<AppEnv>, state: FormState = {}, status = 200) {
  const list = expectOk(await apiFor(ctx, c)("GET", "/api/v1/ca-certificates?limit=500")).json;
  const items = list.items as any[];
  const errors = state.errors ?? {};
  return render(
    c,
    { title: "CA Certificates", section: PAGE, notice: state.notice, alert: state.alert },
    html`<p>
        Outbound connections (Disposition Update Services) trust these certificates and no others.
      </p>
      <table>
        <caption>
          ${count(items.length, "trusted certificate")}
        </caption>
        <thead>
          <tr>
            <th scope="col">Subject</th>
            <th scope="col">Kind</th>
            <th scope="col">Expires</th>
            <th scope="col">SHA-256</th>
            <th scope="col">Action</th>
          </tr>
        </thead>
        <tbody>
          ${rowsOr(
            items,
            5,
            "No CA certificate yet: outbound connections trust nothing until you add one.",
            (a) =>
              html`<tr>
                <td class="wrap">${a.subject}</td>
                <td>${a.kind}${a.expired ? " (expired)" : ""}</td>
                <td>${when(a.not_after)}</td>
                <td><code class="wrap">${a.sha256}</code></td>
                <td>${removeLink(a)}</td>
              </tr>`,
          )}
        </tbody>
      </table>
      <h2 id="add">Add a CA certificate</h2>
      <form
        method="post"
        action="${PAGE}"
        enctype="multipart/form-data"
        aria-labelledby="add"
        novalidate
      >
        ${csrf(tokenOf(c))}
        ${textArea({
          name: "pem",
          label: "Paste PEM",
          value: state.pem,
          error: errors.pem,
          hint: "One or more certificates, each from -----BEGIN CERTIFICATE----- to its END line.",
        })}
        ${field({ ...FILE_FIELD, error: errors.file })}
        <button type="submit">Add</button>
      </form>`,
    status,
  );
}

/** Mounts the CA Certificates pages and forms. */
export function caCertificatePages(ctx: PluginContext, router: Router): void {
  router.get("/ca-certificates", allow("admin"), { summary: "CA Certificates" }, (c) =>
    caPage(ctx, c),
  );

  router.post("/ca-certificates", allow("admin"), { summary: "Add CA certificates" }, async (c) => {
    const fields = await formFields(c);
    const pem = typeof fields.pem === "string" ? fields.pem.trim() : "";
    const file = fields.file instanceof File && fields.file.size > 0 ? fields.file : null;
    if ((pem === "") === (file === null)) {
      const message = pem
        ? "Paste a certificate or choose a file, not both."
        : "Paste a certificate or choose a file.";
      return caPage(ctx, c, { pem, errors: { [pem ? "file" : "pem"]: message } }, 400);
    }
    const body: ApiBody = file
      ? { bytes: new Uint8Array(await file.arrayBuffer()), type: "application/octet-stream" }
      : { json: { pem } };
    const answer = await apiFor(ctx, c)("POST", "/api/v1/ca-certificates", body);
    if (!answer.ok) {
      const detail = answer.problem?.detail ?? `The API answered ${answer.status}.`;
      return caPage(ctx, c, { pem, errors: { [file ? "file" : "pem"]: detail } }, answer.status);
    }
    const warnings = (answer.json.warnings ?? []) as any[];
    const done = answer.json.added.length > 0 ? "ca-added" : "ca-already";
    if (warnings.length === 0) return c.redirect(`${PAGE}?done=${done}`, 303);
    return caPage(ctx, c, {
      notice: done === "ca-added" ? "The certificate was added." : "Already trusted.",
      alert: warnings.map((w) => w.message ?? String(w)).join(" "),
    });
  });

  router.get(
    "/ca-certificates/:sha256/remove",
    allow("admin"),
    { summary: "Confirm a removal" },
    async (c) => {
      const sha256 = (c.req.param("sha256") ?? "").toLowerCase();
      const path = SHA256.test(sha256) ? sha256 : "invalid";
      const anchor = expectOk(await apiFor(ctx, c)("GET", `/api/v1/ca-certificates/${path}`)).json;
      return render(
        c,
        { title: "Remove this CA certificate?", section: PAGE },
        html`<dl class="details">
            <dt>Subject</dt>
            <dd>${anchor.subject}</dd>
            <dt>Issuer</dt>
            <dd>${anchor.issuer}</dd>
            <dt>SHA-256</dt>
            <dd>${anchor.sha256}</dd>
          </dl>
          <p>Services whose certificates chain to it will fail their next connection.</p>
          ${actionButton(`${PAGE}/${anchor.sha256}/remove`, "Remove", tokenOf(c), "danger")}
          <a href="${PAGE}">Cancel</a>`,
      );
    },
  );

  router.post(
    "/ca-certificates/:sha256/remove",
    allow("admin"),
    { summary: "Remove a CA certificate" },
    async (c) => {
      const sha256 = (c.req.param("sha256") ?? "").toLowerCase();
      const path = SHA256.test(sha256) ? sha256 : "invalid";
      const answer = expectOk(await apiFor(ctx, c)("DELETE", `/api/v1/ca-certificates/${path}`));
      const warning = answer.headers.get("warning");
      if (!warning) return c.redirect(`${PAGE}?done=ca-removed`, 303);
      const text = /"(.*)"$/.exec(warning)?.[1] ?? warning;
      return caPage(ctx, c, {
        notice: "The certificate was removed from the CA store.",
        alert: text,
      });
    },
  );
}
