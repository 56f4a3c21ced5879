/**
 * ca-trust-store: the CA certificates (and pinned server certificates) the
 * outbound client trusts, and nothing else. It provides the kernel's
 * trust-anchors point, read before every outbound request.
 *
 * @module
 */
import * as v from "valibot";
import { QUERY_FIELDS_MESSAGE, notFound, parseInput, unprocessable } from "../../src/errors.ts";
import { pageLimit } from "../../src/http/paging.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { trustAnchorsPoint } from "../../src/identity.ts";
import { parseTrustAnchors } from "../../src/pki/index.ts";
import { registerProblems } from "../../src/http/problem-catalog.ts";
import { PKI_PROBLEMS } from "../../src/pki/problems.ts";
import type { RouteDoc } from "../../src/http/router.ts";
import { definePlugin } from "../../src/plugin.ts";
import { TRUST_STORE_CHANGED, anchorDependentsPoint } from "./dependents.ts";
import { JsonInput, readPostedCertificates } from "./input.ts";
import { nonAnchorMessage, nonAnchors, weakKeyWarnings, weakSignatureWarnings } from "./judge.ts";
import { migrations } from "./schema.ts";
import {
  activePems,
  allFingerprints,
  anchorView,
  deleteAnchor,
  findAnchor,
  insertAnchors,
  listAnchors,
  withoutAnsweredWarnings,
} from "./store.ts";

const Sha256Param = v.pipe(
  v.string(),
  v.regex(/^[0-9a-fA-F]{64}$/, "must be the certificate's SHA-256: 64 hexadecimal characters"),
  v.toLowerCase(),
);

const ListQuery = v.strictObject(
  {
    cursor: v.optional(Sha256Param),
    limit: pageLimit(500, 100),
  },
  QUERY_FIELDS_MESSAGE,
);

const DOC = {
  list: {
    summary: "Trusted CA and pinned certificates, by cursor",
    query: ListQuery,
    problems: ["invalid_request"],
  },
  get: {
    summary: "One trusted certificate, with its PEM",
    problems: ["ca_certificate_not_found", "invalid_request"],
  },
  add: {
    summary: "Trust CA certificates (or a service's self-signed certificate)",
    description:
      "JSON with `pem` or `der` (base64), a form with one field `file`, `certificate`, " +
      "`pem` or `der` (a file part is read as bytes), or the PEM or DER file itself as " +
      "the body. A server certificate issued by a CA is refused (`not_an_anchor`). " +
      "Answers 201 when a certificate was added, 200 when all were trusted already.",
    body: JsonInput,
    problems: [
      "invalid_request",
      "certificate_missing",
      "certificate_invalid",
      "pem_truncated",
      "der_garbled",
      "not_an_anchor",
    ],
  },
  delete: {
    summary: "Stop trusting a certificate",
    description: "A `Warning` header names the services whose TLS chain it anchored.",
    status: 204,
    problems: ["ca_certificate_not_found", "invalid_request"],
  },
} satisfies Record<string, RouteDoc>;

const anchorNotFound = (sha256: string) =>
  notFound(
    "ca_certificate_not_found",
    `No CA certificate with SHA-256 ${sha256}: GET /api/v1/ca-certificates lists them.`,
  );

