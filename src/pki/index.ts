/**
 * Portico's certificate toolkit: pure functions over certificate and key
 * inputs, used by the tls-identity and ca-trust-store plugins. Failures are
 * returned as data (`{ ok: false, issues }`), never thrown.
 *
 * @module
 */
export * from "./result.ts";
export { toHex, sha256Hex, toPem, decodeBase64 } from "./encoding.ts";
export {
  decodeCertificates,
  scanPem,
  blockToPem,
  classifyInput,
  bytesToText,
  isPrivateKeyLabel,
  type PemBlock,
  type PemScan,
  type RawInput,
} from "./pem.ts";
export { describeKey, describeSpki, type KeyAlgorithm } from "./algorithms.ts";
export {
  parsePrivateKey,
  MIN_RSA_BITS,
  type ParsedPrivateKey,
  type ParsePrivateKeyOptions,
} from "./keys.ts";
export { readPkcs12, type Pkcs12Contents } from "./pkcs12.ts";
export {
  normalizeHostname,
  certificateNames,
  matchesHostname,
  matchesPattern,
  type CertificateNames,
} from "./names.ts";
export { signatureAlgorithm, isSignedBy, type SignatureAlgorithm } from "./signature.ts";
export { buildChain, type BuildChainInput, type BuiltChain } from "./chain.ts";
export {
  evaluateServerCertificate,
  MAX_VALIDITY_DAYS,
  type PolicyOutcome,
  type ServerCertificateInput,
} from "./policy.ts";
export {
  summarizeCertificate,
  asCertificate,
  derOf,
  pemOf,
  fingerprintSha256,
  spkiSha256,
  isCa,
  isSelfSigned,
  describeCertificate,
  type CertificateSummary,
} from "./summary.ts";
export {
  generateSelfSigned,
  GENERATED_KEY_ALGORITHMS,
  type GenerateOptions,
  type GeneratedCertificate,
  type GeneratedKeyAlgorithm,
} from "./generate.ts";
export {
  parseTrustAnchors,
  type TrustAnchor,
  type TrustAnchorSet,
  type AlreadyTrusted,
  type ParseTrustAnchorsOptions,
} from "./trust.ts";
export { prepareUpload, type UploadInput, type PreparedCertificate } from "./prepare.ts";
