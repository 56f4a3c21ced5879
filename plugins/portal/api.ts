/**
 * The console acts only through the HTTP API, called in this process with
 * the session's own API key: the API validates, authorizes and audits as
 * for any caller, and its problems come back to be shown beside the form.
 *
 * @module
 */
import type { Context } from "hono";
import { Problem } from "../../src/errors.ts";
import type { FieldError } from "../../src/errors.ts";
import type { ConnectionInfo } from "../../src/http/app.ts";
import type { AppEnv } from "../../src/http/env.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { sessionOf } from "./request-state.ts";

/** A problem the API answered with, as the console shows it. */
export interface ApiProblem {
  status: number;
  code: string;
  title: string;
  detail: string;
  errors: FieldError[];
}

/** The API's answer, read whole. */
export interface ApiAnswer {
  status: number;
  ok: boolean;
  headers: Headers;
  /** The body parsed as JSON, or null. */
  json: any;
  bytes: Uint8Array;
  problem: ApiProblem | null;
}

/** A JSON body, a multipart form, or raw bytes with their media type. */
export type ApiBody = { json: unknown } | { form: FormData } | { bytes: Uint8Array; type: string };

/** Calls the API in process as the session's user. */
export type Api = (method: string, path: string, body?: ApiBody) => Promise<ApiAnswer>;

/** The API, as the signed-in user of this request, from where the request came. */
export function apiFor(ctx: PluginContext, c: Context<AppEnv>): Api {
  const session = sessionOf(c);
  const connection: ConnectionInfo = {
    remoteAddress: c.get("sourceAddress"),
    iface: ((c.env ?? {}) as ConnectionInfo).iface,
  };
  return async (method, path, body) => {
    const headers = new Headers({ authorization: `Bearer ${session.apiKey}` });
    let payload: BodyInit | undefined;
    if (body && "json" in body) {
      headers.set("content-type", "application/json");
      payload = JSON.stringify(body.json);
    } else if (body && "form" in body) {
      payload = body.form;
    } else if (body) {
      headers.set("content-type", body.type);
      payload = body.bytes as Uint8Array<ArrayBuffer>;
    }
    const url = new URL(path, c.req.url);
    const response = await ctx.fetch(
      new Request(url, { method, headers, body: payload }),
      connection,
    );
    return read(response);
  };
}

async function read(response: Response): Promise<ApiAnswer> {
  const bytes = new Uint8Array(await response.arrayBuffer());
  let json: any = null;
  if (/json/.test(response.headers.get("content-type") ?? "")) {
    try {
      json = JSON.parse(new TextDecoder().decode(bytes));
    } catch {
      json = null;
    }
  }
  if (response.status === 401) {
    // The session's key was revoked (a key reset, a deactivation): the session is over.
    throw new Problem(401, "session_ended", "Session ended", "Your session ended: sign in again.");
  }
  const problem: ApiProblem | null =
    response.ok || !json
      ? null
      : {
          status: response.status,
          code: String(json.code ?? "error"),
          title: String(json.title ?? "Refused"),
          detail: String(json.detail ?? `The API answered ${response.status}.`),
          errors: Array.isArray(json.errors) ? json.errors : [],
        };
  return {
    status: response.status,
    ok: response.ok,
    headers: response.headers,
    json,
    bytes,
    problem,
  };
}

/** Throws an API refusal the page has no form for, to be shown as an error page. */
export function expectOk(answer: ApiAnswer): ApiAnswer {
  if (answer.ok) return answer;
  const p = answer.problem;
  throw new Problem(
    answer.status,
    p?.code ?? "error",
    p?.title ?? "Refused",
    p?.detail ?? `The API answered ${answer.status}.`,
  );
}

/** The API's field errors by form field name (`/private_key` → `private_key`). */
export function fieldErrors(problem: ApiProblem | null): Record<string, string> {
  const out: Record<string, string> = {};
  for (const error of problem?.errors ?? []) {
    const name = error.path.replace(/^\//, "").split("/")[0];
    if (name && !(name in out)) out[name] = error.message;
  }
  return out;
}
