/**
 * Byte helpers shared by the pki modules: hex, base64, SHA-256 and PEM armour.
 *
 * @module
 */
import { createHash } from "node:crypto";

/** Lower-case hex of the bytes, no separators. */
export function toHex(bytes: Uint8Array): string {
  return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("hex");
}

/** SHA-256 of the bytes as lower-case hex. */
export function sha256Hex(bytes: Uint8Array): string {
  return createHash("sha256").update(bytes).digest("hex");
}

/** Copies any byte view (or ArrayBuffer) into a plain Uint8Array. */
export function bytesOf(data: ArrayBuffer | ArrayBufferView): Uint8Array {
  if (data instanceof ArrayBuffer) return new Uint8Array(data.slice(0));
  return new Uint8Array(data.buffer.slice(data.byteOffset, data.byteOffset + data.byteLength));
}

const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/;
const BASE64URL = /^[A-Za-z0-9_-]*$/;

/**
 * Decodes base64 (standard or URL-safe, whitespace ignored). Returns
 * `undefined` when the text is not base64 at all, so callers can say why.
 */
export function decodeBase64(text: string): Uint8Array | undefined {
  const compact = text.replace(/\s+/g, "");
  if (compact.length === 0) return undefined;
  if (!BASE64.test(compact) && !BASE64URL.test(compact)) return undefined;
  if (compact.replace(/=+$/, "").length % 4 === 1) return undefined;
  return new Uint8Array(
    Buffer.from(compact, compact.includes("-") || compact.includes("_") ? "base64url" : "base64"),
  );
}

/** Wraps DER in PEM armour with 64-column lines and a final newline. */
export function toPem(der: Uint8Array, label: string): string {
  const body = Buffer.from(der)
    .toString("base64")
    .replace(/(.{64})/g, "$1\n")
    .replace(/\n$/, "");
  return `-----BEGIN ${label}-----\n${body}\n-----END ${label}-----\n`;
}
