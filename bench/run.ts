/**
 * `npm run bench`: runs every bench/*.ts except this one and soak.ts, one after the
 * other, each in its own Bun process, and fails if one fails.
 *
 * @module
 */
import { readdirSync } from "node:fs";
import { basename, join } from "node:path";

const here = import.meta.dir;
const benches = readdirSync(here)
  // The soak runs for minutes on its own: `npm run soak`.
  .filter(
    (name) => name.endsWith(".ts") && name !== basename(import.meta.path) && name !== "soak.ts",
  )
  .sort();

let failed = 0;
for (const name of benches) {
  console.log(`\n== ${name}`);
  const proc = Bun.spawn([process.execPath, join(here, name)], {
    stdout: "inherit",
    stderr: "inherit",
  });
  if ((await proc.exited) !== 0) failed++;
}
process.exit(failed === 0 ? 0 : 1);
