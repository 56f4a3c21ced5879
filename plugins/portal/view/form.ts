/**
 * Form pieces with their labels, hints and errors tied to the field, so a
 * screen reader announces the error with the field it belongs to.
 *
 * @module
 */
import { html } from "hono/html";
import type { Html } from "./layout.ts";

/** One input with its label, hint and error. */
export interface FieldOptions {
  name: string;
  label: string;
  /** Ids must be unique on a page that holds several forms with one field name. */
  id?: string;
  type?: "text" | "password" | "url" | "number" | "file" | "search" | "email";
  /** Never given for a password: a saved secret is not shown again. */
  value?: string | number | null;
  error?: string;
  hint?: string;
  required?: boolean;
  autocomplete?: string;
  attributes?: Html;
}

/** An input, labelled, with its hint and error tied to it by `aria-describedby`. */
export function field(options: FieldOptions): Html {
  const id = options.id ?? options.name;
  const type = options.type ?? "text";
  const value = type === "password" || type === "file" ? "" : (options.value ?? "");
  const described = [
    options.hint ? `${id}-hint` : null,
    options.error ? `${id}-error` : null,
  ].filter(Boolean);
  return html`<div class="field${options.error ? " invalid" : ""}">
    <label for="${id}">${options.label}</label>
    ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ""}
    <input
      id="${id}"
      name="${options.name}"
      type="${type}"
      ${type === "file" ? "" : html` value="${value}"`}${options.required ? html` required` : ""}${
        options.autocomplete ? html` autocomplete="${options.autocomplete}"` : ""
      }${described.length ? html` aria-describedby="${described.join(" ")}"` : ""}${
        options.error ? html` aria-invalid="true"` : ""
      }${options.attributes ?? ""}
    />
    ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  </div>`;
}

/** A text area with its label, hint and error. */
export interface TextAreaOptions {
  name: string;
  label: string;
  id?: string;
  value?: string;
  error?: string;
  hint?: string;
  rows?: number;
}

/** A labelled text area, with its hint and error tied to it. */
export function textArea(options: TextAreaOptions): Html {
  const id = options.id ?? options.name;
  const described = [
    options.hint ? `${id}-hint` : null,
    options.error ? `${id}-error` : null,
  ].filter(Boolean);
  return html`<div class="field${options.error ? " invalid" : ""}">
    <label for="${id}">${options.label}</label>
    ${options.hint ? html`<p class="hint" id="${id}-hint">${options.hint}</p>` : ""}
    <textarea
      id="${id}"
      name="${options.name}"
      rows="${options.rows ?? 8}"
      ${
        described.length ? html` aria-describedby="${described.join(" ")}"` : ""
      }${options.error ? html` aria-invalid="true"` : ""}
    >
${options.value ?? ""}</textarea>
    ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  </div>`;
}

/** A choice from a list, with its label and error. */
export interface SelectOptions {
  name: string;
  label: string;
  id?: string;
  options: { value: string; label: string }[];
  value?: string;
  error?: string;
}

/** A labelled list of choices, with its error tied to it. */
export function select(options: SelectOptions): Html {
  const id = options.id ?? options.name;
  return html`<div class="field${options.error ? " invalid" : ""}">
    <label for="${id}">${options.label}</label>
    <select
      id="${id}"
      name="${options.name}"
      ${options.error ? html` aria-invalid="true" aria-describedby="${id}-error"` : ""}
    >
      ${options.options.map(
        (o) =>
          html`<option value="${o.value}" ${o.value === options.value ? html` selected` : ""}>
            ${o.label}
          </option>`,
      )}
    </select>
    ${options.error ? html`<p class="error" id="${id}-error">${options.error}</p>` : ""}
  </div>`;
}

/** The session's form token; every POST form carries it. */
export function csrf(token: string): Html {
  return html`<input type="hidden" name="_csrf" value="${token}" />`;
}

/** A one-button form: an action that needs no input beyond the token. */
export function actionButton(action: string, label: string, token: string, style = ""): Html {
  return html`<form method="post" action="${action}" class="inline">
    ${csrf(token)}<button type="submit" ${style ? html` class="${style}"` : ""}>${label}</button>
  </form>`;
}

/** What the API refused, said above the form when no field carries it. */
export function formAlert(detail: string | undefined): Html {
  return detail ? html`<p class="alert" role="alert">${detail}</p>` : html``;
}
