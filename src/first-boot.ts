/**
 * First-boot work that must happen once however many processes start
 * together: the master key's check value and the first administrator. Each
 * runs in one write transaction that checks and creates, so concurrent
 * starters serialise on the database's write lock and only one creates.
 *
 * @module
 */
import { eq } from "drizzle-orm";
import type { Database } from "../db/client.ts";
import { settings, users } from "../db/schema.ts";
import type { Config } from "./config.ts";
import type { Logger } from "./log.ts";
import { SecretKeyMismatchError, base64, keyCheckValue } from "./secrets.ts";
import type { Clock } from "./services/clock.ts";
import { issueApiKey } from "./services/keys.ts";
import {
  countUsers,
  createOrganization,
  createUser,
  findOrganizationByName,
  findUserByLogin,
} from "./services/users.ts";

const KEY_CHECK = "kernel.secret_key_check";
export const ADMIN_KEY_FILE = "initial-admin-api-key";
export const ADMINISTRATORS_ORG = "Administrators";

/**
 * The master key: PORTICO_SECRET_KEY, or a key file in the data folder made
 * with mode 0600 on first boot. A remote database needs the variable, since
 * every process must use the same key.
 */
export async function resolveMasterKey(config: Config, remote: boolean): Promise<Uint8Array> {
  if (config.secretKey) return config.secretKey;
  if (remote) {
    throw new Error(
      "PORTICO_SECRET_KEY is required with a remote database (every process must share it): " +
        "make one with `openssl rand -base64 32`",
    );
  }
  const fs = await import("node:fs/promises");
  const path = `${config.dataDir}/secret.key`;
  try {
    const text = await fs.readFile(path, "utf8");
    const key = base64.decode(text.trim());
    if (key.length !== 32) throw new Error(`${path} does not hold 32 bytes in base64`);
    return key;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== "ENOENT") throw error;
  }
  const key = crypto.getRandomValues(new Uint8Array(32));
  await fs.writeFile(path, base64.encode(key) + "\n", { mode: 0o600, flag: "wx" });
  return key;
}

/** Stores the key's check value on first boot; refuses a different key after. */
export async function checkMasterKey(db: Database, key: Uint8Array): Promise<void> {
  const check = await keyCheckValue(key);
  const stored = await db.write(async (tx) => {
    const row = await tx.select().from(settings).where(eq(settings.key, KEY_CHECK)).get();
    if (row) return row.value as string;
    await tx.insert(settings).values({ key: KEY_CHECK, value: check });
    return check;
  });
  if (stored !== check) throw new SecretKeyMismatchError();
}

/**
 * Creates the first administrator if there is none. Its key is
 * PORTICO_ADMIN_API_KEY, or a new one written once to a file in the data
 * folder (mode 0600); the log names the file, never the key.
 */
export async function ensureAdministrator(
  db: Database,
  config: Config,
  clock: Clock,
  log: Logger,
): Promise<void> {
  const at = clock.now().toISOString();
  let restored = false;
  const created = await db.write(async (tx) => {
    if ((await countUsers(tx, "admin")) > 0) return null;
    // An appliance without any administrator cannot be managed at all: a database
    // that lost its last one (changed by hand, say) gets `admin` back, not a crash.
    const existing = await findUserByLogin(tx, "admin");
    if (existing) {
      restored = true;
      await tx
        .update(users)
        .set({ role: "admin", active: true, updatedAt: at })
        .where(eq(users.id, existing.id));
      return issueApiKey(tx, existing.id, at, config.adminApiKey);
    }
    const org =
      (await findOrganizationByName(tx, ADMINISTRATORS_ORG)) ??
      (await createOrganization(tx, ADMINISTRATORS_ORG, at));
    const admin = await createUser(
      tx,
      {
        login: "admin",
        organizationId: org.id,
        role: "admin",
        active: true,
        name: "Administrator",
        apiOnly: false,
      },
      at,
    );
    return issueApiKey(tx, admin.id, at, config.adminApiKey);
  });
  if (created === null) return;
  if (restored) {
    log.warn({ login: "admin" }, "the database had no administrator: admin is one again");
  }
  if (config.adminApiKey) {
    log.info(
      { login: "admin" },
      "created the administrator with the key from PORTICO_ADMIN_API_KEY",
    );
    return;
  }
  const fs = await import("node:fs/promises");
  const path = `${config.dataDir}/${ADMIN_KEY_FILE}`;
  await fs.writeFile(path, created + "\n", { mode: 0o600 });
  log.info({ login: "admin", file: path }, "created the administrator; its API key is in the file");
}
