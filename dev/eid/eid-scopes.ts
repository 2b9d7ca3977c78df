import type { TestCitizen } from '../../adapters/index.ts';
import type { Directory } from '../../schemas/index.ts';

/**
 * The data categories a citizen can release to agencies at login, as scopes of the instance
 * resource (RFC 8707). The services' `eidScope` values name these.
 */
export const EID_SERVICE_SCOPES: Readonly<Record<string, string>> = {
  'population.address': 'Your registered address (residents’ register)',
  'population.household': 'The members of your household (residents’ register)',
  'vehicles.holder': 'The vehicles registered with you as holder (vehicle register)',
  'audit.read': 'Read the log of who accessed your data',
  'audit.search': 'Search and verify the logs of the agencies you audit (auditors only)',
};

/** The scopes of the logs themselves, which no registry service declares. */
export const AUDIT_SCOPES: Readonly<Record<string, string>> = {
  'audit.read': EID_SERVICE_SCOPES['audit.read']!,
  'audit.search': EID_SERVICE_SCOPES['audit.search']!,
};

/** Where the provider learns the scopes it offers (scope → the title a citizen reads), asked per login. */
export type ScopeSource = () => Promise<Readonly<Record<string, string>>>;

/** The fixed scopes of the demo federation's sample registries. */
export const demoScopes: ScopeSource = async () => EID_SERVICE_SCOPES;

/**
 * The scopes a directory's services declare (`eidScope`), titled by their services, plus the audit
 * scopes: a service registered with a new scope can be authorized without changing the provider.
 *
 * @example scopesOfDirectory(directory)['dogs.licences'] // 'Your dog licences'
 */
export function scopesOfDirectory(directory: Directory): Record<string, string> {
  const scopes: Record<string, string> = {};
  for (const service of directory.services) {
    if (service.eidScope === null) continue;
    scopes[service.eidScope] = scopes[service.eidScope]
      ? `${scopes[service.eidScope]}; ${service.title}`
      : service.title;
  }
  return { ...scopes, ...AUDIT_SCOPES };
}

/** Scopes granted only to staff accounts with the auditor role. */
export const AUDITOR_SCOPES: readonly string[] = ['audit.search'];

/** Titles of OpenID scopes shown on the consent page. */
export const OPENID_SCOPE_TITLES: Readonly<Record<string, string>> = {
  openid: 'Your identifier (tax identification number)',
  profile: 'Your name',
};

/** eIDAS level-of-assurance URIs used as `acr` values (eIDAS SAML attribute profile §2.4). */
export const EIDAS_ACR = {
  low: 'http://eidas.europa.eu/LoA/low',
  substantial: 'http://eidas.europa.eu/LoA/substantial',
  high: 'http://eidas.europa.eu/LoA/high',
} as const satisfies Record<TestCitizen['loa'], string>;

/**
 * The `acr` mapping a gateway needs for an issuer of these values, as the directory lists it.
 *
 * @example
 * { issuer: 'http://127.0.0.1:4402', jwksUri: 'http://127.0.0.1:4402/jwks', acr: eidasAcrLevels() }
 */
export function eidasAcrLevels(): Record<string, TestCitizen['loa']> {
  return Object.fromEntries(Object.entries(EIDAS_ACR).map(([loa, uri]) => [uri, loa as TestCitizen['loa']]));
}
