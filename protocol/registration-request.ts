import { createHash, createPublicKey, type KeyObject } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { z } from 'zod';
import {
  certificateDer,
  memberOfCertificate,
  parseCertificateDer,
  publicKeyObject,
  type RevokedSerial,
  readCsr,
  validateChain,
} from '../certs/index.ts';
import { EinmalError } from '../core/errors/index.ts';
import { parseGatewayId, printedGatewayIdSchema, printMemberId } from '../schemas/index.ts';
import {
  parseJsonObject,
  readX5c,
  type SigningKey,
  type SplitJws,
  signCompactJws,
  signCompactJwsBytes,
  splitCompactJws,
  verifyJwsSignature,
} from './codec/compact-jws.ts';

/** `typ` of the outer JWS, signed by the member's signing key (x5c: its signing certificate). */
export const REGISTRATION_JWS_TYPE = 'einmal-registration+jws';
/** `typ` of the inner JWS, signed by the gateway's new authentication key (proof of possession). */
export const REGISTRATION_POP_JWS_TYPE = 'einmal-registration-pop+jws';

const MAX_REQUEST_LENGTH = 128 * 1024;
const MAX_CHAIN_LENGTH = 8;
/** A request is a one-off act: older ones are refused so a leaked file cannot be replayed much later. */
const MAX_AGE_SECONDS = 30 * 86_400;
const MAX_FUTURE_SKEW_SECONDS = 300;

/** What a gateway asks to be registered with (X-Road pr-mserv: authentication certificate registration). */
export const registrationClaimsSchema = z.strictObject({
  v: z.literal(1),
  /** `INSTANCE/CLASS/MEMBER/SERVERCODE`. */
  gateway: printedGatewayIdSchema,
  /** Where peers reach the gateway, e.g. `https://localhost:4410`. */
  address: z.url({ protocol: /^https$/, hostname: z.regexes.hostname }).max(2048),
  /** PKCS #10 request for the gateway's authentication (TLS) certificate, PEM. */
  csr: z
    .string()
    .min(1)
    .max(64 * 1024),
  /** Seconds since the epoch when the request was made. */
  iat: z.int().nonnegative(),
});

export type RegistrationClaims = z.infer<typeof registrationClaimsSchema>;

/**
 * The registration request of a new gateway, signed twice as X-Road does: the claims are signed by
 * the gateway's new authentication key (proof of possession of the key in the CSR), and that JWS
 * is the payload of a second JWS by the member's signing key, whose certificate chain rides in x5c.
 *
 * @example
 * const request = await createRegistrationRequest({
 *   claims: { v: 1, gateway: 'DEMO/GOV/munich/gw1', address: 'https://localhost:4410', csr, iat },
 *   authKey: keys.privateKey,
 *   memberKey: signingKey,
 *   memberChain: [signingCert, issuingCa],
 * });
 */
export async function createRegistrationRequest(options: {
  claims: RegistrationClaims;
  authKey: SigningKey;
  memberKey: SigningKey;
  memberChain: readonly X509Certificate[];
}): Promise<string> {
  if (options.memberChain.length === 0) throw new TypeError('The member signing certificate is required');
  const claims = registrationClaimsSchema.parse(options.claims);
  const proof = signCompactJws({ alg: 'ES256', typ: REGISTRATION_POP_JWS_TYPE }, claims, options.authKey);
  const x5c = options.memberChain.map((cert) => Buffer.from(certificateDer(cert)).toString('base64'));
  return signCompactJwsBytes({ alg: 'ES256', typ: REGISTRATION_JWS_TYPE, x5c }, proof, options.memberKey);
}

/** A registration request whose both signatures verified. */
export interface VerifiedRegistration {
  readonly claims: RegistrationClaims;
  /** `INSTANCE/CLASS/MEMBER` of the gateway, equal to the member named by the signing certificate. */
  readonly member: string;
  readonly memberCertificate: X509Certificate;
  /** SHA-256 (lowercase hex) of the new authentication key's SubjectPublicKeyInfo. */
  readonly authKeyFingerprint: string;
}

/**
 * Verifies a registration request. Refuses with `Registry.InvalidRegistration` what is not a
 * request signed as `createRegistrationRequest` does (unsigned, wrong type, bad claims),
 * `Pki.InvalidCsr` a CSR that does not verify, and `Registry.RegistrationSignature` a wrong
 * signature: by a key other than the CSR's, by a certificate that does not chain to the
 * federation or is not a signing certificate, or by a member other than the gateway's.
 *
 * @example
 * const verified = await verifyRegistrationRequest(body.request, { anchor: rootCa, now: new Date() });
 */
