/**
 * Every problem code the source can answer with has an entry on
 * `/api/docs/problems`, which is where each problem's `type` links.
 */
import { afterAll, beforeAll, expect, test } from "bun:test";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { join } from "node:path";
import { PROBLEM_CATALOG } from "../src/http/problem-catalog.ts";
import { createTestAppliance } from "../src/testing/appliance.ts";
import type { TestAppliance } from "../src/testing/appliance.ts";

const ROOT = join(import.meta.dir, "..");
let kit: TestAppliance;

beforeAll(async () => {
  kit = await createTestAppliance();
});

afterAll(async () => {
  await kit.close();
});

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    if (statSync(path).isDirectory()) return name === "testing" ? [] : sources(path);
    return path.endsWith(".ts") && !path.endsWith(".test.ts") ? [path] : [];
  });
}

/**
 * Codes passed to the problem constructors and helpers, to pki's `fail`, and
 * pushed as pki issues (`issues.push({ code: … })`).
 */
function codesIn(text: string): string[] {
  const constructors =
    /(?:new Problem\(\s*\d+,\s*|\b(?:badRequest|forbidden|notFound|conflict|unprocessable|fail)\(\s*|\bissues\.push\(\{\s*code:\s*)"([a-z][a-z0-9_]*)"/g;
  return [...text.matchAll(constructors)].map((m) => m[1]);
}

test("every problem code in the source is explained in the catalog", () => {
  const used = new Map<string, string>();
  for (const file of [...sources(join(ROOT, "src")), ...sources(join(ROOT, "plugins"))]) {
    for (const code of codesIn(readFileSync(file, "utf8")))
      used.set(code, file.slice(ROOT.length + 1));
  }
  expect(used.size).toBeGreaterThan(40);
  const missing = [...used]
    .filter(([code]) => !(code in PROBLEM_CATALOG))
    .map(([c, f]) => `${c} (${f})`);
  expect(missing).toEqual([]);
});

test("a problem's type resolves to its entry on the problems page", async () => {
  const refused = await kit.request("GET", "/api/v1/users/nobody");
  expect(refused.json.type).toBe("/api/docs/problems#user_not_found");
  const page = await kit.request("GET", "/api/docs/problems", { key: null });
  expect(page.text).toContain('id="user_not_found"');
  expect(page.text).toContain('id="key_mismatch"');
});
