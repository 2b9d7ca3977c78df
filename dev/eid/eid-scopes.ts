import type { TestCitizen } from '../../adapters/index.ts';

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