export default definePlugin({
  id: "ca-trust-store",
  version: "0.1.0",
  kernel: "^0.1.0",
  prefixes: ["/api/v1/ca-certificates"],
  migrations,
  setup(ctx) {
    registerProblems({
      ...PKI_PROBLEMS,
      ca_certificate_not_found: {
        status: 404,
        title: "CA certificate not found",
        remedy: "Check the sha256; list the store with GET /api/v1/ca-certificates.",
      },
    });
    ctx.provide(trustAnchorsPoint, { anchors: () => activePems(ctx.db.orm, ctx.clock.now()) });
    const router = ctx.route("/api/v1/ca-certificates");

    router.get("/", allow("admin"), DOC.list, async (c) => {
      const query = parseInput(ListQuery, c.req.query(), "query");
      const { page, nextCursor } = await listAnchors(ctx.db.orm, query.cursor, query.limit);
      const now = ctx.clock.now();
      return c.json({ items: page.map((row) => anchorView(row, now)), next_cursor: nextCursor });
    });

    router.get("/:sha256", allow("admin"), DOC.get, async (c) => {
      const sha256 = parseInput(Sha256Param, c.req.param("sha256"), "path");
      const row = await findAnchor(ctx.db.orm, sha256);
      if (!row) throw anchorNotFound(sha256);
      return c.json({ ...anchorView(row, ctx.clock.now()), pem: row.pem });
    });

    router.post("/", allow("admin"), DOC.add, async (c) => {
      const posted = await readPostedCertificates(c);
      const actor = principalOf(c).login;
      const now = ctx.clock.now();
      const result = await ctx.db.write(async (tx) => {
        const parsed = parseTrustAnchors(posted.input, {
          trusted: await allFingerprints(tx),
          now,
          path: posted.path,
        });
        if (!parsed.ok) {
          const first = parsed.issues[0];
          throw unprocessable(
            first.code,
            "Certificate not readable",
            first.message,
            parsed.issues.map((i) => ({ path: i.path ?? posted.path, message: i.message })),
          );
        }
        const { anchors, already_trusted } = parsed.value;
        const leaves = nonAnchors(anchors);
        if (leaves.length > 0) {
          const messages = leaves.map(nonAnchorMessage);
          throw unprocessable(
            "not_an_anchor",
            "Not a trust anchor",
            `${messages[0]} Nothing was added.`,
            messages.map((message) => ({ path: posted.path, message })),
          );
        }
        const warnings = [
          ...(await withoutAnsweredWarnings(tx, anchors, parsed.value.warnings)),
          ...weakSignatureWarnings(anchors),
          ...weakKeyWarnings(anchors),
        ];
        const added = await insertAnchors(tx, anchors, actor, now.toISOString());
        if (added.length > 0) {
          await ctx.events.emit(tx, TRUST_STORE_CHANGED, {
            added: added.map((a) => a.sha256),
            removed: [],
          });
        }
        await ctx.audit.record(tx, {
          actor,
          action: "ca_certificate.add",
          target: added.map((a) => a.sha256).join(",") || null,
          source: c.get("sourceAddress"),
          outcome: added.length > 0 ? "success" : "unchanged",
          detail: {
            added: added.map((a) => ({ sha256: a.sha256, subject: a.subject, kind: a.kind })),
            already_trusted: already_trusted.map((a) => a.sha256),
          },
        });
        return { added, already_trusted, warnings };
      });
      if (result.added.length > 0) {
        ctx.log.info(
          { added: result.added.map((a) => a.sha256), by: actor },
          "CA certificates added",
        );
      }
      return c.json(
        {
          added: result.added.map((row) => anchorView(row, now)),
          already_trusted: result.already_trusted,
          warnings: result.warnings,
        },
        result.added.length > 0 ? 201 : 200,
      );
    });

    router.delete("/:sha256", allow("admin"), DOC.delete, async (c) => {
      const sha256 = parseInput(Sha256Param, c.req.param("sha256"), "path");
      const actor = principalOf(c).login;
      const dependents = await ctx.db.write(async (tx) => {
        const row = await findAnchor(tx, sha256);
        if (!row) throw anchorNotFound(sha256);
        const names: string[] = [];
        for (const provider of ctx.extensions(anchorDependentsPoint)) {
          names.push(...(await provider.dependentsOf(tx, sha256)));
        }
        await deleteAnchor(tx, sha256);
        await ctx.events.emit(tx, TRUST_STORE_CHANGED, { added: [], removed: [sha256] });
        await ctx.audit.record(tx, {
          actor,
          action: "ca_certificate.delete",
          target: sha256,
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { subject: row.subject, anchored: names },
        });
        return names;
      });
      ctx.log.info({ sha256, by: actor, anchored: dependents }, "CA certificate deleted");
      if (dependents.length > 0) {
        const list = dependents.join("; ").replace(/["\\\r\n]/g, "");
        c.header(
          "Warning",
          `299 portico "This certificate anchored the TLS chain of: ${list}. ` +
            'Their next connections will fail verification until a CA that anchors them is added."',
        );
      }
      return c.body(null, 204);
    });
  },
});
