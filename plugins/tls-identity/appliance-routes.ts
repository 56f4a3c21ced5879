/**
 * `/api/v1/appliance`: the hostname and each interface's certificate state.
 * Changing the hostname never touches a certificate; it names the ones that
 * no longer match and the devices that will need the new one.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import * as v from "valibot";
import { users } from "../../db/schema.ts";
import { FIELDS_MESSAGE, parseInput, unprocessable } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import type { RouteDoc } from "../../src/http/router.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { normalizeHostname } from "../../src/pki/names.ts";
import { KERNEL_VERSION } from "../../src/version.ts";
import { certificateStates } from "./expiry.ts";
import { currentHostname } from "./provider.ts";

const HostnameInput = v.strictObject(
  {
    hostname: v.pipe(
      v.string("hostname is required"),
      v.trim(),
      v.minLength(1, "hostname is required"),
    ),
  },
  FIELDS_MESSAGE,
);

const DOC = {
  state: { summary: "The hostname, each interface's certificate state, and the version" },
  hostname: { summary: "The appliance's hostname" },
  setHostname: {
    summary: "Change the appliance's hostname",
    description:
      "No certificate changes: the answer warns of each interface whose certificate no " +
      "longer names the host, and lists the devices that will need the new one.",
    body: HostnameInput,
    problems: ["hostname_invalid", "invalid_request", "malformed_json"],
  },
} satisfies Record<string, RouteDoc>;

/** Every interface whose certificate does not name `hostname`, as warnings. */
async function mismatches(ctx: PluginContext, hostname: string) {
  const states = await certificateStates(ctx);
  return states
    .filter((state) => !state.hostname_matches)
    .map((state) => ({
      interface: state.interface,
      code: "hostname_mismatch",
      message:
        `The ${state.interface} certificate names ` +
        `${[...state.san.dns, ...state.san.ip].join(", ") || "no host"}, not ${hostname}: ` +
        "regenerate it " +
        `(POST /api/v1/tls/${state.interface}/certificate/regenerate) or upload one, then ` +
        "install it on every gateway.",
    }));
}

/** Mounts the appliance routes. */
export function applianceRoutes(ctx: PluginContext): void {
  const appliance = ctx.route("/api/v1/appliance");

  appliance.get("/", allow("admin"), DOC.state, async (c) => {
    const hostname = await currentHostname(ctx);
    const states = await certificateStates(ctx);
    const interfaces = ctx.appliance.interfaces.map((name) => {
      const state = states.find((s) => s.interface === name);
      return {
        name,
        certificate: state && {
          fingerprint_sha256: state.fingerprint_sha256,
          not_after: state.not_after,
        },
        hostname_matches: state?.hostname_matches ?? false,
        warnings: state?.warnings ?? [],
      };
    });
    return c.json({ hostname, interfaces, version: KERNEL_VERSION });
  });

  appliance.get("/hostname", allow("admin"), DOC.hostname, async (c) =>
    c.json({ hostname: await currentHostname(ctx) }),
  );

  appliance.put("/hostname", allow("admin"), DOC.setHostname, async (c) => {
    const input = parseInput(HostnameInput, await readBody(c, ["json"]));
    const normalized = normalizeHostname(input.hostname);
    if (!normalized.ok) {
      const issue = normalized.issues[0];
      throw unprocessable(issue.code, "Invalid hostname", issue.message, [
        { path: "/hostname", message: issue.message },
      ]);
    }
    const hostname = normalized.value;
    const previous = await ctx.db.write(async (tx) => {
      const before = await ctx.settings.get<string>(tx, "appliance.hostname");
      if (before === hostname) return before;
      await ctx.settings.set(tx, "appliance.hostname", hostname);
      await ctx.events.emit(tx, "hostname.changed", { hostname, previous: before });
      await ctx.audit.record(tx, {
        actor: principalOf(c).login,
        action: "appliance.hostname",
        target: hostname,
        source: c.get("sourceAddress"),
        outcome: "success",
        detail: { previous: before },
      });
      return before;
    });
    if (previous !== hostname) ctx.log.info({ hostname, previous }, "hostname changed");
    const warnings = await mismatches(ctx, hostname);
    const devices = warnings.length
      ? await ctx.db.orm
          .select({ login: users.login, active: users.active })
          .from(users)
          .where(eq(users.device, true))
          .all()
      : [];
    return c.json({
      hostname,
      previous,
      changed: previous !== hostname,
      warnings,
      devices_affected: devices,
    });
  });
}
