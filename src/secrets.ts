/**
 * Sealing of secrets at rest (private keys, outbound passwords) with
 * AES-256-GCM. Each plugin gets a key derived for it alone (HKDF, RFC 5869),
 * so one plugin cannot open what another sealed.
 *
 * @module
 */

const encoder = new TextEncoder();
const decoder = new TextDecoder();
const SEAL_PREFIX = "v1.";

export class SecretKeyMismatchError extends Error {
  constructor() {
    super(
      "the secret key does not match the one this database was set up with: " +
        "start with the original PORTICO_SECRET_KEY or key file",
    );
    this.name = "SecretKeyMismatchError";
  }
}

/** Seals and opens secrets for one owner. */
export interface Sealer {
  seal(plaintext: string): Promise<string>;
  open(sealed: string): Promise<string>;
}

function toBase64(bytes: Uint8Array): string {
  let s = "";
  for (const b of bytes) s += String.fromCharCode(b);
  return btoa(s);
}

function fromBase64(text: string): Uint8Array {
  return Uint8Array.from(atob(text), (ch) => ch.charCodeAt(0));
}

async function derive(master: Uint8Array, info: string, usage: "aes" | "raw") {
  const base = await crypto.subtle.importKey("raw", master as BufferSource, "HKDF", false, [
    "deriveBits",
  ]);
  const bits = await crypto.subtle.deriveBits(
    { name: "HKDF", hash: "SHA-256", salt: new Uint8Array(32), info: encoder.encode(info) },
    base,
    256,
  );
  if (usage === "raw") return new Uint8Array(bits);
  return crypto.subtle.importKey("raw", bits, "AES-GCM", false, ["encrypt", "decrypt"]);
}

/** A value stored with the database that proves the same master key is in use. */
export async function keyCheckValue(master: Uint8Array): Promise<string> {
  const bits = (await derive(master, "portico:key-check", "raw")) as Uint8Array;
  return toBase64(bits.slice(0, 16));
}

/** Makes the sealer of one owner (`kernel` or a plugin id). */
export async function createSealer(master: Uint8Array, owner: string): Promise<Sealer> {
  const key = (await derive(master, `portico:seal:${owner}`, "aes")) as CryptoKey;
  const aad = encoder.encode(owner);
  return {
    async seal(plaintext) {
      const iv = crypto.getRandomValues(new Uint8Array(12));
      const data = encoder.encode(plaintext);
      const sealed = new Uint8Array(
        await crypto.subtle.encrypt({ name: "AES-GCM", iv, additionalData: aad }, key, data),
      );
      const out = new Uint8Array(iv.length + sealed.length);
      out.set(iv);
      out.set(sealed, iv.length);
      return SEAL_PREFIX + toBase64(out);
    },
    async open(sealed) {
      if (!sealed.startsWith(SEAL_PREFIX)) throw new Error("not a sealed value");
      const bytes = fromBase64(sealed.slice(SEAL_PREFIX.length));
      const iv = bytes.slice(0, 12);
      const data = bytes.slice(12);
      const plain = await crypto.subtle.decrypt(
        { name: "AES-GCM", iv, additionalData: aad },
        key,
        data,
      );
      return decoder.decode(plain);
    },
  };
}

export const base64 = { encode: toBase64, decode: fromBase64 };
