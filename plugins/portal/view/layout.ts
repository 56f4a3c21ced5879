/**
 * The frame of every console page: a skip link, the navigation, the
 * signed-in user with the sign-out form, notices and the page's content.
 *
 * @module
 */
import { html } from "hono/html";
import type { HtmlEscapedString } from "hono/utils/html";

/** Rendered HTML, from hono/html. */
export type Html = HtmlEscapedString | Promise<HtmlEscapedString>;

/** The console's sections, in the order of the navigation. */
export const NAV = [
  { href: "/portal", label: "Dashboard" },
  { href: "/portal/users", label: "Users" },
  { href: "/portal/organizations", label: "Organizations" },
  { href: "/portal/ssl", label: "SSL" },
  { href: "/portal/ca-certificates", label: "CA Certificates" },
  { href: "/portal/hostname", label: "Hostname" },
  { href: "/portal/disposition-services", label: "Disposition Update Syndication Service" },
  { href: "/portal/audit", label: "Audit log" },
] as const;

/** What a page says around its content. */
export interface PageOptions {
  title: string;
  /** The navigation entry to mark as current. */
  section?: string;
  /** Present once signed in: the login and the form token for sign-out. */
  user?: { login: string; csrfToken: string };
  /** A message about what just happened, or what went wrong, above the content. */
  notice?: string;
  alert?: string;
}

/** A whole page: frame, title, notices and content. */
export function page(options: PageOptions, content: Html): Html {
  const { user } = options;
  return html`<!doctype html>
    <html lang="en">
      <head>
        <meta charset="utf-8" />
        <meta name="viewport" content="width=device-width, initial-scale=1" />
        <title>${options.title} — Portico</title>
        <link rel="stylesheet" href="/portal/static/portal.css" />
      </head>
      <body>
        <a class="skip" href="#content">Skip to content</a>
        <header>
          <p class="brand">Portico</p>
          ${
            user
              ? html`<nav aria-label="Console">
                    <ul>
                      ${NAV.map(
                        (item) =>
                          html`<li>
                            <a
                              href="${item.href}"
                              ${item.href === options.section ? html` aria-current="page"` : ""}
                              >${item.label}</a
                            >
                          </li>`,
                      )}
                    </ul>
                  </nav>
                  <form method="post" action="/portal/sign-out" class="sign-out">
                    <input type="hidden" name="_csrf" value="${user.csrfToken}" />
                    <span>Signed in as <strong>${user.login}</strong></span>
                    <button type="submit">Sign out</button>
                  </form>`
              : ""
          }
        </header>
        <main id="content" tabindex="-1">
          <h1>${options.title}</h1>
          ${options.notice ? html`<p class="notice" role="status">${options.notice}</p>` : ""}
          ${options.alert ? html`<p class="alert" role="alert">${options.alert}</p>` : ""}
          ${content}
        </main>
      </body>
    </html> `;
}

/** The rows of a table, or one row saying there are none, spanning every column. */
export function rowsOr<T>(items: T[], columns: number, none: string, row: (item: T) => Html) {
  return items.length > 0
    ? items.map(row)
    : html`<tr>
        <td colspan="${columns}" class="none">${none}</td>
      </tr>`;
}
