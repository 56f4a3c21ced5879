/**
 * What the runtime needs to serve TLS: the kernel defines the extension
 * point, a plugin (tls-identity) provides it.
 *
 * @module
 */
import type { Executor } from "../db/client.ts";
import { defineExtensionPoint } from "./extensions.ts";

export type InterfaceName = "clean" | "admin";

export interface TlsMaterial {
  /** The leaf followed by its intermediates, PEM. */
  certificatePem: string;
  /** PKCS#8 PEM, opened from its sealed form. */
  privateKeyPem: string;
  fingerprintSha256: string;
}

export interface TlsIdentityProvider {
  /** Makes sure the interface has a certificate (first boot) and returns it. */
  ensure(iface: InterfaceName): Promise<TlsMaterial>;
  /** Calls back when an interface's certificate changes, in any process. */
  onChange(listener: (iface: InterfaceName) => void): void;
}

export const tlsIdentityPoint = defineExtensionPoint<TlsIdentityProvider>("kernel", "tls-identity");

/**
 * A runtime listener serving one interface, registered by the runtime entry
 * so that a certificate change is proven served before it is committed.
 */
export interface TlsListener {
  readonly iface: InterfaceName;
  /**
   * Serves `material` in place of the current certificate and proves it with
   * a TLS handshake that presents `material.fingerprintSha256`. Rejects when
   * it cannot; the certificate served before is then still served.
   */
  replace(material: TlsMaterial): Promise<void>;
}

/** The listeners of this process; none in tests that call the app directly. */
export const tlsListenerPoint = defineExtensionPoint<TlsListener>("kernel", "tls-listener");

/** One line of `/readyz` details, contributed by whoever knows the subject. */
export interface ReadinessCheck {
  name: string;
  /** When true, `ok: false` makes `/readyz` answer 503 (a listener that is down). */
  critical?: boolean;
  /** Details shown to an administrator; `ok: false` alone does not make the appliance unready. */
  check(): Promise<{ ok: boolean } & Record<string, unknown>>;
}

export const readinessPoint = defineExtensionPoint<ReadinessCheck>("kernel", "readiness");

/** Extra sections on a user's details, e.g. the registration history. */
export interface UserDetailsSection {
  name: string;
  load(db: Executor, user: { id: number; login: string }): Promise<unknown>;
}

export const userDetailsPoint = defineExtensionPoint<UserDetailsSection>("kernel", "user-details");

/** The CA certificates the outbound client trusts, read before every request. */
export interface TrustAnchorsProvider {
  /** PEM certificates of the active (unexpired) anchors. */
  anchors(): Promise<string[]>;
}

export const trustAnchorsPoint = defineExtensionPoint<TrustAnchorsProvider>(
  "kernel",
  "trust-anchors",
);
