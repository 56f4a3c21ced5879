/**
 * The Deno entry (`deno task start`): the same CLI, with `serve` on
 * Deno.serve. Packages come from node_modules through Deno's npm
 * compatibility (run `npm ci` first).
 *
 * @module
 */
import "reflect-metadata";
import process from "node:process";
import { runCli } from "../cli.ts";
import { fileSystemActions } from "./commands.ts";
import { listen } from "./deno-server.ts";
import { serve } from "./serve.ts";

const env = process.env;
await runCli(
  process.argv.slice(2),
  fileSystemActions(env, () => serve(env, listen)),
);
