/**
 * The command line shared by `npm start`, `deno task start` and the single
 * binary. The runtime entry supplies what each command does; this module
 * parses the arguments and turns failures into one line on stderr and an
 * exit code: 0 ok, 2 configuration or usage error, 1 anything else.
 *
 * @module
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { ConfigError } from "./config.ts";
import { NotSetUpError } from "./runtime/commands.ts";
import { PortInUseError } from "./runtime/port-check.ts";
import { isProblem } from "./errors.ts";
import { PluginLoadError } from "./loader.ts";
import { MigrationError } from "./migrate.ts";
import { RouteDeclarationError } from "./http/router.ts";
import { SecretKeyMismatchError } from "./secrets.ts";
import { KERNEL_VERSION } from "./version.ts";

/** The interfaces a certificate command may name. */
export type CliInterface = "clean" | "admin";

export interface CertRegenerateOptions {
  keyAlgorithm?: string;
  validityDays?: number;
}

/** What each command does, given by the runtime entry. */
export interface CliActions {
  /** Serves until a signal stops the process. */
  serve(): Promise<void>;
  /** Applies pending migrations and prints what it applied. */
  migrate(): Promise<void>;
  /** Issues an administrator API key and prints it on stdout. */
  createAdminKey(login: string): Promise<void>;
  /** Prints the interface's active certificate. */
  certShow(iface: CliInterface, pem: boolean): Promise<void>;
  /** Replaces the interface's certificate and prints the new one. */
  certRegenerate(iface: CliInterface, options: CertRegenerateOptions): Promise<void>;
}

export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_CONFIG = 2;

function parseInterface(value: string): CliInterface {
  if (value === "clean" || value === "admin") return value;
  throw new InvalidArgumentError('the interface must be "clean" or "admin".');
}

function parseDays(value: string): number {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("it must be a whole number of days.");
  return Number(value);
}

function buildProgram(actions: CliActions, served: () => void): Command {
  const program = new Command()
    .name("portico")
    .description("Open integration appliance for malware-analysis sandboxes")
    .version(KERNEL_VERSION, "-v, --version")
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`portico: ${text}`) });

  program
    .command("serve")
    .description("run the appliance (configured by PORTICO_* environment variables)")
    .action(async () => {
      served();
      await actions.serve();
    });

  program
    .command("migrate")
    .description("apply pending database migrations, then exit")
    .action(() => actions.migrate());

  program
    .command("version")
    .description("print the version")
    .action(() => console.log(KERNEL_VERSION));

  const admin = program.command("admin").description("administrators");
  admin
    .command("create-key")
    .description("issue a new API key for an administrator and print it once on stdout")
    .option("--login <login>", "the administrator's login", "admin")
    .action((options: { login: string }) => actions.createAdminKey(options.login));

  const cert = program.command("cert").description("the interfaces' TLS certificates");
  cert
    .command("show")
    .description("print the active certificate's details as JSON")
    .argument("[interface]", "clean or admin", parseInterface, "clean")
    .option("--pem", "print the certificate as PEM instead")
    .action((iface: CliInterface, options: { pem?: boolean }) =>
      actions.certShow(iface, options.pem === true),
    );
  cert
    .command("regenerate")
    .description("replace the certificate with a new self-signed one for the hostname")
    .argument("[interface]", "clean or admin", parseInterface, "clean")
    .option("--key-algorithm <algorithm>", "ecdsa-p256 (default), ecdsa-p384, rsa-2048, …")
    .option("--validity-days <days>", "days the certificate is valid", parseDays)
    .action((iface: CliInterface, options: CertRegenerateOptions) =>
      actions.certRegenerate(iface, options),
    );

  return program;
}

/**
 * Whether a plugin's boot failure will happen again on every start: the
 * loader's own refusals, a failed migration, a route declared wrongly. A
 * plugin's setup that threw for another reason may work on a restart.
 */
function isPermanent(cause: unknown): boolean {
  return (
    cause === undefined || cause instanceof MigrationError || cause instanceof RouteDeclarationError
  );
}

/** The exit code for an error that reached the top. */
export function exitCodeOf(error: unknown): number {
  if (error instanceof CommanderError) return error.exitCode === 0 ? EXIT_OK : EXIT_CONFIG;
  const config =
    error instanceof ConfigError ||
    (error instanceof PluginLoadError && isPermanent(error.cause)) ||
    (isProblem(error) && error.status < 500) ||
    error instanceof SecretKeyMismatchError ||
    error instanceof PortInUseError ||
    error instanceof NotSetUpError;
  return config ? EXIT_CONFIG : EXIT_FAILURE;
}

/** The error as one line: a ConfigError's problems joined, never a stack. */
export function errorLine(error: unknown): string {
  if (error instanceof ConfigError) {
    return `invalid configuration: ${error.problems.join("; ")}`;
  }
  const message = error instanceof Error ? error.message : String(error);
  return message.replace(/\s*\n\s*/g, "; ");
}

/**
 * Runs the command in `argv` (without the program name; none means
 * `serve`). A command other than `serve` ends the process when it is done;
 * `serve` leaves it running.
 */
export async function runCli(argv: string[], actions: CliActions): Promise<void> {
  let serving = false;
  const program = buildProgram(actions, () => {
    serving = true;
  });
  try {
    await program.parseAsync(argv.length > 0 ? argv : ["serve"], { from: "user" });
  } catch (error) {
    // Commander has already printed its own usage errors and help.
    if (!(error instanceof CommanderError)) process.stderr.write(`portico: ${errorLine(error)}\n`);
    process.exit(exitCodeOf(error));
  }
  if (!serving) process.exit(EXIT_OK);
}
