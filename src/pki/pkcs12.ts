/**
 * Reads PKCS#12 (.p12/.pfx) files, modern (PBES2/AES, OpenSSL 3's default)
 * and legacy (RC2/3DES), with node-forge, which is plain JavaScript and so
 * runs on Bun and Deno alike.
 *
 * @module
 */
import forge from "node-forge";
import { isSingleSequence } from "./der.ts";
import { decodeBase64 } from "./encoding.ts";
import { parsePrivateKey, type ParsedPrivateKey } from "./keys.ts";
import { fail, ok, type PkiResult } from "./result.ts";

/** The contents of a PKCS#12 file. */
export interface Pkcs12Contents {
  /** Every certificate in the file, as DER, in file order. */
  certificates: Uint8Array[];
  /** The private key, normalised like any uploaded key. */
  privateKey: ParsedPrivateKey;
}

const PATH = "/pkcs12";

/**
 * Opens a PKCS#12 file (bytes, or base64 of them) with its passphrase.
 *
 * @example
 * const p12 = readPkcs12(base64, "secret");
 * if (p12.ok) console.log(p12.value.certificates.length);
 */
export function readPkcs12(
  input: string | Uint8Array,
  passphrase?: string,
): PkiResult<Pkcs12Contents> {
  const bytes = typeof input === "string" ? decodeBase64(input) : input;
  if (!bytes || !isSingleSequence(bytes)) {
    return fail(
      "pkcs12_invalid",
      "The /pkcs12 field is not a PKCS#12 file: send the .p12 or " +
        ".pfx file's bytes, or their base64.",
      PATH,
    );
  }

  const opened = open(bytes, passphrase ?? "");
  if (opened === "password") {
    return passphrase === undefined || passphrase === ""
      ? fail(
          "passphrase_required",
          "The /pkcs12 file is protected by a passphrase: send it " + "in /passphrase.",
          "/passphrase",
        )
      : fail(
          "passphrase_wrong",
          "The /pkcs12 file could not be opened with the given " +
            "passphrase: check /passphrase (case, keyboard layout, trailing spaces).",
          "/passphrase",
        );
  }
  if (opened === "invalid") {
    return fail(
      "pkcs12_invalid",
      "The /pkcs12 file is damaged or uses an unsupported " +
        "encryption: export it again (e.g. `openssl pkcs12 -export`).",
      PATH,
    );
  }

  const certificates: Uint8Array[] = [];
  const keys: Uint8Array[] = [];
  for (const bag of opened.safeContents.flatMap((contents) => contents.safeBags)) {
    const asn1 = (bag as { asn1?: forge.asn1.Asn1 }).asn1;
    if (!asn1) continue;
    const der = Uint8Array.from(forge.asn1.toDer(asn1).getBytes(), (c) => c.charCodeAt(0));
    if (bag.type === forge.pki.oids.certBag) certificates.push(der);
    else keys.push(der);
  }

  if (certificates.length === 0) {
    return fail(
      "certificate_missing",
      "The /pkcs12 file holds no certificate: export it " + "again with the certificate included.",
      PATH,
    );
  }
  const distinctKeys = new Set(keys.map((der) => Buffer.from(der).toString("hex")));
  if (distinctKeys.size === 0) {
    return fail(
      "key_missing",
      "The /pkcs12 file holds no private key: export it again " + "with the private key included.",
      PATH,
    );
  }
  if (distinctKeys.size > 1) {
    return fail(
      "multiple_private_keys",
      `The /pkcs12 file holds ${distinctKeys.size} ` +
        "private keys: export only the server certificate's key.",
      PATH,
    );
  }
  const privateKey = parsePrivateKey(keys[0], { path: PATH });
  if (!privateKey.ok) return privateKey;
  return ok({ certificates, privateKey: privateKey.value });
}

type GetCipher = (oid: string, params: unknown, password: string) => unknown;

/**
 * node-forge decodes bags into its own objects, which cannot hold EC keys
 * and would re-encode certificates (changing nothing, one hopes, but the
 * fingerprint must be the original's). Making its decoders fail leaves each
 * bag's exact ASN.1, which forge then keeps as `bag.asn1`.
 *
 * The passphrase reaches the MAC and legacy PBE keys as a BMPString (RFC
 * 7292 Appendix B.1), which forge builds from the text itself, but reaches
 * PBES2 (RFC 8018, OpenSSL 3's default) as octets, which forge takes one per
 * character: OpenSSL gives PBKDF2 the passphrase's UTF-8 bytes, so forge is
 * handed those.
 */
function open(
  bytes: Uint8Array,
  passphrase: string,
): forge.pkcs12.Pkcs12Pfx | "password" | "invalid" {
  const pki = forge.pki as unknown as Record<string, unknown>;
  const pbe = (forge.pki as unknown as { pbe: { getCipherForPBES2: GetCipher } }).pbe;
  const saved = {
    cert: pki.certificateFromAsn1,
    key: pki.privateKeyFromAsn1,
    pbes2: pbe.getCipherForPBES2,
  };
  const refuse = () => {
    throw new Error("kept as ASN.1");
  };
  pki.certificateFromAsn1 = refuse;
  pki.privateKeyFromAsn1 = refuse;
  pbe.getCipherForPBES2 = (oid, params, password) =>
    saved.pbes2(oid, params, forge.util.encodeUtf8(password));
  try {
    const asn1 = forge.asn1.fromDer(
      forge.util.createBuffer(Buffer.from(bytes).toString("binary")),
      false,
    );
    return forge.pkcs12.pkcs12FromAsn1(asn1, false, passphrase);
  } catch (error) {
    return /password|MAC|decrypt/i.test(String((error as Error).message)) ? "password" : "invalid";
  } finally {
    pki.certificateFromAsn1 = saved.cert;
    pki.privateKeyFromAsn1 = saved.key;
    pbe.getCipherForPBES2 = saved.pbes2;
  }
}
