/**
 * Renders a console page for the signed-in session, with the notice that a
 * redirect after a successful form asked for (`?done=<what>`).
 *
 * @module
 */
import type { Context } from "hono";
import type { AppEnv } from "../../../src/http/env.ts";
import { sessionOf } from "../request-state.ts";
import { page } from "./layout.ts";
import type { Html, PageOptions } from "./layout.ts";

const NOTICES: Record<string, string> = {
  activated: "The user is active.",
  deactivated: "The user is inactive.",
  "organization-added": "The organization was added.",
  "ca-added": "The certificate was added to the CA store.",
  "ca-already": "The certificate was already in the CA store.",
  "ca-removed": "The certificate was removed from the CA store.",
  "service-added": "The Disposition Update Service was added.",
  "service-saved": "The Disposition Update Service was saved.",
  "service-deleted": "The Disposition Update Service was deleted.",
  regenerated: "A new certificate was generated and is now served.",
  uploaded: "The uploaded certificate is now served.",
};

/** The form token of the request's session, for the forms of a page. */
export function tokenOf(c: Context<AppEnv>): string {
  return sessionOf(c).csrfToken;
}

/** Renders a page of the signed-in console with the notice its `?done=` asks for. */
export function render(
  c: Context<AppEnv>,
  options: Omit<PageOptions, "user">,
  content: Html,
  status = 200,
): Response | Promise<Response> {
  const session = sessionOf(c);
  const done = c.req.query("done");
  const notice = options.notice ?? (done ? NOTICES[done] : undefined);
  return c.html(
    page(
      { ...options, notice, user: { login: session.login, csrfToken: session.csrfToken } },
      content,
    ),
    status as 200,
  );
}
