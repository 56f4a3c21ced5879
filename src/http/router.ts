/**
 * The router a plugin gets for one of its declared prefixes. Every route
 * names its access rule, so a route without one cannot exist.
 *
 * @module
 */
import { Hono } from "hono";
import type { Handler, MiddlewareHandler } from "hono";
import { toJsonSchema } from "@valibot/to-json-schema";
import { describeRoute, resolver } from "hono-openapi";
import type * as v from "valibot";
import { isAccess } from "./access.ts";
import type { Access } from "./access.ts";
import type { AppEnv } from "./env.ts";

type Method = "get" | "post" | "put" | "patch" | "delete";

export type RouteHandler = Handler<AppEnv> | MiddlewareHandler<AppEnv>;

/** What the API reference says of a route; every field is optional. */
export interface RouteDoc {
  summary?: string;
  description?: string;
  /**
   * The JSON (or form) body the route reads; a function when the schema is
   * known only once every plugin has declared its part (read when the
   * reference is first built).
   */
  body?: v.GenericSchema | (() => v.GenericSchema);
  /** The media types of the body; default JSON. */
  bodyTypes?: string[];
  /** The query parameters the route reads. */
  query?: v.GenericSchema;
  /** The success status; default 200. */
  status?: number;
  /** The problem codes the route may answer with, for the reference. */
  problems?: string[];
}

/** A route as registered, for the API reference and the access matrix. */
export interface RouteRecord {
  method: string;
  path: string;
  access: Access;
  owner: string;
  /** False for pages that are not part of the API (the console). */
  documented: boolean;
}

/** A route declared without what every route needs: a fault in the code, never transient. */
export class RouteDeclarationError extends Error {
  override name = "RouteDeclarationError";
}

/** Turns an access rule into the middleware that enforces it. */
export type Guard = (access: Access) => MiddlewareHandler<AppEnv>;

type Rest = [RouteDoc | RouteHandler, ...RouteHandler[]];

export class Router {
  /** The Hono app mounted at {@link Router.prefix}. */
  readonly app = new Hono<AppEnv>({ strict: false });
  readonly routes: RouteRecord[] = [];

  constructor(
    readonly prefix: string,
    private readonly guard: Guard,
    /** `kernel` or the plugin id, used as the reference's tag. */
    readonly owner = "kernel",
    /** Pages for people (the console) stay out of the API reference. */
    readonly documented = true,
  ) {}

  get(path: string, access: Access, ...rest: Rest): this {
    return this.add("get", path, access, rest);
  }

  post(path: string, access: Access, ...rest: Rest): this {
    return this.add("post", path, access, rest);
  }

  put(path: string, access: Access, ...rest: Rest): this {
    return this.add("put", path, access, rest);
  }

  patch(path: string, access: Access, ...rest: Rest): this {
    return this.add("patch", path, access, rest);
  }

  delete(path: string, access: Access, ...rest: Rest): this {
    return this.add("delete", path, access, rest);
  }

  private add(method: Method, path: string, access: Access, rest: Rest): this {
    const route = `route ${method.toUpperCase()} ${this.prefix}${path}`;
    const doc = typeof rest[0] === "function" ? {} : (rest[0] as RouteDoc);
    const handlers = (typeof rest[0] === "function" ? rest : rest.slice(1)) as RouteHandler[];
    if (!isAccess(access)) {
      throw new RouteDeclarationError(
        `${route} has no access rule: pass open(), allow(...) or allowInactive(...) before its handlers`,
      );
    }
    if (handlers.length === 0) {
      throw new RouteDeclarationError(`${route} has no handler`);
    }
    this.routes.push({
      method: method.toUpperCase(),
      path: joinPath(this.prefix, path),
      access,
      owner: this.owner,
      documented: this.documented,
    });
    this.app.on(
      method.toUpperCase(),
      path,
      describeRoute({
        ...describe(this.owner, method, path, access, doc),
        ...(this.documented ? {} : { hide: true }),
      }),
      this.guard(access),
      ...(handlers as Handler<AppEnv>[]),
    );
    return this;
  }
}

