import { beforeAll, describe, expect, it } from 'vitest';
import { toPem } from '../../certs/index.ts';
import { demoServices } from '../../dev/demo-federation.ts';
import { createTestPki, demoDirectory } from '../../tests/support/directory-fixture.ts';
import { createFederationView, type FederationView } from '../federation/federation-view.ts';
import type { CheckedRecord, RecordCheck } from './check-record.ts';
import type { CitizenRecord } from './citizen-answer.ts';
import type { GatewayRecords } from './collect-timeline.ts';
import { filterTimeline, mergeTimeline, provisionalTimeline } from './timeline.ts';

const ADDRESS = 'DEMO/GOV/residents-office/register/address-v1';
const VEHICLES = 'DEMO/GOV/vehicle-authority/vehicles/vehicles-by-holder-v1';
let view: FederationView;

beforeAll(async () => {
  const pki = await createTestPki();
  const directory = {
    ...demoDirectory({ version: 1, issuedAt: new Date() }),
    services: demoServices.map((s) => ({ ...s, purposes: [...s.purposes], legalBases: [...s.legalBases] })),
    gateways: ['munich', 'residents-office', 'vehicle-authority'].map((member, i) => ({
      id: `DEMO/GOV/${member}/gw1`,
      address: `https://localhost:${4410 + i}`,
      publicAddress: `https://localhost:${4710 + i}`,
      authCertificateFingerprints: [String(i).repeat(64)],
      clients: [],
    })),
  };
  view = createFederationView(directory, toPem(pki.root.certificate));
});

/** A gateway's description of one record, as its citizen API would give it. */
function described(fields: {
  id: string;
  side: 'consumer' | 'provider';
  time: string;
  service: string;
  outcome?: CitizenRecord['outcome'];
}): CitizenRecord {
  return {
    messageId: fields.id,
    side: fields.side,
    time: fields.time,
    agency: { member: 'DEMO/GOV/munich', client: 'DEMO/GOV/munich/parking-permits' },
    data: { service: fields.service },
    purpose: { code: 'parking-permit', title: null },
    legalBasis: null,
    consentReference: null,
    official: null,
    issue: 'PP-1',
    status: fields.outcome === 'rejected' ? 403 : 200,
    outcome: fields.outcome ?? 'ok',
    hiddenUntil: null,
    hiddenReason: null,
    proof: null,
  };
}

function checked(record: CitizenRecord, status: RecordCheck['status'] = 'pending'): CheckedRecord {
  const check: RecordCheck =
    status === 'failed'
      ? { status, reason: 'changed' }
      : status === 'pending'
        ? { status }
        : ({ status } as never);
  return { described: record, logged: null, check };
}

const at = (gateway: string, records: CheckedRecord[]): GatewayRecords => ({
  gateway: view.gateways.find((g) => g.id === gateway)!,
  records,
  notice: null,
});

