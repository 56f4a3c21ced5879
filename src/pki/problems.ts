/**
 * What each certificate refusal means and what the operator does about it,
 * for the problem catalog at `/api/docs/problems`.
 *
 * @module
 */
import type { ProblemEntry } from "../http/problem-catalog.ts";

const refused = (title: string, remedy: string): ProblemEntry => ({ status: 422, title, remedy });

export const PKI_PROBLEMS: Record<string, ProblemEntry> = {
  certificate_missing: refused(
    "Certificate missing",
    "The upload holds no certificate: send the server certificate (PEM or DER).",
  ),
  certificate_invalid: refused(
    "Certificate invalid",
    "A block could not be read as an X.509 certificate: export it again as PEM or DER.",
  ),
  der_garbled: refused(
    "DER garbled",
    "Binary DER was damaged, often by pasting it as text: upload the .cer/.der file itself, or convert it to PEM.",
  ),
  pem_truncated: refused(
    "PEM truncated",
    "A BEGIN line has no matching END line: copy the whole block.",
  ),
  pkcs12_invalid: refused(
    "PKCS#12 invalid",
    "The file is not PKCS#12, is damaged, or uses an encryption that cannot be read: export it again with `openssl pkcs12 -export`.",
  ),
  input_conflict: refused(
    "Conflicting input",
    "Send either certificate and private_key, or pkcs12 — not both.",
  ),
  key_missing: refused(
    "Private key missing",
    "Send the private key that belongs to the certificate.",
  ),
  key_invalid: refused(
    "Private key invalid",
    "The private key could not be read: send it as PEM (PKCS#1, PKCS#8 or SEC1) or DER.",
  ),
  key_unsupported: refused(
    "Key type unsupported",
    "Use an RSA key of 2048 bits or more, or an ECDSA P-256 or P-384 key.",
  ),
  key_algorithm_invalid: refused(
    "Key algorithm invalid",
    "Choose one of the listed key algorithms.",
  ),
  key_encrypted: refused(
    "Private key encrypted",
    "The key is encrypted: send its passphrase as passphrase.",
  ),
  passphrase_required: refused(
    "Passphrase required",
    "The PKCS#12 file is protected: send its passphrase.",
  ),
  passphrase_wrong: refused(
    "Passphrase wrong",
    "The passphrase does not open the key or PKCS#12 file: check it and send it again.",
  ),
  multiple_private_keys: refused(
    "Several private keys",
    "Send exactly one private key, the one made with the certificate's request.",
  ),
  key_mismatch: refused(
    "Private key does not match the certificate",
    "Upload the key that was generated with the certificate's request; both public-key fingerprints are in the detail.",
  ),
  chain_incomplete: refused(
    "Chain incomplete",
    "Add the intermediate certificate named in the detail to chain (or, knowingly, allow_incomplete_chain).",
  ),
  chain_signature_invalid: refused(
    "Chain signature invalid",
    "A certificate in the chain is not signed by the next: upload the chain that issued the leaf.",
  ),
  chain_invalid: refused(
    "Chain cannot be verified",
    "Clients would refuse the chain: a certificate may not issue the one below it (not a CA, no keyCertSign, path length exceeded), or has a critical extension they do not understand. The detail names it; upload the chain your CA really issued.",
  ),
  certificate_expired: refused(
    "Certificate expired",
    "Renew the certificate with your CA and upload the new one.",
  ),
  san_missing: refused(
    "subjectAltName missing",
    "Modern clients ignore the CN: issue the certificate with the hostname in subjectAltName.",
  ),
  weak_signature: refused(
    "Weak signature",
    "SHA-1 and MD5 signatures are refused: reissue with SHA-256 or better.",
  ),
  weak_key: refused(
    "Weak key",
    "RSA keys under 2048 bits are refused: make a new key of 2048 bits or more.",
  ),
  leaf_is_ca: refused(
    "Leaf is a CA",
    "The server certificate must have CA:FALSE: upload the server certificate, not the CA's.",
  ),
  eku_missing_server_auth: refused(
    "No serverAuth usage",
    "The certificate's (or an intermediate's) extended key usage lacks serverAuth — anyExtendedKeyUsage does not count: reissue it for TLS servers.",
  ),
  key_usage_unsuitable: refused(
    "Key usage unsuitable for a TLS server",
    "A TLS server signs the handshake, so the certificate's keyUsage must include digitalSignature: reissue it with digitalSignature (or without a keyUsage extension).",
  ),
  tls_load_failed: refused(
    "Cannot be served",
    "The TLS library refused a certificate and key that passed every other check: the detail gives its reason; reissue the certificate as a plain TLS server certificate.",
  ),
  validity_invalid: refused("Validity invalid", "Choose a validity of 1 to 825 days."),
  not_an_anchor: refused(
    "Not a trust anchor",
    "Add a CA certificate or the service's self-signed certificate.",
  ),
  hostname_invalid: {
    status: 422,
    title: "Invalid hostname",
    remedy: "Give a DNS name (not an IP address or URL).",
  },
};
