/**
 * SSL: each interface's certificate — its details and whether it names the
 * hostname, downloads, a new self-signed one, or an uploaded one, refused
 * with the API's reasons beside the field they concern.
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
import { csrf, field, formAlert, select } from "../view/form.ts";
import { readable, when } from "../view/format.ts";
import { formFields, readFormAs } from "../view/input.ts";
import { render, tokenOf } from "../view/shell.ts";

const KEY_ALGORITHMS = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"];
const UPLOAD_FILES = ["certificate", "private_key", "chain", "pkcs12"] as const;

const RegenerateForm = v.object({
  key_algorithm: v.picklist(KEY_ALGORITHMS, "Choose a key algorithm from the list."),
  validity_days: v.pipe(
    v.string(),
    v.regex(/^\d{1,4}$/, "Enter a whole number of days."),
    v.transform(Number),
    v.minValue(1, "At least 1 day."),
    v.maxValue(825, "At most 825 days."),
  ),
});

const UPLOAD_FIELDS = [
  { name: "certificate", label: "Certificate (PEM or DER)", type: "file" },
  { name: "private_key", label: "Private key (PEM)", type: "file" },
  { name: "chain", label: "Intermediate certificates (optional)", type: "file" },
  { name: "pkcs12", label: "Or a PKCS#12 file instead of the above", type: "file" },
  {
    name: "passphrase",
    label: "Passphrase (if the key or PKCS#12 file has one)",
    type: "password",
  },
] as const;

function uploadFields(iface: string, errors: Record<string, string>) {
  return UPLOAD_FIELDS.map((f) =>
    field({ ...f, id: `${iface}-${f.name}`, error: errors[f.name], autocomplete: "off" }),
  );
}

/** What went wrong with one interface's form, to show on its section. */
interface Trouble {
  iface: string;
  form: "regenerate" | "upload";
  errors: Record<string, string>;
  alert?: string;
}

function details(cert: any) {
  const rows: [string, string][] = [
    ["Subject", cert.subject],
    ["Issuer", cert.issuer],
    ["DNS names", cert.san.dns.join(", ")],
    ["IP addresses", cert.san.ip.join(", ")],
    ["Valid from", when(cert.not_before)],
    ["Valid until", when(cert.not_after)],
    ["Key", cert.key_algorithm],
    ["Source", cert.self_signed ? `${cert.source}, self-signed` : cert.source],
    ["SHA-256 fingerprint", cert.fingerprint_sha256],
  ];
  return html`<dl class="details">
    ${rows.map(
      ([k, val]) =>
        html`<dt>${k}</dt>
          <dd>${val || "none"}</dd>`,
    )}
  </dl>`;
}

async function sslPage(ctx: PluginContext, c: Context<AppEnv>, trouble?: Trouble, status = 200) {
  const api = apiFor(ctx, c);
  const appliance = expectOk(await api("GET", "/api/v1/appliance")).json;
  const token = tokenOf(c);
  const sections = [];
  for (const iface of appliance.interfaces as any[]) {
    const name = iface.name as string;
    const cert = expectOk(await api("GET", `/api/v1/tls/${name}/certificate`)).json;
    const mine = trouble?.iface === name ? trouble : undefined;
    const errors = (form: Trouble["form"]) => (mine?.form === form ? mine.errors : {});
    const base = `/portal/ssl/${name}`;
    sections.push(
      html`<section id="${name}" aria-labelledby="${name}-title">
        <h2 id="${name}-title">The ${name} interface</h2>
        <p class="${cert.hostname_matches ? "status-ok" : "status-bad"}">
          ${
            cert.hostname_matches
              ? `The certificate names the hostname ${appliance.hostname}.`
              : `The certificate does not name the hostname ${appliance.hostname}.`
          }
        </p>
        ${(cert.warnings as any[]).map((w) => html`<p class="alert">${readable(w.message)}</p>`)}
        ${details(cert)}
        <p>
          Download: <a href="${base}/certificate.pem" download>certificate (PEM)</a>,
          <a href="${base}/certificate.pem?chain=full" download>with chain (PEM)</a>,
          <a href="${base}/certificate.der" download>certificate (DER)</a>
        </p>
        <h3 id="${name}-regenerate">Generate a new self-signed certificate</h3>
        <form
          method="post"
          action="${base}/regenerate#${name}-regenerate"
          aria-labelledby="${name}-regenerate"
          novalidate
        >
          ${csrf(token)} ${mine?.form === "regenerate" ? formAlert(mine.alert) : ""}
          ${select({
            name: "key_algorithm",
            id: `${name}-key_algorithm`,
            label: "Key algorithm",
            value: "ecdsa-p256",
            error: errors("regenerate").key_algorithm,
            options: KEY_ALGORITHMS.map((a) => ({ value: a, label: a })),
          })}
          ${field({
            name: "validity_days",
            id: `${name}-validity_days`,
            label: "Valid for (days)",
            type: "number",
            value: 825,
            error: errors("regenerate").validity_days,
          })}
          <button type="submit">Regenerate</button>
        </form>
        <h3 id="${name}-upload">Upload a certificate</h3>
        <form
          method="post"
          action="${base}/upload#${name}-upload"
          enctype="multipart/form-data"
          aria-labelledby="${name}-upload"
          novalidate
        >
          ${csrf(token)} ${mine?.form === "upload" ? formAlert(mine.alert) : ""}
          ${uploadFields(name, errors("upload"))}
          <button type="submit">Upload</button>
        </form>
      </section>`,
    );
  }
  // The fragment of the form's action brings the browser back to the refused form;
  // this line says so at the top for whoever reads from there.
  const refused = trouble
    ? `The ${trouble.form === "upload" ? "upload" : "new certificate"} for the ${trouble.iface} ` +
      "interface was refused: the form below says why. The certificate served did not change."
    : undefined;
  return render(
    c,
    { title: "SSL", section: "/portal/ssl", alert: refused },
    html`${sections}`,
    status,
  );
}

