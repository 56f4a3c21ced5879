/**
 * The "anchor-dependents" extension point, owned by ca-trust-store: plugins
 * that connect out say which of their targets a CA anchored, so that
 * deleting it can name what will stop working.
 *
 * @module
 */
import type { Executor } from "../../db/client.ts";
import { defineExtensionPoint } from "../../src/extensions.ts";

/** One plugin's view of what depends on a trust anchor. */
export interface AnchorDependents {
  /**
   * Names (e.g. `disposition service 3 (https://amp.example.test/)`) of the
   * targets whose last verified chain ended at this anchor.
   */
  dependentsOf(db: Executor, sha256: string): Promise<string[]>;
}

export const anchorDependentsPoint = defineExtensionPoint<AnchorDependents>(
  "ca-trust-store",
  "anchor-dependents",
);

/** The event ca-trust-store emits, in the same transaction, on every change. */
export const TRUST_STORE_CHANGED = "trust_store.changed";

/** Its payload. */
export interface TrustStoreChanged {
  added: string[];
  removed: string[];
}
