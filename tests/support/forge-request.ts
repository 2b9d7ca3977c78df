import { createHash, type KeyObject, randomUUID, sign } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Agent, request } from 'undici';
import { certificateDer, parseCertificatePem, privateKeyObject } from '../../certs/index.ts';
import type { FederationManifest } from '../../dev/federation-files.ts';
import type { FederationEndpoints } from '../../dev/federation-runtime.ts';
import type { RequestClaims } from '../../schemas/index.ts';

/**
 * A forging kit for hostile-input tests: it plays a consumer gateway that obeys no rule. It builds
 * request claims, signs them with any key, and sends them straight to a provider gateway's peer port
 * over mutual TLS with any certificate, so a test can change exactly one thing and watch the
 * provider refuse it. Signing is done here with node:crypto, independently of gateway/exchange, so
 * a bug there cannot hide behind the same bug here.
 */

/** A key and the `x5c` chain that goes with it (base64 DER, leaf first). */
export interface ForgeSigner {
  readonly privateKey: KeyObject;
  readonly x5c: readonly string[];
}

/** PEM credentials a TLS client presents. */
export interface TlsCredentials {
  readonly cert: string;
  readonly key: string;
}

/** What a provider gateway answered. */
export interface ForgedAnswer {
  readonly status: number;
  readonly headers: Record<string, string | string[] | undefined>;
  readonly body: string;
  readonly json: unknown;
}

/** The federation a forging kit works against (what `startTestFederation` returns). */
export interface ForgeFederation {
  readonly dir: string;
  readonly manifest: FederationManifest;
  readonly endpoints: FederationEndpoints;
}

/** `b64url(sha256(bytes))`, as in the signed claims (docs/protocol.md §1). */
export const digest = (bytes: string | Uint8Array): string =>
  createHash('sha256').update(bytes).digest('base64url');

const json64 = (value: unknown): string => Buffer.from(JSON.stringify(value)).toString('base64url');

/**
 * Request claims for `service` with every field filled: sensible defaults (fresh id, now, GET,
 * the service's own path, empty body) overridden by `overrides`.
 */
export function requestClaims(
  overrides: Partial<RequestClaims> & Pick<RequestClaims, 'client' | 'service'>,
): RequestClaims {
  return {
    v: 2,
    id: randomUUID(),
    iat: Math.floor(Date.now() / 1000),
    method: 'GET',
    path: `/r1/${overrides.service}`,
    query: digest(''),
    body: digest(''),
    userId: null,
    issue: null,
    subject: null,
    purpose: null,
    legalBasis: null,
    consentRef: null,
    hiddenUntil: null,
    hiddenReason: null,
    eid: null,
    ...overrides,
  };
}

/**
 * Signs `payload` as the compact JWS of an `Einmal-Request`; `header` replaces fields of the usual
 * `{alg: 'ES256', typ: 'einmal-req+jws', x5c}` header (e.g. to lie about the chain).
 */
export function signForged(
  payload: unknown,
  signer: ForgeSigner,
  header: Record<string, unknown> = {},
): string {
  const input = `${json64({ alg: 'ES256', typ: 'einmal-req+jws', x5c: signer.x5c, ...header })}.${json64(payload)}`;
  const signature = sign('sha256', Buffer.from(input), { key: signer.privateKey, dsaEncoding: 'ieee-p1363' });
  return `${input}.${signature.toString('base64url')}`;
}

/** Flips one bit in the middle of a compact JWS's signature; everything else stays valid. */
export function flipSignatureByte(jws: string): string {
  const [header, payload, signature] = jws.split('.') as [string, string, string];
  const bytes = Buffer.from(signature, 'base64url');
  bytes[bytes.length >> 1]! ^= 0x01;
  return `${header}.${payload}.${bytes.toString('base64url')}`;
}

/** A signer from a PEM certificate, its PEM key and the issuing CA (PEM). */
export function signerFromPem(certPem: string, keyPem: string, issuingCaPem: string): ForgeSigner {
  const der = (pem: string) => Buffer.from(certificateDer(parseCertificatePem(pem))).toString('base64');
  return { privateKey: privateKeyObject(keyPem), x5c: [der(certPem), der(issuingCaPem)] };
}

