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

export const tlsIdentityPoint = defineExtensionPoint<TlsIdentityProvider>(
  "kernel",
  "tls-identity",
);

/** Extra sections on a user's details, e.g. the registration history. */
export interface UserDetailsSection {
  name: string;
  load(db: Executor, user: { id: number; login: string }): Promise<unknown>;
}

export const userDetailsPoint = defineExtensionPoint<UserDetailsSection>(
  "kernel",
  "user-details",
);

/** The CA certificates the outbound client trusts, read before every request. */
export interface TrustAnchorsProvider {
  /** PEM certificates of the active (unexpired) anchors. */
  anchors(): Promise<string[]>;
}

export const trustAnchorsPoint = defineExtensionPoint<TrustAnchorsProvider>(
  "kernel",
  "trust-anchors",
);
