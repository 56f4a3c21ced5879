/**
 * The Bun entry: the CLI, and `serve` with Bun.serve. The composition root
 * of a Bun process.
 *
 * @module
 */
import "reflect-metadata";
import { runCli } from "../cli.ts";
import { serve } from "./serve.ts";

await runCli(process.argv.slice(2), { serve: () => serve(process.env) });
