/**
 * The API reference as one HTML page, read from the OpenAPI document: per
 * operation its summary, who may call it, its parameters and body fields
 * with their limits, its success status and the problems it answers with.
 * No script and nothing fetched: it reads the same offline.
 *
 * @module
 */
import { html, raw } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";
import { PROBLEM_CATALOG } from "./problem-catalog.ts";

type Html = HtmlEscapedString | Promise<HtmlEscapedString>;
type Json = Record<string, any>;

/** One row of a fields or parameters table. */
interface Field {
  name: string;
  type: string;
  required: boolean;
  constraints: string[];
  description?: string;
}

interface Operation {
  method: string;
  path: string;
  anchor: string;
  op: Json;
}

const STYLE = `
body { font: 15px/1.5 system-ui, sans-serif; max-width: 60rem; margin: 2rem auto; padding: 0 1rem; }
code { font-family: ui-monospace, monospace; font-size: 0.92em; }
h3 code { font-size: 1em; }
section.operation { border-top: 1px solid #ccc; margin-top: 1.5rem; }
table { border-collapse: collapse; margin: 0.5rem 0; }
th, td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; text-align: left; vertical-align: top; }
th { background: #f3f3f3; }
`;

/** Renders the reference page from an OpenAPI 3.1 document. */
export function referencePage(document: Json, version: string): Html {
  const schemas: Json = document.components?.schemas ?? {};
  const byTag = new Map<string, Operation[]>();
  for (const [path, item] of Object.entries<Json>(document.paths ?? {})) {
    for (const [method, op] of Object.entries<Json>(item ?? {})) {
      const tag = op.tags?.[0] ?? "other";
      const anchor = `op-${op.operationId ?? slug(`${method} ${path}`)}`;
      byTag.set(tag, [...(byTag.get(tag) ?? []), { method, path, anchor, op }]);
    }
  }
  const tags = [...byTag.entries()].sort(([a], [b]) => a.localeCompare(b));
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <title>Portico API reference</title>
        <style>
          ${raw(STYLE)}
        </style>
      </head>
      <body>
        <h1>Portico API reference</h1>
        <p>
          Version ${version}. Authenticate with an API key as
          <code>Authorization: Bearer &lt;key&gt;</code>. The machine-readable document is
          <a href="/api/v1/openapi.json">/api/v1/openapi.json</a>; every error is
          <code>application/problem+json</code> with a code explained under
          <a href="/api/docs/problems">problems</a>.
        </p>
        <nav aria-label="Contents">
          <h2>Contents</h2>
          <ul>
            ${tags.map(
              ([tag, ops]) =>
                html`<li>
                  <a href="#tag-${slug(tag)}">${tag}</a>
                  <ul>
                    ${ops.map(
                      ({ method, path, anchor, op }) =>
                        html`<li>
                          <a href="#${anchor}"><code>${method.toUpperCase()} ${path}</code></a>
                          ${op.summary ? html` — ${op.summary}` : ""}
                        </li>`,
                    )}
                  </ul>
                </li>`,
            )}
          </ul>
        </nav>
        <main>
          ${tags.map(
            ([tag, ops]) =>
              html`<section id="tag-${slug(tag)}">
                <h2>${tag}</h2>
                ${ops.map((operation) => operationSection(operation, schemas))}
              </section>`,
          )}
        </main>
      </body>
    </html>`;
}

function operationSection({ method, path, anchor, op }: Operation, schemas: Json): Html {
  const parameters: Field[] = (op.parameters ?? []).map((p: Json) => ({
    name: p.in === "path" ? `{${p.name}}` : p.name,
    type: `${p.in}: ${typeName(p.schema ?? {}, schemas)}`,
    required: Boolean(p.required),
    constraints: constraints(p.schema ?? {}, schemas),
    description: p.description,
  }));
  const success = Object.keys(op.responses ?? {}).filter((status) => status !== "default");
  const problems: string[] = op["x-problems"] ?? [];
  return html`<section class="operation" id="${anchor}">
    <h3><code>${method.toUpperCase()} ${path}</code></h3>
    ${op.summary ? html`<p><strong>${op.summary}</strong></p>` : ""}
    ${(op.description ?? "")
      .split("\n\n")
      .filter(Boolean)
      .map((paragraph: string) => html`<p>${withCode(paragraph)}</p>`)}
    ${
      parameters.length
        ? html`<h4>Parameters</h4>
            ${fieldTable(parameters)}`
        : ""
    }
    ${requestBody(op.requestBody, schemas)}
    <h4>Answers</h4>
    <ul>
      ${success.map(
        (status) =>
          html`<li>
            <code>${status}</code> on success${status === "204" ? ", with no body" : ""}
          </li>`,
      )}
      ${
        problems.length
          ? html`<li>
              Problems:
              ${problems.map(
                (code, i) =>
                  html`${i > 0 ? ", " : ""}<a href="/api/docs/problems#${code}"
                      ><code>${code}</code></a
                    >${PROBLEM_CATALOG[code] ? ` (${PROBLEM_CATALOG[code].status})` : ""}`,
              )}
            </li>`
          : ""
      }
    </ul>
  </section>`;
}

function requestBody(body: Json | undefined, schemas: Json): Html | string {
  if (!body?.content) return "";
  const media = Object.keys(body.content);
  const schema = resolve(body.content[media[0]]?.schema ?? {}, schemas);
  const rows = fieldsOf(schema, schemas, "");
  const closed = schema.additionalProperties === false;
  return html`<h4>Body</h4>
    <p>
      ${media.map((m, i) => html`${i > 0 ? " or " : ""}<code>${m}</code>`)}${
        body.required ? "" : " (optional)"
      }.
      ${closed ? "Fields not listed here are refused." : ""}
    </p>
    ${rows.length ? fieldTable(rows) : html`<p>A <code>${typeName(schema, schemas)}</code>.</p>`}`;
}

function fieldTable(rows: Field[]): Html {
  return html`<table>
    <thead>
      <tr>
        <th>Name</th>
        <th>Type</th>
        <th>Required</th>
        <th>Constraints</th>
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (row) =>
          html`<tr>
            <td><code>${row.name}</code></td>
            <td>${row.type}</td>
            <td>${row.required ? "yes" : "no"}</td>
            <td>
              ${row.constraints.join("; ")}${
                row.description
                  ? html`${row.constraints.length ? ". " : ""}${withCode(row.description)}`
                  : ""
              }
            </td>
          </tr>`,
      )}
    </tbody>
  </table>`;
}

/** The fields of an object schema, nested objects as `parent.child`, array items as `parent[]`. */
function fieldsOf(schema: Json, schemas: Json, prefix: string): Field[] {
  const rows: Field[] = [];
  const required = new Set<string>(schema.required ?? []);
  for (const [name, raw] of Object.entries<Json>(schema.properties ?? {})) {
    const property = resolve(raw, schemas);
    const path = prefix + name;
    rows.push({
      name: path,
      type: typeName(property, schemas),
      required: required.has(name),
      constraints: constraints(property, schemas),
      description: property.description,
    });
    if (property.properties) rows.push(...fieldsOf(property, schemas, `${path}.`));
    const items = property.items && resolve(property.items, schemas);
    if (items?.properties) rows.push(...fieldsOf(items, schemas, `${path}[].`));
  }
  if (schema.additionalProperties && typeof schema.additionalProperties === "object") {
    const other = resolve(schema.additionalProperties, schemas);
    rows.push({
      name: `${prefix}*`,
      type: typeName(other, schemas),
      required: false,
      constraints: ["any name", ...constraints(other, schemas)],
    });
  }
  return rows;
}

function typeName(raw: Json, schemas: Json): string {
  const schema = resolve(raw, schemas);
  const members = schema.anyOf ?? schema.oneOf;
  if (members) return [...new Set(members.map((m: Json) => typeName(m, schemas)))].join(" or ");
  if ("const" in schema) return JSON.stringify(schema.const);
  const type = Array.isArray(schema.type) ? schema.type.join(" or ") : schema.type;
  if (type === "array") return `array of ${schema.items ? typeName(schema.items, schemas) : "any"}`;
  return type ?? (schema.enum ? typeof schema.enum[0] : "any");
}

function constraints(raw: Json, schemas: Json): string[] {
  const schema = resolve(raw, schemas);
  const out: string[] = [];
  if (schema.enum)
    out.push(`one of ${schema.enum.map((e: unknown) => JSON.stringify(e)).join(", ")}`);
  for (const member of schema.anyOf ?? schema.oneOf ?? [])
    out.push(...constraints(member, schemas));
  if (schema.format) out.push(`format ${schema.format}`);
  if (schema.pattern) out.push(`matches ${schema.pattern}`);
  const range = (min: unknown, max: unknown, unit: string) => {
    if (min !== undefined && max !== undefined) out.push(`${min} to ${max}${unit}`);
    else if (min !== undefined) out.push(`at least ${min}${unit}`);
    else if (max !== undefined) out.push(`at most ${max}${unit}`);
  };
  range(schema.minLength, schema.maxLength, " characters");
  range(schema.minimum, schema.maximum, "");
  if (schema.exclusiveMinimum !== undefined) out.push(`more than ${schema.exclusiveMinimum}`);
  if (schema.exclusiveMaximum !== undefined) out.push(`less than ${schema.exclusiveMaximum}`);
  range(schema.minItems, schema.maxItems, " items");
  if (schema.default !== undefined) out.push(`default ${JSON.stringify(schema.default)}`);
  return out;
}

/** Follows a `$ref` into the document's component schemas. */
function resolve(schema: Json, schemas: Json): Json {
  const ref: unknown = schema?.$ref;
  if (typeof ref !== "string" || !ref.startsWith("#/components/schemas/")) return schema ?? {};
  return schemas[ref.slice("#/components/schemas/".length)] ?? {};
}

/** Text with `backticks` shown as code; everything else escaped. */
function withCode(text: string): Html {
  const parts = text.split(/`([^`]+)`/);
  return html`${parts.map((part, i) => (i % 2 ? html`<code>${part}</code>` : part))}`;
}

function slug(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-|-$/g, "");
}