describe('the merged timeline', () => {
  it('makes one entry of the consumer’s and the provider’s record of an exchange, newest first', () => {
    const one = '00000000-0000-4000-8000-000000000001';
    const two = '00000000-0000-4000-8000-000000000002';
    const timeline = mergeTimeline(
      [
        at('DEMO/GOV/munich/gw1', [
          checked(
            described({ id: one, side: 'consumer', time: '2026-03-01T10:00:00.200Z', service: ADDRESS }),
          ),
          checked(
            described({ id: two, side: 'consumer', time: '2026-03-02T10:00:00.200Z', service: VEHICLES }),
          ),
        ]),
        at('DEMO/GOV/residents-office/gw1', [
          checked(
            described({
              id: one.toUpperCase(),
              side: 'provider',
              time: '2026-03-01T10:00:00.100Z',
              service: ADDRESS,
            }),
          ),
        ]),
        at('DEMO/GOV/vehicle-authority/gw1', [
          checked(
            described({
              id: two,
              side: 'provider',
              time: '2026-03-02T10:00:00.100Z',
              service: VEHICLES,
              outcome: 'rejected',
            }),
            'failed',
          ),
        ]),
      ],
      view,
      0,
    );
    expect(timeline.entries.map((e) => e.messageId)).toEqual([two, one]);
    const [vehicles, address] = timeline.entries;
    expect(address!.records.map((r) => [r.gateway.agency, r.record.described.side])).toEqual([
      ['Landeshauptstadt München', 'consumer'],
      ['Residents’ registration office (Bürgerbüro)', 'provider'],
    ]);
    expect(address).toMatchObject({
      time: '2026-03-01T10:00:00.200Z',
      agency: { member: 'DEMO/GOV/munich', name: 'Landeshauptstadt München' },
      data: { service: ADDRESS, title: 'Registered address' },
      purpose: { code: 'parking-permit', title: 'Application for a resident parking permit' },
      outcome: 'ok',
      check: 'pending',
    });
    // The worst outcome and the worst check of its records.
    expect(vehicles).toMatchObject({ outcome: 'rejected', check: 'failed' });
  });

  it('filters by agency, data and period in the portal’s time zone', () => {
    const entries = mergeTimeline(
      [
        at('DEMO/GOV/munich/gw1', [
          // 00:30 in Berlin on 2 March, still 1 March in UTC.
          checked(
            described({
              id: '00000000-0000-4000-8000-000000000003',
              side: 'consumer',
              time: '2026-03-01T23:30:00Z',
              service: ADDRESS,
            }),
          ),
          checked(
            described({
              id: '00000000-0000-4000-8000-000000000004',
              side: 'consumer',
              time: '2026-03-05T12:00:00Z',
              service: VEHICLES,
            }),
          ),
        ]),
      ],
      view,
      0,
    ).entries;
    const ids = (filter: Parameters<typeof filterTimeline>[1], zone = 'Europe/Berlin') =>
      filterTimeline(entries, filter, zone).map((e) => e.messageId.slice(-1));
    expect(ids({})).toEqual(['4', '3']);
    expect(ids({ data: ADDRESS })).toEqual(['3']);
    expect(ids({ agency: 'DEMO/GOV/vehicle-authority' })).toEqual([]);
    expect(ids({ from: '2026-03-02', to: '2026-03-02' })).toEqual(['3']);
    expect(ids({ from: '2026-03-02', to: '2026-03-02' }, 'UTC')).toEqual([]);
    expect(ids({ from: '2026-03-03' })).toEqual(['4']);
  });

  it('shows the newest part before older records arrive: only entries no unread record can join or precede', () => {
    const record = (n: number, side: 'consumer' | 'provider', minute: number) =>
      checked(
        described({
          id: `00000000-0000-4000-8000-00000000000${n}`,
          side,
          time: new Date(Date.UTC(2026, 2, 1, 10, minute)).toISOString(),
          service: ADDRESS,
        }),
      );
    const first = (gateway: string, records: CheckedRecord[], oldestMinute: number | null) => ({
      ...at(gateway, records),
      more: oldestMinute !== null,
      oldest: oldestMinute === null ? null : new Date(Date.UTC(2026, 2, 1, 10, oldestMinute)).toISOString(),
    });
    const partial = provisionalTimeline(
      [
        first(
          'DEMO/GOV/munich/gw1',
          [record(1, 'consumer', 30), record(2, 'consumer', 20), record(3, 'consumer', 10)],
          10,
        ),
        first('DEMO/GOV/residents-office/gw1', [record(1, 'provider', 30)], null),
      ],
      view,
      0,
    );
    // Munich holds older records, logged 10:10 or earlier: what is newer by more than an exchange's
    // span is final; the entry at 10:10 may still gain its other side's record.
    expect(partial.complete).toBe(false);
    expect(partial.entries.map((e) => [e.messageId.slice(-1), e.records.length])).toEqual([
      ['1', 2],
      ['2', 1],
    ]);
    const whole = provisionalTimeline(
      [first('DEMO/GOV/munich/gw1', [record(3, 'consumer', 10)], null)],
      view,
      0,
    );
    expect([whole.complete, whole.entries.length]).toEqual([true, 1]);
  });
});