export async function verifyRegistrationRequest(
  request: string,
  trust: {
    anchor: X509Certificate;
    intermediates?: readonly X509Certificate[];
    revokedSerials?: readonly RevokedSerial[];
    now: Date;
  },
): Promise<VerifiedRegistration> {
  const outer = readJws(request, REGISTRATION_JWS_TYPE);
  const chain = readChain(outer.header.x5c);
  const [memberCertificate, ...intermediates] = chain;
  try {
    await validateChain({
      certificate: memberCertificate!,
      intermediates: [...intermediates, ...(trust.intermediates ?? [])],
      anchors: [trust.anchor],
      ...(trust.revokedSerials ? { revokedSerials: trust.revokedSerials } : {}),
      at: trust.now,
      usage: 'signing',
    });
  } catch (cause) {
    throw signatureRefused('The member signing certificate is not trusted', cause);
  }
  if (!verifyJwsSignature(outer, publicKeyObject(memberCertificate!))) {
    throw signatureRefused('The member signature does not verify');
  }
  let proofText: string;
  try {
    proofText = new TextDecoder('utf-8', { fatal: true }).decode(outer.payloadBytes);
  } catch (cause) {
    throw signatureRefused('The member signature does not verify', cause);
  }

  const proof = readJws(proofText, REGISTRATION_POP_JWS_TYPE);
  const claims = readClaims(proof);
  const csr = await readCsr(claims.csr);
  const authKeyDer = Buffer.from(csr.publicKey.rawData);
  let authKey: KeyObject;
  try {
    authKey = createPublicKey({ key: authKeyDer, format: 'der', type: 'spki' });
  } catch (cause) {
    throw signatureRefused('The proof of possession does not verify with the key of the CSR', cause);
  }
  if (!verifyJwsSignature(proof, authKey)) {
    throw signatureRefused('The proof of possession does not verify with the key of the CSR');
  }

  const nowSeconds = Math.floor(trust.now.getTime() / 1000);
  if (claims.iat > nowSeconds + MAX_FUTURE_SKEW_SECONDS || claims.iat < nowSeconds - MAX_AGE_SECONDS) {
    throw new EinmalError('Registry.InvalidRegistration', {
      message: 'The registration request is too old or dated in the future',
    });
  }
  const gatewayMember = printMemberId(parseGatewayId(claims.gateway));
  let signerMember: string;
  try {
    signerMember = printMemberId(memberOfCertificate(memberCertificate!));
  } catch (cause) {
    throw signatureRefused('The signing certificate names no member', cause);
  }
  if (signerMember !== gatewayMember) {
    throw signatureRefused(`The request is signed by ${signerMember}, not by the gateway's member`);
  }
  return {
    claims,
    member: gatewayMember,
    memberCertificate: memberCertificate!,
    authKeyFingerprint: createHash('sha256').update(authKeyDer).digest('hex'),
  };
}

const invalid = (message: string, cause?: unknown) =>
  new EinmalError('Registry.InvalidRegistration', { message, ...(cause ? { cause } : {}) });

const signatureRefused = (detail: string, cause?: unknown) =>
  new EinmalError('Registry.RegistrationSignature', { detail, ...(cause ? { cause } : {}) });

function readJws(jws: string, typ: string): SplitJws {
  if (typeof jws !== 'string' || !/^[\w-]+\.[\w-]+\.[\w-]+$/.test(jws)) {
    throw invalid('The registration request is not a signed compact JWS');
  }
  const split = splitCompactJws(jws, MAX_REQUEST_LENGTH);
  if (!split) {
    throw invalid(
      jws.length > MAX_REQUEST_LENGTH
        ? 'The registration request is not a signed compact JWS'
        : 'The registration request header is unreadable',
    );
  }
  const { header } = split;
  if (header.alg !== 'ES256' || header.typ !== typ || header.crit !== undefined) {
    throw invalid(`Expected an ES256 JWS of type ${typ}`);
  }
  return split;
}

function readChain(value: unknown): X509Certificate[] {
  const x5c = readX5c(value, MAX_CHAIN_LENGTH);
  if (!x5c) {
    throw invalid('The registration request carries no x5c chain of the member signing certificate');
  }
  try {
    return x5c.map((entry) => parseCertificateDer(Buffer.from(entry, 'base64')));
  } catch (cause) {
    throw invalid('The x5c chain is unreadable', cause);
  }
}

function readClaims(proof: SplitJws): RegistrationClaims {
  const json = parseJsonObject(proof.payloadBytes);
  if (json === undefined) throw invalid('The registration claims are not JSON');
  const parsed = registrationClaimsSchema.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues
      .slice(0, 5)
      .map((i) => `${i.path.join('.') || '(claims)'}: ${i.message}`);
    throw invalid(`Invalid registration claims: ${problems.join('; ')}`);
  }
  return parsed.data;
}
