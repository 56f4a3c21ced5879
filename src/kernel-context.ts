/**
 * The kernel's own services, as its routes and the boot sequence use them.
 *
 * @module
 */
import type { Database } from "../db/client.ts";
import type { Config } from "./config.ts";
import type { ExtensionRegistry } from "./extensions.ts";
import type { Logger } from "./log.ts";
import type { AuditLog } from "./services/audit.ts";
import type { Clock } from "./services/clock.ts";
import type { EventBus } from "./services/events.ts";
import type { Settings } from "./services/settings.ts";

export interface KernelContext {
  config: Config;
  db: Database;
  log: Logger;
  clock: Clock;
  events: EventBus;
  settings: Settings;
  audit: AuditLog;
  extensions: ExtensionRegistry;
}
