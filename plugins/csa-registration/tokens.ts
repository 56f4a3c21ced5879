/**
 * Registration tokens: with the `token` policy, a new device must present
 * one to get an account. Each has an expiry, an optional use count and an
 * optional organization the device joins.
 *
 * @module
 */
import { and, asc, eq, gt, isNull, lt, or, sql } from "drizzle-orm";
import * as v from "valibot";
import type { Executor } from "../../db/client.ts";
import { Problem, FIELDS_MESSAGE, notFound, parseInput } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import { rowId } from "../../src/http/paging.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { sha256Hex } from "../../src/services/keys.ts";
import { findOrganization } from "../../src/services/users.ts";
import { registrationTokens } from "./schema.ts";

type TokenRow = typeof registrationTokens.$inferSelect;

const NewToken = v.strictObject(
  {
    description: v.optional(v.pipe(v.string(), v.trim(), v.maxLength(200))),
    expires_in_hours: v.optional(
      v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(8760, "at most a year (8760)")),
      168,
    ),
    max_uses: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1), v.maxValue(100_000))),
    organization_id: v.optional(v.pipe(v.number(), v.integer(), v.minValue(1))),
  },
  FIELDS_MESSAGE,
);

function tokenView(row: TokenRow, now: Date) {
  const state = row.revokedAt
    ? "revoked"
    : Date.parse(row.expiresAt) <= now.getTime()
      ? "expired"
      : row.maxUses !== null && row.uses >= row.maxUses
        ? "used_up"
        : "valid";
  return {
    id: row.id,
    prefix: row.prefix,
    description: row.description,
    organization_id: row.organizationId,
    max_uses: row.maxUses,
    uses: row.uses,
    expires_at: row.expiresAt,
    created_at: row.createdAt,
    created_by: row.createdBy,
    revoked_at: row.revokedAt,
    state,
  };
}

export const invalidToken = () =>
  new Problem(
    401,
    "registration_token_invalid",
    "Registration token invalid",
    "The registration token is unknown, expired, used up or revoked: ask an administrator for a new one.",
    { errors: [{ path: "/registration_token", message: "not a valid token" }] },
  );

/**
 * Spends one use of a token inside the registration's transaction, as a
 * conditional update so that concurrent registrations cannot overspend it.
 * Returns the token's organization, if it names one.
 */
export async function spendToken(tx: Executor, token: string, now: Date): Promise<number | null> {
  const at = now.toISOString();
  const [row] = await tx
    .update(registrationTokens)
    .set({ uses: sql`${registrationTokens.uses} + 1` })
    .where(
      and(
        eq(registrationTokens.hash, await sha256Hex(token)),
        isNull(registrationTokens.revokedAt),
        gt(registrationTokens.expiresAt, at),
        or(
          isNull(registrationTokens.maxUses),
          lt(registrationTokens.uses, registrationTokens.maxUses),
        ),
      ),
    )
    .returning();
  if (!row) throw invalidToken();
  return row.organizationId;
}

export function tokenRoutes(ctx: PluginContext): void {
  const router = ctx.route("/api/v1/registration-tokens");

  router.get(
    "/",
    allow("admin"),
    { summary: "Registration tokens (never the tokens themselves)" },
    async (c) => {
      const rows = await ctx.db.orm
        .select()
        .from(registrationTokens)
        .orderBy(asc(registrationTokens.id))
        .all();
      const now = ctx.clock.now();
      return c.json({ items: rows.map((r) => tokenView(r, now)), next_cursor: null });
    },
  );

  router.post(
    "/",
    allow("admin"),
    {
      summary: "Create a registration token, shown once",
      body: NewToken,
      status: 201,
      problems: ["organization_not_found", "invalid_request", "malformed_json"],
    },
    async (c) => {
      const input = parseInput(NewToken, await readBody(c, ["json"]));
      if (
        input.organization_id !== undefined &&
        !(await findOrganization(ctx.db.orm, input.organization_id))
      ) {
        throw notFound(
          "organization_not_found",
          `No organization ${input.organization_id}: list them with GET /api/v1/organizations.`,
        );
      }
      const token =
        "rt_" +
        [...crypto.getRandomValues(new Uint8Array(24))]
          .map((b) => b.toString(16).padStart(2, "0"))
          .join("");
      const now = ctx.clock.now();
      const row = await ctx.db.write(async (tx) => {
        const [created] = await tx
          .insert(registrationTokens)
          .values({
            hash: await sha256Hex(token),
            prefix: token.slice(0, 9),
            description: input.description ?? null,
            organizationId: input.organization_id ?? null,
            maxUses: input.max_uses ?? null,
            expiresAt: new Date(now.getTime() + input.expires_in_hours * 3_600_000).toISOString(),
            createdAt: now.toISOString(),
            createdBy: principalOf(c).login,
          })
          .returning();
        await ctx.audit.record(tx, {
          actor: principalOf(c).login,
          action: "registration_token.create",
          target: String(created.id),
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: {
            prefix: created.prefix,
            max_uses: created.maxUses,
            organization_id: created.organizationId,
          },
        });
        return created;
      });
      return c.json({ ...tokenView(row, now), token }, 201);
    },
  );

  router.delete(
    "/:id",
    allow("admin"),
    {
      summary: "Revoke a registration token",
      status: 204,
      problems: ["registration_token_not_found"],
    },
    async (c) => {
      const id = rowId(c.req.param("id"));
      const at = ctx.clock.now().toISOString();
      await ctx.db.write(async (tx) => {
        const before =
          id === null
            ? undefined
            : await tx.select().from(registrationTokens).where(eq(registrationTokens.id, id)).get();
        const [row] = before
          ? await tx
              .update(registrationTokens)
              .set({ revokedAt: sql`coalesce(${registrationTokens.revokedAt}, ${at})` })
              .where(eq(registrationTokens.id, before.id))
              .returning()
          : [];
        if (!row) {
          throw notFound(
            "registration_token_not_found",
            `No registration token ${c.req.param("id")}: list them with GET /api/v1/registration-tokens.`,
          );
        }
        await ctx.audit.record(tx, {
          actor: principalOf(c).login,
          action: "registration_token.revoke",
          target: String(id),
          source: c.get("sourceAddress"),
          // Revoking a revoked token again is answered the same, and audited as such.
          outcome: before?.revokedAt ? "unchanged" : "success",
        });
      });
      return c.body(null, 204);
    },
  );
}
