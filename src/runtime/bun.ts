/**
 * The Bun entry (`npm start` and the single binary): the CLI, with `serve`
 * on Bun.serve. The composition root of a Bun process.
 *
 * @module
 */
import "reflect-metadata";
import { runCli } from "../cli.ts";
import { listen } from "./bun-server.ts";
import { fileSystemActions } from "./commands.ts";
import { serve } from "./serve.ts";

const env = process.env;
void runCli(
  process.argv.slice(2),
  fileSystemActions(env, () => serve(env, listen)),
);
