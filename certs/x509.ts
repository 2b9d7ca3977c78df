// @peculiar/x509 reads decorator metadata while it loads, so the polyfill must come first.
import 'reflect-metadata';
import * as x509 from '@peculiar/x509';

// Node's WebCrypto; the library would otherwise look for a browser global at call time.
x509.cryptoProvider.set(globalThis.crypto);

/** The @peculiar/x509 namespace, loaded in the order it needs. Every certs/ file imports it from here. */
export { x509 };

/** ECDSA with SHA-256: the signature algorithm of every certificate, CSR and CRL einmal issues. */
export const SIGNING_ALGORITHM = { name: 'ECDSA', hash: 'SHA-256' } as const;