const ifaceOf = (c: Context<AppEnv>) => c.req.param("iface") ?? "";

/** Mounts the SSL page, downloads and forms. */
export function sslPages(ctx: PluginContext, router: Router): void {
  router.get("/ssl", allow("admin"), { summary: "SSL" }, (c) => sslPage(ctx, c));

  for (const file of ["certificate.pem", "certificate.der"]) {
    router.get(
      `/ssl/:iface/${file}`,
      allow("admin"),
      { summary: "Download a certificate" },
      async (c) => {
        const query = c.req.query("chain") === "full" ? "?chain=full" : "";
        const path = `/api/v1/tls/${encodeURIComponent(ifaceOf(c))}/${file}${query}`;
        const answer = expectOk(await apiFor(ctx, c)("GET", path));
        return c.body(answer.bytes as Uint8Array<ArrayBuffer>, 200, {
          "Content-Type": answer.headers.get("content-type") ?? "application/octet-stream",
          "Content-Disposition": answer.headers.get("content-disposition") ?? "attachment",
        });
      },
    );
  }

  router.post(
    "/ssl/:iface/regenerate",
    allow("admin"),
    { summary: "Regenerate a certificate" },
    async (c) => {
      const iface = ifaceOf(c);
      const form = await readFormAs(c, RegenerateForm);
      if (!form.ok) return sslPage(ctx, c, { iface, form: "regenerate", errors: form.errors }, 400);
      const path = `/api/v1/tls/${encodeURIComponent(iface)}/certificate/regenerate`;
      const answer = await apiFor(ctx, c)("POST", path, { json: form.value });
      if (!answer.ok) {
        const errors = fieldErrors(answer.problem);
        return sslPage(
          ctx,
          c,
          { iface, form: "regenerate", errors, alert: answer.problem?.detail },
          answer.status,
        );
      }
      return c.redirect(`/portal/ssl?done=regenerated#${iface}`, 303);
    },
  );

  router.post(
    "/ssl/:iface/upload",
    allow("admin"),
    { summary: "Upload a certificate" },
    async (c) => {
      const iface = ifaceOf(c);
      const fields = await formFields(c);
      const upload = new FormData();
      for (const name of UPLOAD_FILES) {
        const value = fields[name];
        if (value instanceof File && value.size > 0) upload.append(name, value, value.name);
      }
      if (typeof fields.passphrase === "string" && fields.passphrase !== "") {
        upload.append("passphrase", fields.passphrase);
      }
      if (![...upload.keys()].some((k) => k !== "passphrase")) {
        const errors = {
          certificate: "Choose the certificate and its private key, or a PKCS#12 file.",
        };
        return sslPage(ctx, c, { iface, form: "upload", errors }, 400);
      }
      const path = `/api/v1/tls/${encodeURIComponent(iface)}/certificate`;
      const answer = await apiFor(ctx, c)("PUT", path, { form: upload });
      if (!answer.ok) {
        const errors = fieldErrors(answer.problem);
        const alert = Object.keys(errors).length ? answer.problem?.title : answer.problem?.detail;
        return sslPage(ctx, c, { iface, form: "upload", errors, alert }, answer.status);
      }
      return c.redirect(`/portal/ssl?done=uploaded#${iface}`, 303);
    },
  );
}
