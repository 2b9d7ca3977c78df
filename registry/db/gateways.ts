import type { Kysely } from 'kysely';
import { EinmalError } from '../../core/index.ts';
import { memberOfPrinted } from '../../schemas/index.ts';
import { recordChange } from './change.ts';
import { isRegisteredClient, notFound } from './members.ts';
import type { RegistryDb } from './tables.ts';

/** A security gateway as the directory lists it. */
export interface Gateway {
  /** `INSTANCE/CLASS/MEMBER/SERVERCODE`. */
  readonly id: string;
  /** Base URL peers reach it at, e.g. `https://127.0.0.1:4410`. */
  readonly address: string;
  /** Base URL of its public listener (citizen and auditor APIs), when it offers one. */
  readonly publicAddress?: string | undefined;
  /** SHA-256 fingerprints (lowercase hex) of its TLS authentication certificates. */
  readonly authCertificateFingerprints: readonly string[];
  /** Client identifiers (members or subsystems) it hosts. */
  readonly clients: readonly string[];
}

/**
 * Registers a gateway of an existing member; every hosted client must be registered
 * (`Registry.UnknownReference`). Refuses an existing id with `Client.Conflict`.
 *
 * @example
 * await addGateway(db, { id: 'DEMO/GOV/munich/gw1', address: 'https://127.0.0.1:4410',
 *   authCertificateFingerprints: [fingerprint], clients: ['DEMO/GOV/munich/parking-permits'] });
 */
export async function addGateway(db: Kysely<RegistryDb>, gateway: Gateway): Promise<void> {
  const memberId = memberOfPrinted(gateway.id);
  await recordChange(db, async (trx) => {
    const member = await trx.selectFrom('member').select('id').where('id', '=', memberId).executeTakeFirst();
    if (!member) {
      throw new EinmalError('Registry.UnknownReference', { message: `Member ${memberId} is not registered` });
    }
    for (const client of gateway.clients) {
      if (!(await isRegisteredClient(trx, client))) {
        throw new EinmalError('Registry.UnknownReference', { message: `Client ${client} is not registered` });
      }
    }
    const inserted = await trx
      .insertInto('gateway')
      .values({
        id: gateway.id,
        member_id: memberId,
        address: gateway.address,
        public_address: gateway.publicAddress ?? null,
        auth_cert_fingerprints: JSON.stringify(unique(gateway.authCertificateFingerprints)),
        clients: JSON.stringify(unique(gateway.clients)),
      })
      .onConflict((oc) => oc.column('id').doNothing())
      .returning('id')
      .executeTakeFirst();
    if (!inserted)
      throw new EinmalError('Client.Conflict', { message: `Gateway ${gateway.id} already exists` });
  });
}

/** All gateways, ordered by id. */
export async function listGateways(db: Kysely<RegistryDb>): Promise<Gateway[]> {
  const rows = await db.selectFrom('gateway').selectAll().orderBy('id').execute();
  return rows.map(toGateway);
}

/** One gateway, or `undefined`. */
export async function findGateway(db: Kysely<RegistryDb>, id: string): Promise<Gateway | undefined> {
  const row = await db.selectFrom('gateway').selectAll().where('id', '=', id).executeTakeFirst();
  return row ? toGateway(row) : undefined;
}

/**
 * Adds an authentication certificate fingerprint to a registered gateway (a renewed or additional
 * TLS certificate, e.g. after an approved registration request). Adding a listed one is a no-op
 * apart from the version bump.
 *
 * @example
 * await addGatewayAuthCertificate(db, 'DEMO/GOV/munich/gw1', certificateFingerprint(cert));
 */
export async function addGatewayAuthCertificate(
  db: Kysely<RegistryDb>,
  id: string,
  fingerprint: string,
): Promise<void> {
  await changeFingerprints(db, id, (fingerprints) => unique([...fingerprints, fingerprint]));
}

/**
 * Withdraws one auth certificate of a gateway (the old one, once its renewed certificate serves):
 * peers stop accepting it with the next directory. The last one cannot go (`Client.Conflict`): a
 * gateway without a certificate is removed instead.
 *
 * @example
 * await removeGatewayAuthCertificate(db, 'DEMO/GOV/munich/gw1', oldFingerprint);
 */
export async function removeGatewayAuthCertificate(
  db: Kysely<RegistryDb>,
  id: string,
  fingerprint: string,
): Promise<void> {
  await changeFingerprints(db, id, (fingerprints) => {
    if (!fingerprints.includes(fingerprint)) throw notFound('Certificate', fingerprint);
    if (fingerprints.length === 1) {
      throw new EinmalError('Client.Conflict', {
        message: `${fingerprint} is the only auth certificate of ${id}; add its successor first`,
      });
    }
    return fingerprints.filter((f) => f !== fingerprint);
  });
}

/** Replaces a gateway's auth certificate fingerprints with what `change` makes of them. */
async function changeFingerprints(
  db: Kysely<RegistryDb>,
  id: string,
  change: (fingerprints: readonly string[]) => string[],
): Promise<void> {
  await recordChange(db, async (trx) => {
    const gateway = await findGateway(trx, id);
    if (!gateway) throw notFound('Gateway', id);
    await trx
      .updateTable('gateway')
      .set({ auth_cert_fingerprints: JSON.stringify(change(gateway.authCertificateFingerprints)) })
      .where('id', '=', id)
      .execute();
  });
}

/**
 * Removes a gateway; peers stop trusting its certificates with the next directory.
 *
 * @example
 * await removeGateway(db, 'DEMO/GOV/munich/gw1');
 */
export async function removeGateway(db: Kysely<RegistryDb>, id: string): Promise<void> {
  await recordChange(db, async (trx) => {
    const deleted = await trx.deleteFrom('gateway').where('id', '=', id).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('Gateway', id);
  });
}

const unique = (values: readonly string[]): string[] => [...new Set(values)];

function toGateway(row: {
  id: string;
  address: string;
  public_address: string | null;
  auth_cert_fingerprints: string[];
  clients: string[];
}): Gateway {
  return {
    id: row.id,
    address: row.address,
    ...(row.public_address ? { publicAddress: row.public_address } : {}),
    authCertificateFingerprints: row.auth_cert_fingerprints,
    clients: row.clients,
  };
}
