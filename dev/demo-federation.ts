/**
 * The development federation of the demo story (the README's demo): the city of Munich applies for a
 * resident parking permit on a citizen's behalf and asks the residents' office for the registered
 * address and the vehicle authority for vehicles held; a business register offers public data.
 * `einmal dev init` issues keys and certificates for these members and gateways; `einmal dev seed`
 * loads them into the registry; the demo starts them on the ports given here.
 */

import { describeSampleRegistry, type SampleRegistryName } from '../adapters/index.ts';
import { parseMemberId, printServiceId, type ServicePolicy, servicePolicyOf } from '../schemas/index.ts';

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

/** A service of the demo federation: its id and the policy its adapter declares. */
export interface DemoService extends ServicePolicy {
  readonly id: string;
}

/**
 * The demo's services, as the sample registries' adapters describe them: each provider member's
 * first subsystem offers its adapter's services, so the directory and the adapters cannot disagree.
 */
export const demoServices: readonly DemoService[] = demoMembers.flatMap((member) => {
  if (!member.adapter) return [];
  const provider = parseMemberId(member.id);
  return describeSampleRegistry(member.adapter.registry).map((service) => ({
    id: printServiceId({
      ...provider,
      subsystemCode: member.subsystems[0]!,
      serviceCode: service.serviceCode,
    }),
    ...servicePolicyOf(service),
  }));
});

/** Provider access rules of the demo: the city's permit system may use the three services it needs. */
export const demoAccessRules: readonly { readonly client: string; readonly service: string }[] = [
  { client: 'DEMO/GOV/munich/parking-permits', service: 'DEMO/GOV/residents-office/register/address-v1' },
  { client: 'DEMO/GOV/munich/parking-permits', service: 'DEMO/GOV/residents-office/register/household-v1' },
  {
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1',
  },
  { client: 'DEMO/GOV/munich/parking-permits', service: 'DEMO/GOV/business-register/companies/company-v1' },
];

/** Ports of the central services of the demo. */
export const demoPorts = {
  registry: 4400,
  registryAdmin: 4401,
  eid: 4402,
  portal: 4403,
  /** The operations listeners (`/healthz`, `/readyz`, `/metrics`) of the registry, eID provider and portal. */
  registryOps: 4404,
  eidOps: 4405,
  portalOps: 4406,
  /** The first adapter's port (the residents' register); `einmal adapter serve` defaults to it. */
  adapters: 4420,
} as const;
