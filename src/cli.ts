/**
 * The command line shared by `npm start` and the single binary.
 *
 * @module
 */
import { Command } from "commander";
import { ConfigError } from "./config.ts";
import { KERNEL_VERSION } from "./version.ts";

export interface CliActions {
  serve(): Promise<void>;
}

export async function runCli(argv: string[], actions: CliActions): Promise<void> {
  const program = new Command()
    .name("portico")
    .description("Open integration appliance for malware-analysis sandboxes")
    .version(KERNEL_VERSION, "-v, --version");

  program
    .command("serve", { isDefault: true })
    .description("run the appliance (configured by PORTICO_* environment variables)")
    .action(actions.serve);

  program
    .command("version")
    .description("print the version")
    .action(() => console.log(KERNEL_VERSION));

  try {
    await program.parseAsync(argv, { from: "user" });
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`portico: ${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`portico: ${(error as Error).message}\n`);
    process.exit(1);
  }
}
