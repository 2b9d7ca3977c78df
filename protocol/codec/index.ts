/**
 * The protocol's encodings, without network or X.509: canonical JSON, compact ES256 JWS and hash
 * codecs. Everything here is also exported by protocol/index.ts; this smaller entry is for code that
 * must start fast and needs nothing else, as the offline verifier's worker threads.
 */
export { canonicalJson, canonicalRecord, type JsonValue } from './canonical-json.ts';
export {
  type DecodedJws,
  decodeCompactJws,
  type JwsHeader,
  parseJsonObject,
  readX5c,
  type SigningKey,
  type SplitJws,
  sha256Base64Url,
  signCompactJws,
  signCompactJwsBytes,
  splitCompactJws,
  verifyEs256,
  verifyJwsSignature,
} from './compact-jws.ts';
export {
  base64HashSchema,
  equalHashes,
  HASH_SIZE,
  hashFromBase64,
  hashFromHex,
  hashToBase64,
  hashToHex,
  hexHashSchema,
  isHash,
  toPlainBytes,
} from './hash-codec.ts';
