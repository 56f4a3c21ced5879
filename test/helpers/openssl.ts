/**
 * Runs openssl for tests: to read what a server presents and to make
 * certificates the way operators do.
 *
 * @module
 */
import { spawnSync } from "node:child_process";

export function openssl(args: string[], input?: string): string {
  const result = spawnSync("openssl", args, { input, encoding: "utf8" });
  if (result.status !== 0) {
    throw new Error(`openssl ${args.join(" ")} failed: ${result.stderr}`);
  }
  return result.stdout;
}

/** The certificates a TLS server presents, PEM, leaf first. */
export function presentedCertificates(port: number, servername: string): string[] {
  const result = spawnSync(
    "openssl",
    ["s_client", "-connect", `127.0.0.1:${port}`, "-servername", servername, "-showcerts"],
    { input: "", encoding: "utf8", timeout: 10_000 },
  );
  const pems = result.stdout.match(/-----BEGIN CERTIFICATE-----[\s\S]+?-----END CERTIFICATE-----/g);
  if (!pems) throw new Error(`no certificate presented on port ${port}: ${result.stderr}`);
  return pems.map((p) => p + "\n");
}

/** `openssl x509 -text` of a PEM certificate. */
export function certificateText(pem: string): string {
  return openssl(["x509", "-noout", "-text"], pem);
}