/**
 * Opens a federation's credential files (written by `einmal dev init`) and offers a forging kit on
 * them.
 *
 * @example
 * const forge = await openForgeKit(federation);
 * const claims = requestClaims({ client: 'DEMO/GOV/munich/parking-permits', service: ADDRESS });
 * const jws = signForged(claims, await forge.memberSigner('DEMO/GOV/munich'));
 * const answer = await forge.send('DEMO/GOV/residents-office/gw1', { as: await forge.gatewayTls('DEMO/GOV/munich/gw1'), claims, jws });
 */
export async function openForgeKit(federation: ForgeFederation) {
  const { dir, manifest, endpoints } = federation;
  const read = (relative: string) => readFile(join(dir, relative), 'utf8');
  const [ca, issuingCa] = await Promise.all([
    readFile(endpoints.pki.caBundle, 'utf8'),
    read(manifest.issuingCa),
  ]);
  const agents = new Map<string, Agent>();

  const member = (id: string) => {
    const found = manifest.members.find((m) => m.id === id || m.gateway.id === id);
    if (!found) throw new TypeError(`no member or gateway ${id} in the federation`);
    return found;
  };
  const pair = async (files: { cert: string; key: string }): Promise<TlsCredentials> => {
    const [cert, key] = await Promise.all([read(files.cert), read(files.key)]);
    return { cert, key };
  };
  const peerUrl = (gatewayId: string): string => {
    const gateway = endpoints.gateways.find((g) => g.id === gatewayId);
    if (!gateway) throw new TypeError(`no gateway ${gatewayId} in the federation`);
    return gateway.peer;
  };
  const agentFor = (tls: TlsCredentials | null, trust: string) => {
    const id = `${tls?.cert ?? 'none'}|${trust}`;
    let agent = agents.get(id);
    if (!agent) {
      agent = new Agent({ connect: { ...(tls ?? {}), ca: trust } });
      agents.set(id, agent);
    }
    return agent;
  };

  return {
    /** The federation's CA bundle (PEM), what honest clients trust. */
    ca,
    issuingCa,
    /** The signing key and chain of a member, as its gateway holds them. */
    async memberSigner(memberId: string): Promise<ForgeSigner> {
      const m = member(memberId);
      const { cert, key } = await pair(m.signing);
      return signerFromPem(cert, key, issuingCa);
    },
    /** A gateway's TLS (authentication) certificate and key. */
    gatewayTls: (gatewayId: string) => pair(member(gatewayId).gateway.tls),
    /** An information system's client certificate and key. */
    clientTls: (subsystemId: string) => {
      const subsystem = manifest.members.flatMap((m) => m.subsystems).find((s) => s.id === subsystemId);
      if (!subsystem) throw new TypeError(`no subsystem ${subsystemId} in the federation`);
      return pair(subsystem.client);
    },
    /** The federation operator's certificate: valid in the federation, listed for no gateway. */
    operatorTls: () => pair(manifest.operator),
    /** The peer URL of a gateway. */
    peerUrl,
    /**
     * Sends a request to a gateway's peer port as if from a consumer gateway. Method, path and body
     * default to what `claims` say; any of them may be changed to differ from the signature. The raw
     * `query` (the claims hold only its digest) is empty unless given. `jws` is sent as
     * `Einmal-Request` (omit it to send none).
     */
    async send(
      gatewayId: string,
      options: {
        as: TlsCredentials | null;
        claims: RequestClaims;
        jws?: string;
        method?: string;
        path?: string;
        query?: string;
        body?: string;
        headers?: Record<string, string>;
        /** CAs the client trusts for the server certificate (default: the federation's). */
        trust?: string;
      },
    ): Promise<ForgedAnswer> {
      const { claims } = options;
      const path = options.path ?? claims.path;
      const query = options.query ?? '';
      const body = options.body;
      const response = await request(`${peerUrl(gatewayId)}${path}${query ? `?${query}` : ''}`, {
        method: (options.method ?? claims.method) as 'GET',
        headers: {
          'x-road-id': claims.id,
          ...(options.jws === undefined ? {} : { 'einmal-request': options.jws }),
          ...(body === undefined ? {} : { 'content-type': 'application/json' }),
          ...options.headers,
        },
        ...(body === undefined ? {} : { body }),
        dispatcher: agentFor(options.as, options.trust ?? ca),
      });
      const text = await response.body.text();
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        parsed = undefined;
      }
      return { status: response.statusCode, headers: response.headers, body: text, json: parsed };
    },
    async close(): Promise<void> {
      await Promise.all([...agents.values()].map((agent) => agent.close()));
      agents.clear();
    },
  };
}

export type ForgeKit = Awaited<ReturnType<typeof openForgeKit>>;
