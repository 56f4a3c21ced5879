/**
 * user-activation: administrators find the users devices created, look at
 * them, activate or deactivate them and reset their keys; they create
 * people and integrations and organizations; every caller can ask who it is.
 *
 * @module
 */
import * as v from "valibot";
import { registerProblems } from "../../src/http/problem-catalog.ts";
import { definePlugin } from "../../src/plugin.ts";
import { compatibleRoutes } from "./compatible-routes.ts";
import { nativeRoutes } from "./native-routes.ts";
import { organizationRoutes } from "./organizations.ts";

export default definePlugin({
  id: "user-activation",
  version: "0.1.0",
  kernel: "^0.1.0",
  prefixes: [
    "/api/v1/users",
    "/api/v1/organizations",
    "/api/v3/session",
    "/api/v3/users",
    "/api/v3/organizations",
  ],
  setup(ctx) {
    registerProblems({
      own_account: {
        status: 409,
        title: "Not on your own account",
        remedy:
          "An administrator cannot deactivate or demote the account it is signed in with, so " +
          "that nobody locks themselves out: another administrator must do it.",
      },
      device_password: {
        status: 400,
        title: "Devices have no password",
        remedy: "Devices authenticate with their API key only.",
      },
    });
    ctx.settings.define(
      "devices.reregister_window_hours",
      v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(720)),
      24,
      "After an administrator resets a device's key, the hours in which it may register again.",
    );
    nativeRoutes(ctx);
    organizationRoutes(ctx);
    compatibleRoutes(ctx);
  },
});
