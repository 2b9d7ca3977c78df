/**
 * The development federation of the demo story (DESIGN.md §1): the city of Munich applies for a
 * resident parking permit on a citizen's behalf and asks the residents' office for the registered
 * address and the vehicle authority for vehicles held; a business register offers public data.
 * `einmal dev init` issues keys and certificates for these members and gateways; `einmal dev seed`
 * loads them into the registry; the demo starts them on the ports given here.
 */

import type { SampleRegistryName } from '../adapters/index.ts';

export const DEMO_INSTANCE = 'DEMO';
/** Audience of citizen eID tokens for this instance (RFC 8707 resource indicator). */
export const DEMO_AUDIENCE = `urn:einmal:${DEMO_INSTANCE}`;

export interface DemoMember {
  /** `INSTANCE/CLASS/MEMBER`. */
  readonly id: string;
  readonly name: string;
  readonly subsystems: readonly string[];
  /** The member's one gateway: its server code and the port it listens on for peers. */
  readonly gateway: { readonly code: string; readonly port: number; readonly clientPort: number };
  /** A provider's registry adapter: the sample registry it serves and its port, behind the gateway. */
  readonly adapter?: { readonly registry: SampleRegistryName; readonly port: number };
}

export const demoMembers: readonly DemoMember[] = [
  {
    id: 'DEMO/GOV/munich',
    name: 'Landeshauptstadt München',
    subsystems: ['parking-permits'],
    gateway: { code: 'gw1', port: 4410, clientPort: 4510 },
  },
  {
    id: 'DEMO/GOV/residents-office',
    name: 'Residents’ registration office (Bürgerbüro)',
    subsystems: ['register'],
    gateway: { code: 'gw1', port: 4411, clientPort: 4511 },
    adapter: { registry: 'population', port: 4420 },
  },
  {
    id: 'DEMO/GOV/vehicle-authority',
    name: 'Vehicle registration authority',
    subsystems: ['vehicles'],
    gateway: { code: 'gw1', port: 4412, clientPort: 4512 },
    adapter: { registry: 'vehicles', port: 4421 },
  },
  {
    id: 'DEMO/GOV/business-register',
    name: 'Business register',
    subsystems: ['companies'],
    gateway: { code: 'gw1', port: 4413, clientPort: 4513 },
    adapter: { registry: 'business-register', port: 4422 },
  },
];

export interface DemoService {
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly personalData: boolean;
  readonly requiredLoa: 'low' | 'substantial' | 'high' | null;
  readonly eidScope: string | null;
  readonly purposes: readonly { readonly code: string; readonly title: string }[];
  readonly legalBases: readonly { readonly code: string; readonly title: string }[];
  readonly hideable: boolean;
}

const parkingPermit = { code: 'parking-permit', title: 'Application for a resident parking permit' };
const investigation = { code: 'traffic-offence', title: 'Investigation of a traffic offence' };

export const demoServices: readonly DemoService[] = [
  {
    id: 'DEMO/GOV/residents-office/register/address/v1',
    title: 'Registered address',
    description: 'Your current registered main residence from the residents’ register.',
    personalData: true,
    requiredLoa: 'substantial',
    eidScope: 'population.address',
    purposes: [parkingPermit],
    legalBases: [{ code: 'de-bmg-34', title: '§ 34 Federal Registration Act (transfer to public bodies)' }],
    hideable: false,
  },
  {
    id: 'DEMO/GOV/residents-office/register/household/v1',
    title: 'Household members',
    description: 'The people registered at your address (names and dates of birth).',
    personalData: true,
    requiredLoa: 'high',
    eidScope: 'population.household',
    purposes: [parkingPermit],
    legalBases: [{ code: 'de-bmg-34', title: '§ 34 Federal Registration Act (transfer to public bodies)' }],
    hideable: false,
  },
  {
    id: 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder/v1',
    title: 'Vehicles held',
    description: 'Vehicles registered with you as holder (registration plate, make, emission class).',
    personalData: true,
    requiredLoa: 'substantial',
    eidScope: 'vehicles.holder',
    purposes: [parkingPermit, investigation],
    legalBases: [{ code: 'de-stvg-35', title: '§ 35 Road Traffic Act (transfer of vehicle register data)' }],
    hideable: true,
  },
  {
    id: 'DEMO/GOV/business-register/companies/company/v1',
    title: 'Company record',
    description: 'Public data of a registered company.',
    personalData: false,
    requiredLoa: null,
    eidScope: null,
    purposes: [],
    legalBases: [],
    hideable: false,
  },
];

/** Provider access rules of the demo: the city's permit system may use the three services it needs. */
export const demoAccessRules: readonly { readonly client: string; readonly service: string }[] = [
  { client: 'DEMO/GOV/munich/parking-permits', service: 'DEMO/GOV/residents-office/register/address/v1' },
  { client: 'DEMO/GOV/munich/parking-permits', service: 'DEMO/GOV/residents-office/register/household/v1' },
  {
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder/v1',
  },
  { client: 'DEMO/GOV/munich/parking-permits', service: 'DEMO/GOV/business-register/companies/company/v1' },
];

/** Ports of the central services of the demo. */
export const demoPorts = {
  registry: 4400,
  registryAdmin: 4401,
  eid: 4402,
  portal: 4403,
  /** The first adapter's port (the residents' register); `einmal adapter serve` defaults to it. */
  adapters: 4420,
} as const;
