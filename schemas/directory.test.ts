import { createHash, type webcrypto } from 'node:crypto';
import * as x509 from '@peculiar/x509';
import { beforeAll, describe, expect, it } from 'vitest';
import { DEMO_INSTANCE, demoMembers, demoServices } from '../dev/demo-federation.ts';
import {
  type Directory,
  directorySchema,
  indexDirectory,
  loaRank,
  parseClientId,
  parseGatewayId,
  parseServiceId,
} from './index.ts';

const fingerprint = (label: string) => createHash('sha256').update(label).digest('hex');

async function createCaCertificate(name: string): Promise<string> {
  x509.cryptoProvider.set(globalThis.crypto);
  const algorithm = { name: 'ECDSA', namedCurve: 'P-256', hash: 'SHA-256' };
  const keys = await crypto.subtle.generateKey(algorithm, false, ['sign', 'verify']);
  const certificate = await x509.X509CertificateGenerator.createSelfSigned({
    name: `CN=${name}, O=einmal ${DEMO_INSTANCE}`,
    keys: keys as webcrypto.CryptoKeyPair,
    signingAlgorithm: algorithm,
    notBefore: new Date('2026-01-01T00:00:00Z'),
    notAfter: new Date('2036-01-01T00:00:00Z'),
    extensions: [new x509.BasicConstraintsExtension(true, 0, true)],
  });
  return certificate.toString('pem');
}

/** The directory the registry would publish for the demo federation. */
function demoDirectory(caPem: string): Directory {
  return {
    instance: DEMO_INSTANCE,
    version: 7,
    issuedAt: '2026-05-01T10:00:00.000Z',
    expiresAt: '2026-05-01T10:10:00.000Z',
    approvedCas: [{ name: 'einmal DEMO issuing CA', certificate: caPem }],
    revokedCertificates: [
      {
        issuer: `CN=einmal DEMO issuing CA, O=einmal ${DEMO_INSTANCE}`,
        serialNumber: '0a1b2c',
        revokedAt: '2026-04-30T08:00:00Z',
      },
    ],
    members: demoMembers.map((member) => ({
      id: member.id,
      name: member.name,
      subsystems: [...member.subsystems],
    })),
    gateways: demoMembers.map((member) => ({
      id: `${member.id}/${member.gateway.code}`,
      address: `https://localhost:${member.gateway.port}`,
      authCertificateFingerprints: [fingerprint(member.id)],
      clients: member.subsystems.map((subsystem) => `${member.id}/${subsystem}`),
    })),
    services: demoServices.map((service) => ({
      ...service,
      purposes: service.purposes.map((p) => ({ ...p })),
      legalBases: service.legalBases.map((b) => ({ ...b })),
    })),
    groups: [
      {
        id: `${DEMO_INSTANCE}/municipalities`,
        description: 'Cities and towns',
        members: ['DEMO/GOV/munich/parking-permits'],
      },
    ],
    eidIssuers: [
      {
        issuer: 'http://localhost:4402',
        jwksUri: 'http://localhost:4402/jwks',
        acr: {
          'urn:eidas:loa:low': 'low',
          'urn:eidas:loa:substantial': 'substantial',
          'urn:eidas:loa:high': 'high',
        },
      },
    ],
    witness: { url: 'https://localhost:4400/witness' },
  };
}

let directory: Directory;

beforeAll(async () => {
  directory = demoDirectory(await createCaCertificate('einmal DEMO issuing CA'));
});

const issuesOf = (value: unknown) => {
  const result = directorySchema.safeParse(value);
  return result.success
    ? []
    : result.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
};

