/**
 * The built-in analyzer: verdicts an administrator set for known hashes,
 * and the EICAR anti-virus test file, which every scanner must call
 * malicious so that operators can test the whole path safely.
 *
 * @module
 */
import { createHash } from "node:crypto";
import { eq } from "drizzle-orm";
import type { Executor } from "../../db/client.ts";
import type { Analyzer } from "./point.ts";
import { knownVerdicts } from "./schema.ts";

/**
 * SHA-256 of the 68-byte EICAR test file. Keeping the hash rather than the
 * file's text keeps anti-virus scanners off this source file.
 */
const EICAR_SHA256 = "275a021bbfb6489e54d471899f7db9d1663fc695ec2fe2a2c4538aabf651fd0f";

/** The EICAR standard lets the file be followed by whitespace, up to 128 bytes in all. */
const EICAR_MAX_BYTES = 128;

/** True when the bytes are the EICAR test file. */
export function isEicar(content: Uint8Array): boolean {
  if (content.byteLength < 68 || content.byteLength > EICAR_MAX_BYTES) return false;
  let end = content.byteLength;
  while (end > 68 && [0x20, 0x09, 0x0a, 0x0d, 0x1a].includes(content[end - 1])) end--;
  const digest = createHash("sha256").update(content.subarray(0, end)).digest("hex");
  return digest === EICAR_SHA256;
}

/** The analyzer over the `known_verdicts` table and the EICAR test file. */
export function knownHashAnalyzer(db: Executor): Analyzer {
  return {
    name: "known-hashes",
    async analyze(sample, readContent) {
      const known = await db
        .select()
        .from(knownVerdicts)
        .where(eq(knownVerdicts.sha256, sample.sha256))
        .get();
      if (known) {
        return {
          disposition: known.disposition,
          threat_score: known.threatScore,
          reason: known.reason ?? `known hash, verdict set by ${known.updatedBy}`,
        };
      }
      if (sample.size > EICAR_MAX_BYTES) return null;
      if (!isEicar(await readContent())) return null;
      return { disposition: "malicious", threat_score: 100, reason: "EICAR anti-virus test file" };
    },
  };
}
