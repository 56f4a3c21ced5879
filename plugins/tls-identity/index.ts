/**
 * tls-identity: the appliance's hostname and each interface's certificate —
 * generated on first boot, shown, downloaded and regenerated.
 *
 * @module
 */
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";
import { eq } from "drizzle-orm";
import * as v from "valibot";
import { users } from "../../db/schema.ts";
import { notFound, parseInput, unprocessable } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import { tlsIdentityPoint } from "../../src/identity.ts";
import type { InterfaceName } from "../../src/identity.ts";
import { definePlugin } from "../../src/plugin.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { normalizeHostname } from "../../src/pki/names.ts";
import { KERNEL_VERSION } from "../../src/version.ts";
import { certificateDetails, pemBlocks } from "./certificate.ts";
import {
  MAX_VALIDITY_DAYS,
  createProvider,
  currentHostname,
  selfSigned,
} from "./provider.ts";
import { migrations } from "./schema.ts";
import { activeCertificate, replaceCertificate } from "./store.ts";

const KEY_ALGORITHMS = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"] as const;

const RegenerateInput = v.object({
  key_algorithm: v.optional(
    v.picklist(KEY_ALGORITHMS, `key_algorithm must be one of ${KEY_ALGORITHMS.join(", ")}`),
  ),
  validity_days: v.optional(
    v.pipe(
      v.number("validity_days must be a number of days"),
      v.integer("validity_days must be a whole number"),
      v.minValue(1, "validity_days must be at least 1"),
      v.maxValue(MAX_VALIDITY_DAYS, `validity_days must be at most ${MAX_VALIDITY_DAYS}`),
    ),
  ),
});

const HostnameInput = v.object({
  hostname: v.pipe(v.string("hostname is required"), v.trim(), v.minLength(1, "hostname is required")),
});

function requireInterface(ctx: PluginContext, name: string | undefined): InterfaceName {
  const known = ctx.appliance.interfaces as string[];
  if (name && known.includes(name)) return name as InterfaceName;
  throw notFound(
    "interface_not_found",
    `No interface "${name}": this appliance has ${known.join(" and ")}.`,
  );
}

/** Every interface whose certificate does not name `hostname`, as warnings. */
async function mismatches(ctx: PluginContext, hostname: string) {
  const warnings: { interface: string; code: string; message: string }[] = [];
  for (const iface of ctx.appliance.interfaces) {
    const row = await activeCertificate(ctx.db.orm, iface);
    if (!row) continue;
    const details = certificateDetails(row, hostname, ctx.clock.now());
    if (!details.hostname_matches) {
      warnings.push({
        interface: iface,
        code: "hostname_mismatch",
        message:
          `The ${iface} certificate names ${details.san.dns.join(", ") || "no host"}, not ${hostname}: ` +
          `regenerate it (POST /api/v1/tls/${iface}/certificate/regenerate) or upload one, ` +
          "then install it on every gateway.",
      });
    }
  }
  return warnings;
}

