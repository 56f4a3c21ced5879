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
