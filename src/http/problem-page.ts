/**
 * Problems as HTML, for the paths a browser visits (`/portal/`): a person
 * reads the same title and detail a script would get as problem JSON.
 *
 * @module
 */
import type { Problem } from "../errors.ts";

/** Whether a path belongs to the web console, which answers HTML. */
export function wantsHtml(path: string): boolean {
  return path === "/portal" || path.startsWith("/portal/");
}

function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => `&#${ch.charCodeAt(0)};`);
}

/** A small page with the problem's title, detail and code, and a way back. */
export function problemPage(problem: Problem, headers: Record<string, string>): Response {
  const back =
    problem.status === 401
      ? '<a href="/portal/sign-in">Sign in</a>'
      : '<a href="/portal/">Back to the console</a>';
  const body =
    "<!doctype html>\n" +
    '<html lang="en"><head><meta charset="utf-8">' +
    `<title>${escapeHtml(problem.title)} — Portico</title></head>` +
    '<body><main class="problem">' +
    `<h1>${escapeHtml(problem.title)}</h1>` +
    `<p role="alert">${escapeHtml(problem.detail)}</p>` +
    `<p class="code">Code: <code>${escapeHtml(problem.code)}</code></p>` +
    `<p>${back}</p></main></body></html>\n`;
  return new Response(body, {
    status: problem.status,
    headers: { ...headers, "Content-Type": "text/html; charset=utf-8" },
  });
}