/** The full path of a route, as Hono and the reference write it. */
export function joinPath(prefix: string, path: string): string {
  const joined = (prefix + (path === "/" ? "" : path)).replace(/\/+$/, "");
  return joined === "" ? "/" : joined;
}

function who(access: Access): string {
  if (access.open) return "Open: no API key needed.";
  const inactive = access.inactive ? " (inactive users too)" : "";
  return `Roles: ${access.roles.join(", ")}${inactive}.`;
}

/** The problems the access guard itself answers with, before any handler runs. */
function guardProblems(access: Access): string[] {
  if (access.open) return [];
  return ["unauthorized", ...(access.inactive ? [] : ["user_inactive"]), "role_forbidden"];
}

function describe(owner: string, method: Method, path: string, access: Access, doc: RouteDoc) {
  const status = String(doc.status ?? 200);
  const media = doc.bodyTypes ?? ["application/json"];
  const problems = [...new Set([...(doc.problems ?? []), ...guardProblems(access)])];
  return {
    tags: [owner],
    summary: doc.summary,
    description: [doc.description, who(access)].filter(Boolean).join("\n\n"),
    security: access.open ? [] : [{ apiKey: [] }],
    ...(problems.length ? { "x-problems": problems } : {}),
    ...(doc.body
      ? {
          requestBody: {
            required: true,
            content: Object.fromEntries(media.map((m) => [m, { schema: bodySchema(doc.body!) }])),
          },
        }
      : {}),
    responses: {
      [status]: { description: "Success" },
      default: {
        description: "A problem (RFC 9457)" + (problems.length ? `: ${problems.join(", ")}` : ""),
        content: {
          "application/problem+json": { schema: { $ref: "#/components/schemas/Problem" } },
        },
      },
    },
    parameters: [
      ...pathParameters(path),
      ...(method === "get" && doc.query ? queryParameters(doc.query) : []),
    ],
  };
}

/** A resolver for hono-openapi; a deferred schema is asked for only when the reference is built. */
function bodySchema(body: v.GenericSchema | (() => v.GenericSchema)) {
  if (typeof body !== "function") return resolver(body);
  const later = () => resolver(body());
  return {
    vendor: "valibot",
    validate: (value: unknown) => later().validate(value),
    toJSONSchema: (options?: Record<string, unknown>) => later().toJSONSchema(options),
    toOpenAPISchema: (options?: Record<string, unknown>) => later().toOpenAPISchema(options),
  };
}

/** The `:name` segments of a route path, as OpenAPI path parameters. */
function pathParameters(path: string) {
  return [...path.matchAll(/:([A-Za-z0-9_]+)/g)].map((m) => ({
    name: m[1],
    in: "path" as const,
    required: true,
    schema: { type: "string" as const },
  }));
}

/** Query parameters from a valibot object schema, with the types and limits it checks. */
function queryParameters(schema: v.GenericSchema) {
  // Transforms (text to number) have no JSON Schema; the string side is what a client sends.
  const json = toJsonSchema(schema, { errorMode: "ignore" }) as {
    properties?: Record<string, Record<string, unknown>>;
    required?: string[];
  };
  return Object.entries(json.properties ?? {}).map(([name, property]) => ({
    name,
    in: "query" as const,
    required: json.required?.includes(name) ?? false,
    schema: property,
  }));
}

/** Splits a prefix into its path segments: `/api/v1/users` → three. */
function segments(prefix: string): string[] {
  return prefix.split("/").filter(Boolean);
}

/** True when one prefix contains the other, segment by segment. */
export function prefixesOverlap(a: string, b: string): boolean {
  const sa = segments(a);
  const sb = segments(b);
  const n = Math.min(sa.length, sb.length);
  for (let i = 0; i < n; i++) if (sa[i] !== sb[i]) return false;
  return true;
}

export function isValidPrefix(prefix: string): boolean {
  return /^(\/[a-z0-9][a-z0-9._-]*)+$/.test(prefix);
}
