import assert from 'node:assert/strict';
import { test } from 'node:test';
import { createAdapterApp, silentLogger } from 'einmal/adapter-sdk';
import { createAdapterTestkit } from 'einmal/adapter-sdk/testkit';
import adapter, { feesService, licencesService } from './adapter.js';

const anna = 'DE65402138797';
const lukas = 'DE48517309264';
const kit = createAdapterTestkit(createAdapterApp({ services: adapter.services, log: silentLogger }));

test('the licences service keeps its contract', async () => {
  const report = await kit.checkContract(licencesService, [
    { name: 'Anna', subject: anna },
    { name: 'Lukas', subject: lukas },
    { name: 'nobody', subject: 'DE29471863055', expectError: 'Adapter.NotFound' },
    { name: 'bad date', subject: anna, input: { validOn: 'soon' }, expectError: 'Client.InvalidQuery' },
  ]);
  assert.deepEqual(
    report.checks.filter((check) => !check.ok),
    [],
  );
});

test('the fees service keeps its contract', async () => {
  const report = await kit.checkContract(feesService, [
    { subject: null },
    { subject: null, input: { dogs: '2' } },
  ]);
  assert.deepEqual(
    report.checks.filter((check) => !check.ok),
    [],
  );
});

test('a citizen sees their own licences only', async () => {
  const response = await kit.call({ service: licencesService, subject: anna });
  assert.equal(response.status, 200);
  assert.deepEqual(
    response.body.licences.map((/** @type {{ dogName: string }} */ licence) => licence.dogName),
    ['Bello', 'Luna'],
  );
});

test('an unknown query parameter is refused with the allowed ones', async () => {
  const response = await kit.call({
    service: licencesService,
    subject: anna,
    input: { valid: '2026-01-01' },
  });
  assert.equal(response.status, 400);
  assert.equal(response.body.type, 'Client.InvalidQuery');
  assert.equal(response.body.message, 'Unknown query parameter valid; allowed: validOn');
});
