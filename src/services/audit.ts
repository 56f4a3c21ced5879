/**
 * The audit log: who did what to whom, from where, and how it ended.
 * Never a secret: callers pass identifiers, not keys or passwords.
 *
 * @module
 */
import type { Executor } from "../../db/client.ts";
import { auditEvents } from "../../db/schema.ts";
import type { Clock } from "./clock.ts";

export interface AuditEntry {
  /** The login of the caller, `device:<login>` style names, or `system`. */
  actor: string;
  /** A dotted verb, e.g. `user.activate`, `device.register`. */
  action: string;
  target?: string | null;
  source?: string | null;
  outcome: "success" | "refused" | "failed" | "unchanged";
  detail?: Record<string, unknown>;
}

export class AuditLog {
  constructor(private readonly clock: Clock) {}

  async record(tx: Executor, entry: AuditEntry): Promise<void> {
    await tx.insert(auditEvents).values({
      at: this.clock.now().toISOString(),
      actor: entry.actor,
      action: entry.action,
      target: entry.target ?? null,
      source: entry.source ?? null,
      outcome: entry.outcome,
      detail: entry.detail ?? null,
    });
  }
}
