/**
 * csa-registration: gateways (ESA, WSA, SMA) register themselves over the
 * CSA API and learn their state. Every attempt is recorded.
 *
 * @module
 */
import { desc, eq } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { isProblem, parseInput } from "../../src/errors.ts";
import { allowInactive, open } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody, single } from "../../src/http/body.ts";
import { userDetailsPoint } from "../../src/identity.ts";
import { definePlugin } from "../../src/plugin.ts";
import type { PluginContext } from "../../src/plugin.ts";

import * as v from "valibot";
import { SourceLimiter } from "../../src/http/source-limiter.ts";
import { RegistrationInput } from "./input.ts";
import { tokenRoutes } from "./tokens.ts";
import type { Registration } from "./input.ts";
import { findDevice, register } from "./register.ts";
import type { RegistrationResult } from "./register.ts";
import { migrations, registrationAttempts } from "./schema.ts";

interface Attempt {
  source: string;
  fields: Record<string, unknown>;
  input?: Registration;
}

async function recordAttempt(
  ctx: PluginContext,
  tx: Executor,
  attempt: Attempt,
  outcome: string,
  status: number,
) {
  const clientId = single(attempt.fields.client_id);
  const deviceType = single(attempt.fields.device_type);
  const attributes: Record<string, string> = {};
  for (const key of ["model", "serial", "hostname", "software_version"]) {
    const value = single(attempt.fields[key]);
    if (typeof value === "string") attributes[key] = value.slice(0, 253);
  }
  await tx.insert(registrationAttempts).values({
    at: ctx.clock.now().toISOString(),
    clientId: typeof clientId === "string" ? clientId.slice(0, 100) : null,
    source: attempt.source,
    deviceType: typeof deviceType === "string" ? deviceType.slice(0, 20) : null,
    attributes,
    outcome,
    status,
  });
  await ctx.audit.record(tx, {
    actor: typeof clientId === "string" ? `device:${clientId.slice(0, 100)}` : "anonymous",
    action: "device.register",
    target: typeof clientId === "string" ? clientId.slice(0, 100) : null,
    source: attempt.source,
    outcome: status < 400 ? "success" : "refused",
    detail: { outcome, status },
  });
}

export default definePlugin({
  id: "csa-registration",
  version: "0.1.0",
  kernel: "^0.1.0",
  prefixes: ["/csa", "/api/v1/registration-tokens"],
  migrations,
  setup(ctx) {
    ctx.settings.define(
      "registration.policy",
      v.picklist(["open", "token"], "registration.policy must be open or token"),
      "open",
      "open: any device may register; token: a new device needs a registration token.",
    );
    ctx.settings.define(
      "registration.rate_limit_per_minute",
      v.pipe(v.number(), v.integer(), v.minValue(0), v.maxValue(100_000)),
      60,
      "Registration requests one source address may send per minute (0: no limit).",
    );
    const limiter = new SourceLimiter("registration", () => ctx.clock.now().getTime());
    tokenRoutes(ctx);
    const router = ctx.route("/csa");

    router.post(
      "/api/register",
      open(),
      {
        summary: "A gateway registers itself",
        body: RegistrationInput,
        bodyTypes: ["application/json", "application/x-www-form-urlencoded"],
        problems: [
          "invalid_request",
          "registration_token_required",
          "registration_token_invalid",
          "device_already_registered",
          "not_on_admin_interface",
          "rate_limited",
        ],
      },
      async (c) => {
        const attempt: Attempt = { source: c.get("sourceAddress"), fields: {} };
        try {
          limiter.take(
            attempt.source,
            await ctx.settings.get<number>(ctx.db.orm, "registration.rate_limit_per_minute"),
          );
          attempt.fields = await readBody(c);
          const fields = Object.fromEntries(
            Object.entries(attempt.fields)
              .filter(([k]) => k !== "api_key")
              .map(([k, value]) => [k, single(value)]),
          );
          attempt.input = parseInput(RegistrationInput, fields, "registration");
          const input = attempt.input;
          const result: RegistrationResult = await ctx.db.write(async (tx) => {
            const done = await register(ctx, tx, input, c.get("credential"), ctx.clock.now());
            await recordAttempt(ctx, tx, attempt, done.outcome, done.status);
            return done;
          });
          ctx.log.info(
            { login: result.body.login, outcome: result.outcome, source: attempt.source },
            result.outcome === "created" ? "device registered" : "device registered again",
          );
          return c.json(result.body, result.status);
        } catch (error) {
          // A flood is refused without a write per request.
          if (isProblem(error) && error.code !== "rate_limited") {
            await ctx.db.write((tx) => recordAttempt(ctx, tx, attempt, error.code, error.status));
            ctx.log.info(
              { code: error.code, source: attempt.source },
              "device registration refused",
            );
          }
          throw error;
        }
      },
    );

    router.get(
      "/api/status",
      allowInactive("device"),
      { summary: "The device's state" },
      async (c) => {
        const principal = principalOf(c);
        return c.json({
          login: principal.login,
          active: principal.active,
          organization_id: principal.organizationId,
        });
      },
    );

    ctx.provide(userDetailsPoint, {
      name: "registration",
      async load(db, user) {
        const device = await findDevice(db, user.id);
        const attempts = await db
          .select()
          .from(registrationAttempts)
          .where(eq(registrationAttempts.clientId, user.login))
          .orderBy(desc(registrationAttempts.id))
          .limit(50)
          .all();
        return {
          device: device
            ? {
                device_type: device.deviceType,
                model: device.model,
                serial: device.serial,
                hostname: device.hostname,
                software_version: device.softwareVersion,
                registered_at: device.registeredAt,
                last_registered_at: device.lastRegisteredAt,
              }
            : null,
          history: attempts.map((a) => ({
            at: a.at,
            source: a.source,
            outcome: a.outcome,
            status: a.status,
            device_type: a.deviceType,
            attributes: a.attributes,
          })),
        };
      },
    });
  },
});
