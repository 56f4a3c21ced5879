/**
 * Finds the system tools some suites need, failing with the command that
 * installs a missing one rather than skipping.
 *
 * @module
 */
import { spawnSync } from "node:child_process";

/** Debian's python3 with requests, as an existing Threat Grid script runs. */
export function pythonWithRequests(): string {
  const python = "/usr/bin/python3";
  const probe = spawnSync(python, ["-c", "import requests"], { encoding: "utf8" });
  if (probe.status !== 0) {
    throw new Error(
      `${python} with requests is needed: apt-get install -y python3-requests (${probe.stderr || probe.error})`,
    );
  }
  return python;
}
