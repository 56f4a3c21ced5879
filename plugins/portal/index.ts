/**
 * portal: the administrator's web console under `/portal/`. Server-rendered
 * pages without scripts; every action goes through the HTTP API in this
 * process, with an API key that belongs to the signed-in session alone.
 *
 * @module
 */
import { open } from "../../src/http/access.ts";
import { registerProblems } from "../../src/http/problem-catalog.ts";
import { definePlugin } from "../../src/plugin.ts";
import { pruneFailures } from "./lockout.ts";
import { errorPage, securityHeaders, sessions } from "./middleware.ts";
import { auditPages } from "./pages/audit.ts";
import { caCertificatePages } from "./pages/ca-certificates.ts";
import { dashboardPage } from "./pages/dashboard.ts";
import { hostnamePages } from "./pages/hostname.ts";
import { organizationPages } from "./pages/organizations.ts";
import { signInRoutes } from "./pages/sign-in.ts";
import { sslPages } from "./pages/ssl.ts";
import { servicePages } from "./pages/services.ts";
import { serviceDetailPages } from "./pages/service-details.ts";
import { userDetailPages } from "./pages/user-details.ts";
import { userPages } from "./pages/users.ts";
import { migrations } from "./schema.ts";
import { expireSessions } from "./sessions.ts";
import { definePortalSettings, portalSettings } from "./settings.ts";
import { STYLESHEET } from "./static.ts";

export default definePlugin({
  id: "portal",
  version: "0.1.0",
  kernel: "^0.1.0",
  requires: ["user-activation"],
  prefixes: ["/portal"],
  migrations,
  setup(ctx) {
    registerProblems({
      csrf_token_invalid: {
        status: 403,
        title: "Form refused",
        remedy: "Reload the console page and send the form again.",
      },
      session_ended: {
        status: 401,
        title: "Session ended",
        remedy: "Sign in to the console again.",
      },
    });
    definePortalSettings(ctx.settings);
    const router = ctx.route("/portal", { documented: false });
    router.app.use(securityHeaders, sessions(ctx));
    router.app.onError(errorPage(ctx));

    router.get("/static/portal.css", open(), { summary: "The console's stylesheet" }, (c) =>
      c.body(STYLESHEET, 200, {
        "Content-Type": "text/css; charset=utf-8",
        "Cache-Control": "public, max-age=3600",
      }),
    );
    signInRoutes(ctx, router);
    dashboardPage(ctx, router);
    userPages(ctx, router);
    userDetailPages(ctx, router);
    organizationPages(ctx, router);
    sslPages(ctx, router);
    caCertificatePages(ctx, router);
    hostnamePages(ctx, router);
    servicePages(ctx, router);
    serviceDetailPages(ctx, router);
    auditPages(ctx, router);

    ctx.every("session-expiry", 60_000, async () => {
      await expireSessions(ctx);
      const limits = await portalSettings(ctx.settings, ctx.db.orm);
      await ctx.db.write((tx) => pruneFailures(tx, ctx.clock, limits));
    });
  },
});
