export { type CertificateAuthority, createIssuingCa, createRootCa } from './authority.ts';
export { type CaStore, type CaStoreEntry, createCaStore, importCaStore, openCaStore } from './ca-store.ts';
export {
  certificateDer,
  certificateFingerprint,
  normalizeSerial,
  parseCertificateBundle,
  parseCertificateDer,
  parseCertificatePem,
  serialHex,
  toPem,
} from './certificate.ts';
export {
  type CertificateInput,
  type ChainVerifier,
  createChainVerifier,
  type RevokedSerial,
  type TrustSettings,
  type VerifiedCertificate,
  validateChain,
} from './chain-verifier.ts';
export { createCrl, parseCrl, type RevocationReason, type RevokedCertificate } from './crl.ts';
export { createCsr, isCertificateHost } from './csr.ts';
export { clientOfCertificate, memberOfCertificate, subsystemUrn } from './identity.ts';
export { issueCertificate, readCsr } from './issue.ts';
export {
  type CryptoKey,
  type CryptoKeyPair,
  derivePublicKey,
  exportPrivateKeyPem,
  generateKeyPair,
  importPrivateKeyPem,
  privateKeyObject,
  publicKeyObject,
} from './keys.ts';
export { type PresentedCertificate, presentedCertificateOf } from './presented-certificate.ts';
export { CERTIFICATE_PROFILES, type CertificateProfile, EINMAL_OID } from './profiles.ts';
export { x509 } from './x509.ts';
