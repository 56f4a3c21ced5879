/**
 * `GET|PATCH /api/v1/settings`: the settings every owner declared, read and
 * changed by an administrator. A PATCH is checked in full before anything
 * is stored, and stored in one transaction.
 *
 * @module
 */
import * as v from "valibot";
import { Problem, issuePointer } from "../errors.ts";
import type { FieldError } from "../errors.ts";
import { allow } from "../http/access.ts";
import { principalOf } from "../http/auth.ts";
import { readBody } from "../http/body.ts";
import type { RouteDoc, Router } from "../http/router.ts";
import type { KernelContext } from "../kernel-context.ts";
import type { Settings } from "../services/settings.ts";

/** Settings that have a route of their own, because changing them does more than store. */
const OWN_ROUTES: Record<string, string> = {
  "appliance.hostname": "PUT /api/v1/appliance/hostname",
};

/** What a PATCH may hold: each setting without a route of its own, in its declared schema. */
function patchSchema(settings: Settings): v.GenericSchema {
  const entries = settings
    .keys()
    .filter((key) => !OWN_ROUTES[key])
    .map((key) => [
      key,
      v.optional(v.pipe(settings.schemaOf(key), v.description(settings.describe(key)))),
    ]);
  return v.strictObject(Object.fromEntries(entries));
}

/** Mounts the settings routes. */
export function settingsRoutes(kernel: KernelContext, router: Router): void {
  const doc = {
    read: { summary: "Every setting with its current value" },
    change: {
      summary: "Change settings, all or none",
      description:
        "Send only the settings to change. Each value is checked against its setting; " +
        "if one is refused, nothing is stored. Answers every setting, as GET does.",
      // Plugins declare their settings after this route exists.
      body: () => patchSchema(kernel.settings),
      problems: ["invalid_setting", "malformed_json", "unsupported_media_type"],
    },
  } satisfies Record<string, RouteDoc>;

  router.get("/", allow("admin"), doc.read, async (c) =>
    c.json(await kernel.settings.all(kernel.db.orm)),
  );

  router.patch("/", allow("admin"), doc.change, async (c) => {
    const body = await readBody(c, ["json"]);
    const errors: FieldError[] = [];
    const values: [string, unknown][] = [];
    for (const [key, value] of Object.entries(body)) {
      const path = `/${key.replace(/~/g, "~0").replace(/\//g, "~1")}`;
      if (OWN_ROUTES[key]) {
        errors.push({ path, message: `change it with ${OWN_ROUTES[key]}` });
        continue;
      }
      if (!kernel.settings.has(key)) {
        errors.push({ path, message: "is not a setting: GET /api/v1/settings lists them" });
        continue;
      }
      const parsed = v.safeParse(kernel.settings.schemaOf(key), value);
      if (!parsed.success) {
        for (const issue of parsed.issues) {
          const sub = issuePointer(issue);
          errors.push({ path: sub === "/" ? path : path + sub, message: issue.message });
        }
        continue;
      }
      values.push([key, parsed.output]);
    }
    const patch = Object.fromEntries(values);
    for (const [key, value] of values) {
      const refusal = await kernel.settings.refusal(kernel.db.orm, key, value, patch);
      if (refusal) errors.push({ path: `/${key}`, message: refusal });
    }
    if (errors.length > 0) {
      throw new Problem(
        400,
        "invalid_setting",
        "Invalid setting",
        "Nothing was changed: correct the settings listed in errors and send them again.",
        { errors },
      );
    }
    await kernel.db.write(async (tx) => {
      for (const [key, value] of values) await kernel.settings.set(tx, key, value);
      await kernel.audit.record(tx, {
        actor: principalOf(c).login,
        action: "settings.update",
        source: c.get("sourceAddress"),
        outcome: "success",
        detail: Object.fromEntries(values),
      });
    });
    return c.json(await kernel.settings.all(kernel.db.orm));
  });
}
