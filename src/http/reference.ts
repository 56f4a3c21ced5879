/**
 * The API reference: one OpenAPI 3.1 document assembled from every router's
 * routes, a page that reads it, and the problem catalog that `type` links
 * point to. All served without a key, and without anything from outside.
 *
 * @module
 */
import type { Hono } from "hono";
import { html, raw } from "hono/html";
import { generateSpecs } from "hono-openapi";
import { KERNEL_VERSION } from "../version.ts";
import { open } from "./access.ts";
import type { AppEnv } from "./env.ts";
import { PROBLEM_CATALOG } from "./problem-catalog.ts";
import { referencePage } from "./reference-page.ts";
import type { Router } from "./router.ts";

const PROBLEM_SCHEMA = {
  type: "object",
  required: ["type", "title", "status", "detail", "code", "errors"],
  properties: {
    type: { type: "string" },
    title: { type: "string" },
    status: { type: "integer" },
    detail: { type: "string" },
    code: { type: "string" },
    errors: {
      type: "array",
      items: {
        type: "object",
        properties: { path: { type: "string" }, message: { type: "string" } },
      },
    },
  },
};

type Spec = Awaited<ReturnType<typeof generateSpecs>>;

/** Mounts the OpenAPI document, the reference page and the problem catalog page. */
export function referenceRoutes(app: () => Hono<AppEnv>, openapi: Router, docs: Router): void {
  let cached: Promise<Spec> | null = null;
  const spec = () =>
    (cached ??= generateSpecs(app(), {
      // Paths with a dot (openapi.json, certificate.pem) are API routes here.
      excludeStaticFile: false,
      documentation: {
        openapi: "3.1.0",
        info: {
          title: "Portico",
          version: KERNEL_VERSION,
          description:
            "The integration appliance's API. Authenticate with an API key as " +
            "`Authorization: Bearer <key>`; Threat Grid-compatible routes also take `api_key`.",
        },
        components: {
          securitySchemes: { apiKey: { type: "http", scheme: "bearer" } },
          schemas: { Problem: PROBLEM_SCHEMA as never },
        },
      },
    }));

  openapi.get("/", open(), { summary: "The OpenAPI 3.1 document" }, async (c) =>
    c.json(await spec()),
  );

  docs.get("/", open(), { summary: "The browsable API reference" }, async (c) =>
    c.html(referencePage(await spec(), KERNEL_VERSION)),
  );

  docs.get("/problems", open(), { summary: "What each problem code means" }, (c) => {
    const codes = Object.keys(PROBLEM_CATALOG).sort();
    return c.html(
      html`<!doctype html>
        <html lang="en">
          <head>
            <meta charset="utf-8" />
            <title>Portico problems</title>
          </head>
          <body>
            <h1>Problems</h1>
            <p>Every error is <code>application/problem+json</code> with one of these codes.</p>
            <dl>
              ${codes.map((code) => {
                const entry = PROBLEM_CATALOG[code];
                return html`<dt id="${code}">
                    <code>${code}</code> (${entry.status}) ${entry.title}
                  </dt>
                  <dd>${raw(escape(entry.remedy).replace(/`([^`]+)`/g, "<code>$1</code>"))}</dd>`;
              })}
            </dl>
          </body>
        </html>`,
    );
  });
}

function escape(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}
