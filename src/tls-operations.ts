/**
 * Certificate operations an operator runs without the HTTP API, from the
 * command line: the kernel defines the point, the plugin that owns the TLS
 * identity provides it, and the CLI finds it here without knowing which
 * plugin that is.
 *
 * @module
 */
import { defineExtensionPoint } from "./extensions.ts";
import type { InterfaceName } from "./identity.ts";

/** An interface's active certificate: its PEM and the details the API shows. */
export interface CertificateView {
  certificatePem: string;
  details: Record<string, unknown>;
}

/** A regeneration, with who asked for it for the audit log. */
export interface RegenerateRequest {
  /** The audit log's actor, e.g. `cli`. */
  actor: string;
  /** Where the request came from, e.g. `cli`. */
  source: string;
  /** One of the generator's key algorithms; its default when absent. */
  keyAlgorithm?: string;
  validityDays?: number;
}

export interface TlsOperations {
  /** The interface's active certificate, or undefined when it has none yet. */
  describe(iface: InterfaceName): Promise<CertificateView | undefined>;
  /** Replaces the certificate with a new self-signed one for the appliance hostname. */
  regenerate(iface: InterfaceName, request: RegenerateRequest): Promise<CertificateView>;
}

/** Provided by the plugin that owns the TLS identity. */
export const tlsOperationsPoint = defineExtensionPoint<TlsOperations>("kernel", "tls-operations");
