import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../core/database/index.ts';
import { addressDeclaration } from './population/address-service.ts';
import { describeSampleRegistry, SAMPLE_REGISTRY_NAMES, sampleRegistries } from './sample-registries.ts';
import { declareService, describeService } from './sdk/index.ts';

const database = await openDatabase({});
afterAll(() => database.close());

describe('the sample registries’ static descriptions', () => {
  it.each(SAMPLE_REGISTRY_NAMES)('%s describes exactly what its adapter serves', (name) => {
    const served = sampleRegistries[name].create({ db: database.db });
    expect(describeSampleRegistry(name)).toEqual(served.services.map(describeService));
    expect(sampleRegistries[name].description.title).toBe(served.title);
  });

  it('checks a declaration without a handler as defineService checks a service', () => {
    const declared = declareService(addressDeclaration);
    expect(declared).not.toHaveProperty('handler');
    expect(declared.serviceCode).toBe('address-v1');
    expect(declared.personIds.declared).toEqual(['subject']);
    expect(() => declareService({ ...addressDeclaration, personIds: [] })).toThrow(
      "personal-data service 'address' must declare where its response names persons",
    );
  });
});
