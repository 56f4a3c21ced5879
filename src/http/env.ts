/**
 * The variables every request carries through the core app.
 *
 * @module
 */
import type { Logger } from "../log.ts";
import type { users } from "../../db/schema.ts";
import type { Role } from "./access.ts";

/** The caller, resolved from its API key. */
export interface Principal {
  userId: number;
  login: string;
  role: Role;
  organizationId: number;
  active: boolean;
  device: boolean;
  keyId: number;
  /** The user's row as it was when the request was authenticated. */
  user: typeof users.$inferSelect;
}

/** The API key a request carried and whom it belongs to, if anyone. */
export interface Credential {
  key: string;
  principal: Principal | null;
}

export interface AppEnv {
  Variables: {
    requestId: number;
    log: Logger;
    credential: Credential | null;
    principal: Principal | null;
    /** The client's address, after trusted-proxy rules. */
    sourceAddress: string;
  };
}