export default definePlugin({
  id: "tls-identity",
  version: "0.1.0",
  kernel: "^0.1.0",
  prefixes: ["/api/v1/appliance", "/api/v1/tls"],
  migrations,
  setup(ctx) {
    const provider = createProvider(ctx);
    ctx.provide(tlsIdentityPoint, provider);
    ctx.onStart(async () => {
      for (const iface of ctx.appliance.interfaces) await provider.ensure(iface);
    });
    ctx.every("certificate-watch", 3_000, () => provider.poll());

    const appliance = ctx.route("/api/v1/appliance");

    appliance.get("/", allow("admin"), async (c) => {
      const hostname = await currentHostname(ctx);
      const interfaces = [];
      for (const iface of ctx.appliance.interfaces) {
        const row = await activeCertificate(ctx.db.orm, iface);
        const details = row ? certificateDetails(row, hostname, ctx.clock.now()) : null;
        interfaces.push({
          name: iface,
          certificate: details && {
            subject: details.subject,
            san: details.san,
            not_after: details.not_after,
            fingerprint_sha256: details.fingerprint_sha256,
            source: details.source,
          },
          hostname_matches: details?.hostname_matches ?? false,
        });
      }
      return c.json({ hostname, interfaces, version: KERNEL_VERSION });
    });

    appliance.get("/hostname", allow("admin"), async (c) =>
      c.json({ hostname: await currentHostname(ctx) }),
    );

    appliance.put("/hostname", allow("admin"), async (c) => {
      const input = parseInput(HostnameInput, await readBody(c, ["json"]));
      const normalized = normalizeHostname(input.hostname);
      if (!normalized.ok) {
        const issue = normalized.issues[0];
        throw unprocessable(issue.code, "Invalid hostname", issue.message, [
          { path: "/hostname", message: issue.message },
        ]);
      }
      const hostname = normalized.value;
      const previous = await ctx.db.write(async (tx) => {
        const before = await ctx.settings.get<string>(tx, "appliance.hostname");
        if (before === hostname) return before;
        await ctx.settings.set(tx, "appliance.hostname", hostname);
        await ctx.events.emit(tx, "hostname.changed", { hostname, previous: before });
        await ctx.audit.record(tx, {
          actor: principalOf(c).login,
          action: "appliance.hostname",
          target: hostname,
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { previous: before },
        });
        return before;
      });
      if (previous !== hostname) ctx.log.info({ hostname, previous }, "hostname changed");
      const warnings = await mismatches(ctx, hostname);
      const devices = warnings.length
        ? await ctx.db.orm
            .select({ login: users.login, active: users.active })
            .from(users)
            .where(eq(users.device, true))
            .all()
        : [];
      return c.json({
        hostname,
        previous,
        changed: previous !== hostname,
        warnings,
        devices_affected: devices,
      });
    });

    const tls = ctx.route("/api/v1/tls");

    const loadActive = async (name: string | undefined) => {
      const iface = requireInterface(ctx, name);
      const row = await activeCertificate(ctx.db.orm, iface);
      if (!row) {
        throw notFound("certificate_not_found", `The ${iface} interface has no certificate yet.`);
      }
      return { iface, row };
    };

    tls.get("/:iface/certificate", allow("admin"), async (c) => {
      const { row } = await loadActive(c.req.param("iface"));
      return c.json(certificateDetails(row, await currentHostname(ctx), ctx.clock.now()));
    });

    tls.get("/:iface/certificate.pem", allow("admin"), async (c) => {
      const { iface, row } = await loadActive(c.req.param("iface"));
      const full = c.req.query("chain") === "full";
      const body = row.certificatePem.trim() + "\n" + (full && row.chainPem ? row.chainPem.trim() + "\n" : "");
      return c.body(body, 200, {
        "Content-Type": "application/x-pem-file",
        "Content-Disposition": `attachment; filename="portico-${iface}.pem"`,
      });
    });

    tls.get("/:iface/certificate.der", allow("admin"), async (c) => {
      const { iface, row } = await loadActive(c.req.param("iface"));
      const der = new Uint8Array(new X509Certificate(pemBlocks(row.certificatePem)[0]).rawData);
      return c.body(der, 200, {
        "Content-Type": "application/pkix-cert",
        "Content-Disposition": `attachment; filename="portico-${iface}.cer"`,
      });
    });

    tls.post("/:iface/certificate/regenerate", allow("admin"), async (c) => {
      const iface = requireInterface(ctx, c.req.param("iface"));
      const input = parseInput(RegenerateInput, await readBody(c, ["json"]));
      const hostname = await currentHostname(ctx);
      const fresh = await selfSigned(hostname, {
        keyAlgorithm: input.key_algorithm,
        validityDays: input.validity_days,
        now: ctx.clock.now(),
      });
      const row = await ctx.db.write(async (tx) => {
        const saved = await replaceCertificate(ctx, tx, iface, fresh);
        await ctx.audit.record(tx, {
          actor: principalOf(c).login,
          action: "certificate.regenerate",
          target: iface,
          source: c.get("sourceAddress"),
          outcome: "success",
          detail: { fingerprint_sha256: saved.fingerprintSha256, hostname },
        });
        return saved;
      });
      ctx.log.info(
        { interface: iface, hostname, fingerprint_sha256: row.fingerprintSha256 },
        "certificate regenerated",
      );
      provider.notify(iface);
      return c.json(certificateDetails(row, hostname, ctx.clock.now()), 201);
    });
  },
});