describe('directorySchema', () => {
  it('accepts the demo federation directory', () => {
    expect(issuesOf(directory)).toEqual([]);
    expect(directorySchema.parse(JSON.parse(JSON.stringify(directory)))).toEqual(directory);
  });

  it.each<[string, (d: Directory) => unknown, string]>([
    ['version 0', (d) => ({ ...d, version: 0 }), 'version'],
    ['an unknown top-level field', (d) => ({ ...d, extra: 1 }), ''],
    ['expiry before issue', (d) => ({ ...d, expiresAt: '2026-05-01T09:00:00Z' }), 'expiresAt'],
    [
      'a non-PEM CA',
      (d) => ({ ...d, approvedCas: [{ name: 'x', certificate: 'MIIB...' }] }),
      'approvedCas.0.certificate',
    ],
    [
      'an upper-case serial',
      (d) => ({ ...d, revokedCertificates: [{ ...d.revokedCertificates[0]!, serialNumber: '0A1B' }] }),
      'revokedCertificates.0.serialNumber',
    ],
    [
      'a malformed member id',
      (d) => ({ ...d, members: [{ ...d.members[0]!, id: 'DEMO/GOV/../x' }] }),
      'members.0.id',
    ],
    ['a duplicate member', (d) => ({ ...d, members: [...d.members, d.members[0]] }), 'members.4'],
    [
      'a member of another instance',
      (d) => ({ ...d, members: [...d.members, { id: 'EE/GOV/x', name: 'x', subsystems: [] }] }),
      'members.4.id',
    ],
    [
      'a plain-http gateway',
      (d) => ({ ...d, gateways: [{ ...d.gateways[0]!, address: 'http://localhost:4410' }] }),
      'gateways.0.address',
    ],
    [
      'a gateway hosting an unregistered subsystem',
      (d) => ({ ...d, gateways: [{ ...d.gateways[0]!, clients: ['DEMO/GOV/munich/unknown'] }] }),
      'gateways.0.clients.0',
    ],
    [
      'a fingerprint shared by two gateways',
      (d) => ({
        ...d,
        gateways: [
          d.gateways[0],
          { ...d.gateways[1]!, authCertificateFingerprints: d.gateways[0]!.authCertificateFingerprints },
        ],
      }),
      'gateways.1.authCertificateFingerprints',
    ],
    [
      'a service of an unregistered subsystem',
      (d) => ({ ...d, services: [{ ...d.services[0]!, id: 'DEMO/GOV/munich/nope/address-v1' }] }),
      'services.0.id',
    ],
    [
      'a six-part service id of before',
      (d) => ({
        ...d,
        services: [{ ...d.services[0]!, id: 'DEMO/GOV/residents-office/register/address/v1' }],
      }),
      'services.0.id',
    ],
    [
      'a service taking an X-Road metaservice code',
      (d) => ({
        ...d,
        services: [{ ...d.services[0]!, id: 'DEMO/GOV/residents-office/register/listMethods' }],
      }),
      'services.0.id',
    ],
    [
      'a personal-data service without purposes',
      (d) => ({ ...d, services: [{ ...d.services[0]!, purposes: [] }] }),
      'services.0.purposes',
    ],
    [
      'an unknown eID level',
      (d) => ({ ...d, services: [{ ...d.services[0]!, requiredLoa: 'medium' }] }),
      'services.0.requiredLoa',
    ],
    ['a malformed group id', (d) => ({ ...d, groups: [{ ...d.groups[0]!, id: 'DEMO/a/b' }] }), 'groups.0.id'],
    [
      'an eID issuer without keys',
      (d) => ({ ...d, eidIssuers: [{ issuer: 'https://eid.example', acr: {} }] }),
      'eidIssuers.0',
    ],
    ['a witness without url', (d) => ({ ...d, witness: {} }), 'witness.url'],
  ])('rejects %s', (_label, change, path) => {
    const issues = issuesOf(change(directory));
    expect(issues.length).toBeGreaterThan(0);
    expect(issues.some((issue) => issue.startsWith(`${path}`))).toBe(true);
  });

  it('rejects broken documents without throwing', () => {
    const broken = [
      null,
      'directory',
      42,
      [],
      {},
      { ...directory, members: 'all' },
      { ...directory, gateways: [{}] },
    ];
    for (const value of broken) expect(directorySchema.safeParse(value).success).toBe(false);
  });
});

describe('indexDirectory', () => {
  it('finds the provider gateway of each demo service', () => {
    const index = indexDirectory(directory);
    const provider = index.findServiceProvider(
      parseServiceId('DEMO/GOV/residents-office/register/address-v1'),
    );
    expect(provider?.id).toBe('DEMO/GOV/residents-office/gw1');
    expect(provider?.address).toBe('https://localhost:4411');
    expect(index.findServiceProvider(parseServiceId('DEMO/GOV/munich/unknown/x'))).toBeUndefined();
  });

  it('looks up gateways, services, members and issuers by printed or parsed id', () => {
    const index = indexDirectory(directory);
    expect(index.findGateway('DEMO/GOV/munich/gw1')).toBe(
      index.findGateway(parseGatewayId('DEMO/GOV/munich/gw1')),
    );
    expect(index.findGateway('DEMO/GOV/munich/gw2')).toBeUndefined();
    expect(index.findService('DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1')?.hideable).toBe(
      true,
    );
    expect(index.findService('DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder')).toBeUndefined();
    expect(index.findMember('DEMO/GOV/munich')?.subsystems).toEqual(['parking-permits']);
    expect(index.findIssuer('http://localhost:4402')?.acr['urn:eidas:loa:high']).toBe('high');
    expect(index.findIssuer('http://localhost:4402/')).toBeUndefined();
  });

  it('tells which gateway hosts a client and which groups it belongs to', () => {
    const index = indexDirectory(directory);
    const munich = parseClientId('DEMO/GOV/munich/parking-permits');
    expect(index.gatewaysHostingClient(munich).map((g) => g.id)).toEqual(['DEMO/GOV/munich/gw1']);
    expect(index.gatewaysHostingClient('DEMO/GOV/munich')).toEqual([]);
    expect(index.groupsOf(munich)).toEqual(['DEMO/municipalities']);
    expect(index.groupsOf('DEMO/GOV/residents-office/register')).toEqual([]);
  });

  it('maps an auth certificate fingerprint to its gateway in any hex spelling', () => {
    const index = indexDirectory(directory);
    const hex = fingerprint('DEMO/GOV/vehicle-authority');
    expect(index.gatewayByFingerprint(hex)?.id).toBe('DEMO/GOV/vehicle-authority/gw1');
    const colons = hex.toUpperCase().match(/../g)!.join(':');
    expect(index.gatewayByFingerprint(colons)?.id).toBe('DEMO/GOV/vehicle-authority/gw1');
    expect(index.gatewayByFingerprint(fingerprint('stranger'))).toBeUndefined();
  });

  it('knows revoked serials regardless of leading zeros and case', () => {
    const index = indexDirectory(directory);
    const issuer = directory.revokedCertificates[0]!.issuer;
    expect(index.isRevoked(issuer, '0a1b2c')).toBe(true);
    expect(index.isRevoked(issuer, '000A1B2C')).toBe(true);
    expect(index.isRevoked(issuer, '0a1b2d')).toBe(false);
    expect(index.isRevoked('CN=Other CA', '0a1b2c')).toBe(false);
  });
});

describe('loaRank', () => {
  it('orders eIDAS levels low < substantial < high', () => {
    expect(loaRank('low')).toBeLessThan(loaRank('substantial'));
    expect(loaRank('substantial')).toBeLessThan(loaRank('high'));
  });
});
