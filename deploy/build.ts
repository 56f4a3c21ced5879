/**
 * `npm run build`: compiles the appliance into one executable, `dist/portico`,
 * with the libSQL native addon embedded. Run with Bun.
 *
 * @module
 */
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import type { BunPlugin } from "bun";

const ROOT = join(import.meta.dir, "..");
/** `dist/portico`, or the path given as the first argument. */
const OUTFILE = process.argv[2] ?? join(ROOT, "dist", "portico");

/** The `@libsql/<target>` package that holds this machine's addon. */
function nativeAddonPath(): string {
  const require = createRequire(join(ROOT, "node_modules", "libsql", "index.js"));
  const { familySync, MUSL } = require("detect-libc") as typeof import("detect-libc");
  const libc = process.platform === "linux" ? (familySync() === MUSL ? "-musl" : "-gnu") : "";
  const target = `${process.platform}-${process.arch}${libc}`;
  try {
    return join(dirname(require.resolve(`@libsql/${target}/package.json`)), "index.node");
  } catch {
    throw new Error(
      `the libSQL addon for ${target} is not installed: run npm ci on the machine you build for`,
    );
  }
}

/**
 * libsql picks its addon with `require(\`@libsql/${target}\`)`, which a
 * bundler cannot follow; naming the file statically makes Bun embed it.
 */
function embedLibsqlAddon(addon: string): BunPlugin {
  return {
    name: "embed-libsql-addon",
    setup(build) {
      build.onLoad(
        { filter: /[\\/]node_modules[\\/]libsql[\\/](index|promise)\.js$/ },
        async (args) => {
          const source = await Bun.file(args.path).text();
          const computed = "require(`@libsql/${target}`)";
          if (!source.includes(computed)) {
            throw new Error(
              `${args.path} no longer loads its addon as ${computed}: update deploy/build.ts`,
            );
          }
          return {
            contents: source.replace(computed, `require(${JSON.stringify(addon)})`),
            loader: "js",
          };
        },
      );
    },
  };
}

const result = await Bun.build({
  entrypoints: [join(ROOT, "src", "runtime", "bun.ts")],
  compile: { outfile: OUTFILE },
  target: "bun",
  minify: true,
  bytecode: true,
  sourcemap: "linked",
  plugins: [embedLibsqlAddon(nativeAddonPath())],
});
if (!result.success) {
  for (const message of result.logs) console.error(message);
  process.exit(1);
}
console.log(`built ${OUTFILE}`);
