/**
 * Samples: stored with their bytes in the database, so that every process
 * of a scaled-out appliance can read them.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { and, desc, eq, or } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import { sampleContents, samples } from "../../db/schema.ts";
import type { Principal } from "../http/env.ts";

export type Sample = typeof samples.$inferSelect;

export interface NewSample {
  filename: string;
  content: Uint8Array;
  private: boolean;
  tags: string[];
  vm?: string | null;
  playbook?: string | null;
  networkExit?: string | null;
}

function digest(algorithm: "md5" | "sha1" | "sha256", content: Uint8Array): string {
  return createHash(algorithm).update(content).digest("hex");
}

function newSampleId(): string {
  return [...crypto.getRandomValues(new Uint8Array(16))]
    .map((b) => b.toString(16).padStart(2, "0"))
    .join("");
}

export async function insertSample(
  tx: Executor,
  owner: Pick<Principal, "userId" | "organizationId" | "login">,
  input: NewSample,
  at: string,
): Promise<Sample> {
  const [row] = await tx
    .insert(samples)
    .values({
      id: newSampleId(),
      organizationId: owner.organizationId,
      userId: owner.userId,
      login: owner.login,
      filename: input.filename,
      size: input.content.byteLength,
      md5: digest("md5", input.content),
      sha1: digest("sha1", input.content),
      sha256: digest("sha256", input.content),
      state: "wait",
      private: input.private,
      tags: input.tags,
      vm: input.vm ?? null,
      playbook: input.playbook ?? null,
      networkExit: input.networkExit ?? null,
      submittedAt: at,
    })
    .returning();
  await tx.insert(sampleContents).values({ sampleId: row.id, content: Buffer.from(input.content) });
  return row;
}

/** Only what the caller may see: an admin sees all, others their organization's. */
function visibleTo(viewer: Principal) {
  return viewer.role === "admin" ? undefined : eq(samples.organizationId, viewer.organizationId);
}

export async function findSample(db: Executor, id: string, viewer: Principal) {
  return db
    .select()
    .from(samples)
    .where(and(eq(samples.id, id), visibleTo(viewer)))
    .get();
}

export async function searchSamples(
  db: Executor,
  hash: string,
  viewer: Principal,
  page: { offset: number; limit: number },
) {
  const h = hash.toLowerCase();
  return db
    .select()
    .from(samples)
    .where(
      and(or(eq(samples.md5, h), eq(samples.sha1, h), eq(samples.sha256, h)), visibleTo(viewer)),
    )
    .orderBy(desc(samples.submittedAt), desc(samples.id))
    .limit(page.limit)
    .offset(page.offset)
    .all();
}

/** The sample as the Threat Grid v2 API shows it. */
export function sampleView(sample: Sample) {
  const view: Record<string, unknown> = {
    id: sample.id,
    login: sample.login,
    organization_id: sample.organizationId,
    filename: sample.filename,
    size: sample.size,
    md5: sample.md5,
    sha1: sample.sha1,
    sha256: sample.sha256,
    state: sample.state,
    status: statusOf(sample.state),
    private: sample.private,
    tags: sample.tags,
    vm: sample.vm,
    submitted_at: sample.submittedAt.replace(/\.\d{3}Z$/, "Z"),
  };
  if (sample.disposition !== null) {
    view.disposition = sample.disposition;
    view.threat_score = sample.threatScore;
  }
  return view;
}

function statusOf(state: Sample["state"]): string {
  switch (state) {
    case "wait":
      return "pending";
    case "run":
      return "running";
    case "succ":
      return "succeeded";
    case "fail":
      return "failed";
  }
}
