/**
 * Organizations and users, shared by every plugin. Functions take the
 * caller's transaction so that a plugin's change and the kernel's commit
 * together.
 *
 * @module
 */
import { and, eq, sql } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { organizations, users } from "../../db/schema.ts";
import type { Role } from "../http/access.ts";

export type User = typeof users.$inferSelect;
export type Organization = typeof organizations.$inferSelect;

export interface NewUser {
  login: string;
  organizationId: number;
  role: Role;
  active: boolean;
  name?: string | null;
  email?: string | null;
  device?: boolean;
  integrationId?: string | null;
  apiOnly?: boolean;
  passwordHash?: string | null;
}

export async function findUserByLogin(db: Executor, login: string): Promise<User | undefined> {
  return db.select().from(users).where(eq(users.login, login)).get();
}

/**
 * A user whose login differs from `login` only in letter case, so that two
 * accounts never look the same in lists and the audit log.
 */
export async function findLoginClash(db: Executor, login: string): Promise<User | undefined> {
  return db
    .select()
    .from(users)
    .where(sql`lower(${users.login}) = lower(${login})`)
    .get();
}

export async function findUserById(db: Executor, id: number): Promise<User | undefined> {
  return db.select().from(users).where(eq(users.id, id)).get();
}

export async function findOrganization(db: Executor, id: number) {
  return db.select().from(organizations).where(eq(organizations.id, id)).get();
}

export async function findOrganizationByName(db: Executor, name: string) {
  return db.select().from(organizations).where(eq(organizations.name, name)).get();
}

export async function createOrganization(
  tx: Executor,
  name: string,
  at: string,
): Promise<Organization> {
  const [row] = await tx.insert(organizations).values({ name, createdAt: at }).returning();
  return row;
}

export async function createUser(tx: Executor, user: NewUser, at: string): Promise<User> {
  const [row] = await tx
    .insert(users)
    .values({
      login: user.login,
      organizationId: user.organizationId,
      role: user.role,
      active: user.active,
      name: user.name ?? null,
      email: user.email ?? null,
      device: user.device ?? false,
      integrationId: user.integrationId ?? null,
      apiOnly: user.apiOnly ?? true,
      passwordHash: user.passwordHash ?? null,
      createdAt: at,
      updatedAt: at,
    })
    .returning();
  return row;
}

/**
 * Sets `active` only if it differs, as one conditional UPDATE: of several
 * concurrent calls exactly one makes the transition. Returns whether this
 * call made it.
 */
export async function setUserActive(
  tx: Executor,
  userId: number,
  active: boolean,
  at: string,
): Promise<boolean> {
  const changed = await tx
    .update(users)
    .set({ active, updatedAt: at })
    .where(and(eq(users.id, userId), eq(users.active, !active)))
    .returning({ id: users.id });
  return changed.length === 1;
}

export async function updateUser(
  tx: Executor,
  userId: number,
  fields: Partial<Pick<User, "name" | "email" | "integrationId" | "reregisterUntil">>,
  at: string,
): Promise<void> {
  await tx
    .update(users)
    .set({ ...fields, updatedAt: at })
    .where(eq(users.id, userId));
}

export async function countUsers(db: Executor, role?: Role): Promise<number> {
  const row = await db
    .select({ n: sql<number>`count(*)` })
    .from(users)
    .where(role ? eq(users.role, role) : undefined)
    .get();
  return row?.n ?? 0;
}
