/**
 * Which routes each interface serves. The `admin` interface serves only the
 * administration API, its documentation, the portal and the health checks;
 * the `clean` interface serves everything unless the administrator moved the
 * administration API to the `admin` interface alone.
 *
 * @module
 */
import type { MiddlewareHandler } from "hono";
import * as v from "valibot";
import { Problem } from "../errors.ts";
import type { InterfaceName } from "../identity.ts";
import type { KernelContext } from "../kernel-context.ts";
import type { Settings } from "../services/settings.ts";
import type { AppEnv } from "./env.ts";

/** The setting that lets the clean interface serve the administration API. */
export const CLEAN_ADMIN_API = "interfaces.clean.admin_api";

const ADMIN_PATHS = ["/api/v1", "/api/docs", "/portal", "/healthz", "/readyz"];
const ADMINISTRATION_PATHS = ["/api/v1", "/portal"];

function under(path: string, prefixes: string[]): boolean {
  return prefixes.some((prefix) => path === prefix || path.startsWith(prefix + "/"));
}

/**
 * Declares {@link CLEAN_ADMIN_API}. Without an admin interface it cannot be
 * turned off, as that would leave no way to administer the appliance.
 */
export function defineInterfaceSettings(settings: Settings, hasAdminInterface: boolean): void {
  settings.define(
    CLEAN_ADMIN_API,
    v.pipe(
      v.boolean("must be true or false"),
      v.check(
        (value) => value || hasAdminInterface,
        "cannot be false: this appliance has no admin interface (PORTICO_ADMIN_PORT), so the " +
          "administration API would be unreachable",
      ),
    ),
    true,
    "Whether the clean interface serves the administration API (/api/v1) and the portal. " +
      "Set it to false to administer the appliance only on the admin interface.",
  );
}

/** Refuses requests for routes the interface they arrived on does not serve. */
export function interfaceScope(kernel: KernelContext): MiddlewareHandler<AppEnv> {
  const adminPort = kernel.config.adminPort;
  return async (c, next) => {
    const iface = ((c.env ?? {}) as { iface?: InterfaceName }).iface ?? "clean";
    const path = c.req.path;
    if (iface === "admin" && !under(path, ADMIN_PATHS)) {
      throw new Problem(
        404,
        "not_on_admin_interface",
        "Not served on the admin interface",
        `The admin interface serves only ${ADMIN_PATHS.join(", ")}; ${path} is served on the ` +
          "clean interface, where devices connect.",
      );
    }
    if (iface === "clean" && adminPort && under(path, ADMINISTRATION_PATHS)) {
      const allowed = await kernel.settings.get<boolean>(kernel.db.orm, CLEAN_ADMIN_API);
      if (!allowed) {
        throw new Problem(
          403,
          "admin_interface_only",
          "Administration only on the admin interface",
          `The administration API is served only on the admin interface (port ${adminPort}); ` +
            `send this request there, or set ${CLEAN_ADMIN_API} to true.`,
        );
      }
    }
    await next();
  };
}
