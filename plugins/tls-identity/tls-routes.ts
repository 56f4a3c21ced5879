/**
 * `/api/v1/tls/{interface}/certificate`: show, download, regenerate and
 * upload an interface's certificate. Regenerate and upload both go through
 * the installer, so a certificate is saved only once it is served.
 *
 * @module
 */
import "reflect-metadata";
import { X509Certificate } from "@peculiar/x509";
import * as v from "valibot";
import { FIELDS_MESSAGE, notFound, parseInput } from "../../src/errors.ts";
import { allow } from "../../src/http/access.ts";
import { principalOf } from "../../src/http/auth.ts";
import { readBody } from "../../src/http/body.ts";
import type { InterfaceName } from "../../src/identity.ts";
import type { RouteDoc } from "../../src/http/router.ts";
import type { PluginContext } from "../../src/plugin.ts";
import { certificateDetails, pemBlocks } from "./certificate.ts";
import type { CertificateWarning } from "./certificate.ts";
import { logExpiringCertificates } from "./expiry.ts";
import type { Installer } from "./install.ts";
import { MAX_VALIDITY_DAYS, currentHostname, selfSigned } from "./provider.ts";
import { activeCertificate } from "./store.ts";
import { UploadFields, prepare, readUpload } from "./upload.ts";

const KEY_ALGORITHMS = ["ecdsa-p256", "ecdsa-p384", "rsa-2048", "rsa-3072", "rsa-4096"] as const;

const RegenerateInput = v.strictObject(
  {
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
  },
  FIELDS_MESSAGE,
);

const DOC = {
  details: {
    summary: "The interface's certificate: subject, names, validity and warnings",
    problems: ["interface_not_found", "certificate_not_found"],
  },
  pem: {
    summary: "Download the interface's certificate as PEM",
    description: "With `?chain=full`, the chain follows the certificate.",
    problems: ["interface_not_found", "certificate_not_found"],
  },
  der: {
    summary: "Download the interface's certificate as DER",
    problems: ["interface_not_found", "certificate_not_found"],
  },
  regenerate: {
    summary: "Replace the interface's certificate with a new self-signed one",
    description: "The new certificate names the current hostname; it is saved once served.",
    body: RegenerateInput,
    status: 201,
    problems: ["interface_not_found", "invalid_request", "listener_restart_failed"],
  },
  upload: {
    summary: "Install an uploaded certificate, key and chain on the interface",
    description:
      "PEM text or base64 DER in JSON, or files in a multipart form; or one PKCS#12 with " +
      "its passphrase. Checked in full, and saved only once served.",
    body: UploadFields,
    bodyTypes: ["application/json", "multipart/form-data"],
    problems: [
      "interface_not_found",
      "invalid_request",
      "certificate_missing",
      "key_missing",
      "key_mismatch",
      "chain_incomplete",
      "chain_invalid",
      "certificate_expired",
      "eku_missing_server_auth",
      "key_usage_unsuitable",
      "passphrase_wrong",
      "listener_restart_failed",
    ],
  },
} satisfies Record<string, RouteDoc>;

function requireInterface(ctx: PluginContext, name: string | undefined): InterfaceName {
  const known = ctx.appliance.interfaces as string[];
  if (name && known.includes(name)) return name as InterfaceName;
  throw notFound(
    "interface_not_found",
    `No interface "${name}": this appliance has ${known.join(" and ")}.`,
  );
}

/** Warnings from the upload first, then those of the stored certificate not said already. */
function mergeWarnings(first: CertificateWarning[], then: CertificateWarning[]) {
  const codes = new Set(first.map((w) => w.code));
  return [...first, ...then.filter((w) => !codes.has(w.code))];
}

