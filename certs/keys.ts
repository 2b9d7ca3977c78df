import {
  createPrivateKey,
  createPublicKey,
  type KeyObject,
  X509Certificate as NodeX509,
  type webcrypto,
} from 'node:crypto';
import { EinmalError } from '../core/errors/index.ts';
import { x509 } from './x509.ts';

/** A WebCrypto key (Node's `webcrypto.CryptoKey`; the DOM type is not in this project's lib). */
export type CryptoKey = webcrypto.CryptoKey;
/** A WebCrypto key pair. */
export type CryptoKeyPair = webcrypto.CryptoKeyPair;

const EC_P256 = { name: 'ECDSA', namedCurve: 'P-256' } as const;

/**
 * A fresh, extractable ECDSA P-256 key pair.
 *
 * @example
 * const keys = await generateKeyPair();
 * const pem = await exportPrivateKeyPem(keys.privateKey);
 */
export async function generateKeyPair(): Promise<CryptoKeyPair> {
  return (await crypto.subtle.generateKey(EC_P256, true, ['sign', 'verify'])) as CryptoKeyPair;
}

/** The private key as PKCS #8 PEM (label `PRIVATE KEY`). */
export async function exportPrivateKeyPem(key: CryptoKey): Promise<string> {
  const der = await crypto.subtle.exportKey('pkcs8', key);
  return x509.PemConverter.encode(der, 'PRIVATE KEY');
}

/**
 * Reads a PEM private key (PKCS #8 or SEC 1 `EC PRIVATE KEY`) as an extractable WebCrypto signing
 * key. Only ECDSA P-256 keys are accepted; anything else is `Pki.InvalidKey`.
 */
export async function importPrivateKeyPem(pem: string): Promise<CryptoKey> {
  const keyObject = privateKeyObject(pem);
  const der = keyObject.export({ format: 'der', type: 'pkcs8' });
  return crypto.subtle.importKey('pkcs8', new Uint8Array(der), EC_P256, true, ['sign']);
}

/** The public half of an ECDSA P-256 private key (from its JWK, without `d`). */
export async function derivePublicKey(privateKey: CryptoKey): Promise<CryptoKey> {
  const { d: _d, key_ops: _ops, ...jwk } = await crypto.subtle.exportKey('jwk', privateKey);
  return crypto.subtle.importKey('jwk', jwk, EC_P256, true, ['verify']);
}

/**
 * The PEM private key as a node:crypto `KeyObject`, for fast signing on hot paths.
 * Only ECDSA P-256 keys are accepted; anything else is `Pki.InvalidKey`.
 */
export function privateKeyObject(pem: string): KeyObject {
  let key: KeyObject;
  try {
    key = createPrivateKey({ key: pem, format: 'pem' });
  } catch (cause) {
    throw new EinmalError('Pki.InvalidKey', { message: 'Not a readable PEM private key', cause });
  }
  assertP256(key);
  return key;
}

/**
 * The public key of a certificate (a @peculiar/x509 or node:crypto certificate, DER or PEM) as a
 * node:crypto `KeyObject`, for fast verification on hot paths.
 */
export function publicKeyObject(cert: x509.X509Certificate | NodeX509 | Uint8Array | string): KeyObject {
  if (cert instanceof NodeX509) return cert.publicKey;
  if (cert instanceof x509.X509Certificate) {
    return createPublicKey({ key: Buffer.from(cert.publicKey.rawData), format: 'der', type: 'spki' });
  }
  try {
    return new NodeX509(typeof cert === 'string' ? cert : Buffer.from(cert)).publicKey;
  } catch (cause) {
    throw new EinmalError('Pki.InvalidCertificate', { message: 'Not a readable certificate', cause });
  }
}

function assertP256(key: KeyObject): void {
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw new EinmalError('Pki.InvalidKey', { message: 'Only ECDSA P-256 keys are supported' });
  }
}
