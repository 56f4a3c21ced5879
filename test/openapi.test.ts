/**
 * The API reference lists every route the appliance serves, in a document
 * that validates as OpenAPI 3.1, and every problem type link resolves.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import SwaggerParser from "@apidevtools/swagger-parser";
import { PROBLEM_CATALOG } from "../src/http/problem-catalog.ts";
import { createTestAppliance } from "../src/testing/appliance.ts";
import type { TestAppliance } from "../src/testing/appliance.ts";

let kit: TestAppliance;

beforeAll(async () => {
  kit = await createTestAppliance();
});

afterAll(async () => {
  await kit.close();
});

test("every route the app serves is in the OpenAPI document, with its access rule", async () => {
  const doc = (await kit.request("GET", "/api/v1/openapi.json", { key: null })).json;
  expect(doc.openapi).toBe("3.1.0");
  const routes = kit.appliance.routes.filter((r) => r.documented);
  expect(routes.length).toBeGreaterThan(40);
  for (const route of routes) {
    const path = route.path.replace(/:([A-Za-z0-9_]+)/g, "{$1}");
    const operation = doc.paths[path]?.[route.method.toLowerCase()];
    expect(operation, `${route.method} ${path}`).toBeDefined();
    expect(operation.tags).toEqual([route.owner]);
    expect(operation.security).toEqual(route.access.open ? [] : [{ apiKey: [] }]);
  }
  const documented = Object.values(doc.paths).reduce(
    (n: number, item) => n + Object.keys(item as object).length,
    0,
  );
  expect(documented).toBe(routes.length);
});

test("the document validates as OpenAPI 3.1", async () => {
  const doc = (await kit.request("GET", "/api/v1/openapi.json", { key: null })).json;
  await expect(SwaggerParser.validate(structuredClone(doc))).resolves.toBeDefined();
});

test("the reference page lists the routes and the problems page has an anchor per code", async () => {
  const page = await kit.request("GET", "/api/docs", { key: null });
  expect(page.status).toBe(200);
  expect(page.headers.get("content-type")).toContain("text/html");
  expect(page.text).toContain("POST /csa/api/register");
  expect(page.text).toContain("GET /api/v1/users/{login}");
  const problems = await kit.request("GET", "/api/docs/problems", { key: null });
  for (const code of Object.keys(PROBLEM_CATALOG)) expect(problems.text).toContain(`id="${code}"`);
});

/** Routes that read a body; every PUT and PATCH is checked besides. */
const BODY_ROUTES = [
  "POST /api/v2/samples",
  "POST /api/v1/tls/{iface}/certificate/regenerate",
  "POST /api/v1/ca-certificates",
  "POST /api/v1/registration-tokens",
  "POST /csa/api/register",
  "POST /api/v1/users",
  "POST /api/v1/organizations",
  "POST /api/v1/disposition-services",
  "POST /api/v1/disposition-services/{id}/replay",
];

async function documentedOperations() {
  const doc = (await kit.request("GET", "/api/v1/openapi.json", { key: null })).json;
  return Object.entries<Record<string, any>>(doc.paths).flatMap(([path, item]) =>
    Object.entries<Record<string, any>>(item).map(([method, op]) => ({
      name: `${method.toUpperCase()} ${path}`,
      method,
      op,
    })),
  );
}

test("every documented operation has a summary", async () => {
  const missing = (await documentedOperations()).filter(({ op }) => !op.summary?.trim());
  expect(missing.map((o) => o.name)).toEqual([]);
});

test("every route that reads a body documents its schema", async () => {
  const operations = await documentedOperations();
  const names = operations.map((o) => o.name);
  for (const name of BODY_ROUTES) expect(names).toContain(name);
  const missing = operations.filter(
    ({ name, method, op }) =>
      (BODY_ROUTES.includes(name) || method === "put" || method === "patch") &&
      !Object.values<any>(op.requestBody?.content ?? {}).some((m) => m.schema?.type === "object"),
  );
  expect(missing.map((o) => o.name)).toEqual([]);
});

test("every problem code an operation lists is in the catalog", async () => {
  for (const { name, op } of await documentedOperations()) {
    for (const code of op["x-problems"] ?? []) expect(PROBLEM_CATALOG, name).toHaveProperty(code);
  }
});

test("the settings body lists the settings plugins declare, not those with a route of their own", async () => {
  const doc = (await kit.request("GET", "/api/v1/openapi.json", { key: null })).json;
  const schema = doc.paths["/api/v1/settings"].patch.requestBody.content["application/json"].schema;
  expect(Object.keys(schema.properties)).toContain("deliveries.max_attempts");
  expect(Object.keys(schema.properties)).not.toContain("appliance.hostname");
});

test("the reference page shows an operation's fields, parameters and problems", async () => {
  const page = (await kit.request("GET", "/api/docs", { key: null })).text;
  expect(page).not.toContain("<script");
  const section = (id: string) => {
    const start = page.indexOf(`id="${id}"`);
    expect(start, id).toBeGreaterThan(-1);
    return page.slice(start, page.indexOf("</section>", start));
  };
  const create = section("op-postApiV1Users");
  expect(create).toContain("<code>organization_id</code>");
  expect(create).toContain("one of &quot;admin&quot;, &quot;org-admin&quot;, &quot;user&quot;");
  expect(create).toContain("<code>201</code>");
  expect(create).toContain('href="/api/docs/problems#login_in_use"');
  expect(create).toContain("Roles: admin, org-admin.");
  const hostname = section("op-putApiV1ApplianceHostname");
  expect(hostname).toContain("<code>hostname</code>");
  const verdicts = section("op-getApiV1Verdicts");
  expect(verdicts).toContain("<code>limit</code>");
  expect(page).toContain('href="#op-postApiV1Users"');
});

test("a trailing slash names the same page", async () => {
  const page = await kit.request("GET", "/api/docs/", { key: null });
  expect(page.status).toBe(200);
  expect(page.text).toContain("POST /csa/api/register");
});