/** Mounts the certificate routes. */
export function tlsRoutes(ctx: PluginContext, install: Installer): void {
  const tls = ctx.route("/api/v1/tls");

  const loadActive = async (name: string | undefined) => {
    const iface = requireInterface(ctx, name);
    const row = await activeCertificate(ctx.db.orm, iface);
    if (!row) {
      throw notFound("certificate_not_found", `The ${iface} interface has no certificate yet.`);
    }
    return { iface, row };
  };

  tls.get("/:iface/certificate", allow("admin"), DOC.details, async (c) => {
    const { row } = await loadActive(c.req.param("iface"));
    return c.json(certificateDetails(row, await currentHostname(ctx), ctx.clock.now()));
  });

  tls.get("/:iface/certificate.pem", allow("admin"), DOC.pem, async (c) => {
    const { iface, row } = await loadActive(c.req.param("iface"));
    const full = c.req.query("chain") === "full" && row.chainPem.trim() !== "";
    const body = row.certificatePem.trim() + "\n" + (full ? row.chainPem.trim() + "\n" : "");
    return c.body(body, 200, {
      "Content-Type": "application/x-pem-file",
      "Content-Disposition": `attachment; filename="portico-${iface}.pem"`,
    });
  });

  tls.get("/:iface/certificate.der", allow("admin"), DOC.der, async (c) => {
    const { iface, row } = await loadActive(c.req.param("iface"));
    const der = new Uint8Array(new X509Certificate(pemBlocks(row.certificatePem)[0]).rawData);
    return c.body(der, 200, {
      "Content-Type": "application/pkix-cert",
      "Content-Disposition": `attachment; filename="portico-${iface}.cer"`,
    });
  });

  tls.post("/:iface/certificate/regenerate", allow("admin"), DOC.regenerate, async (c) => {
    const iface = requireInterface(ctx, c.req.param("iface"));
    const input = parseInput(RegenerateInput, await readBody(c, ["json"]));
    const hostname = await currentHostname(ctx);
    const fresh = await selfSigned(hostname, {
      keyAlgorithm: input.key_algorithm,
      validityDays: input.validity_days,
      now: ctx.clock.now(),
    });
    const row = await install(iface, fresh, {
      actor: principalOf(c).login,
      source: c.get("sourceAddress"),
      action: "certificate.regenerate",
      detail: { hostname },
    });
    ctx.log.info(
      { interface: iface, hostname, fingerprint_sha256: row.fingerprintSha256 },
      "certificate regenerated",
    );
    await logExpiringCertificates(ctx);
    return c.json(certificateDetails(row, hostname, ctx.clock.now()), 201);
  });

  tls.put("/:iface/certificate", allow("admin"), DOC.upload, async (c) => {
    const iface = requireInterface(ctx, c.req.param("iface"));
    const request = await readUpload(c);
    const hostname = await currentHostname(ctx);
    const prepared = prepare(request, hostname, ctx.clock.now());
    const warnings = prepared.warnings.map(({ code, message }) => ({ code, message }));
    const row = await install(
      iface,
      {
        certificatePem: prepared.leafPem,
        chainPem: prepared.chainPems.join(""),
        privateKeyPem: prepared.privateKeyPem,
        fingerprintSha256: prepared.summary.fingerprint_sha256,
        source: "uploaded",
      },
      {
        actor: principalOf(c).login,
        source: c.get("sourceAddress"),
        action: "certificate.upload",
        detail: { hostname, warnings: warnings.map((w) => w.code) },
      },
    );
    ctx.log.info(
      {
        interface: iface,
        subject: prepared.summary.subject,
        issuer: prepared.summary.issuer,
        fingerprint_sha256: row.fingerprintSha256,
        warnings: warnings.map((w) => w.code),
      },
      "uploaded certificate installed",
    );
    await logExpiringCertificates(ctx);
    const details = certificateDetails(row, hostname, ctx.clock.now());
    return c.json({
      ...details,
      warnings: mergeWarnings(warnings, details.warnings),
      reordered: prepared.reordered,
      reorder_description: prepared.reorderDescription ?? null,
    });
  });
}
