import type { Kysely } from 'kysely';
import { EinmalError } from '../../core/index.ts';
import { recordChange } from './change.ts';
import { notFound } from './members.ts';
import type { RegistryDb } from './tables.ts';

/** An approved issuing CA. */
export interface ApprovedCa {
  readonly name: string;
  /** PEM. */
  readonly certificate: string;
}

/** A revoked certificate as the directory lists it. */
export interface Revocation {
  /** Issuer distinguished name. */
  readonly issuer: string;
  /** Serial number, lowercase hex. */
  readonly serialNumber: string;
  readonly revokedAt: Date;
}

/**
 * Approves an issuing CA. The caller passes the certificate's SHA-256 fingerprint, so the same CA
 * cannot be approved twice under different names (`Client.Conflict`).
 *
 * @example
 * await addApprovedCa(db, { name: 'DEMO issuing CA', certificate: pem }, fingerprint);
 */
export async function addApprovedCa(
  db: Kysely<RegistryDb>,
  ca: ApprovedCa,
  fingerprint: string,
): Promise<void> {
  await recordChange(db, async (trx) => {
    const inserted = await trx
      .insertInto('approved_ca')
      .values({ name: ca.name, certificate: ca.certificate, fingerprint })
      .onConflict((oc) => oc.doNothing())
      .returning('name')
      .executeTakeFirst();
    if (!inserted) throw new EinmalError('Client.Conflict', { message: `CA ${ca.name} is already approved` });
  });
}

/** All approved CAs, ordered by name. */
export async function listApprovedCas(db: Kysely<RegistryDb>): Promise<ApprovedCa[]> {
  return db.selectFrom('approved_ca').select(['name', 'certificate']).orderBy('name').execute();
}

/**
 * Withdraws the approval of an issuing CA.
 *
 * @example
 * await removeApprovedCa(db, 'DEMO issuing CA');
 */
export async function removeApprovedCa(db: Kysely<RegistryDb>, name: string): Promise<void> {
  await recordChange(db, async (trx) => {
    const deleted = await trx.deleteFrom('approved_ca').where('name', '=', name).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('CA', name);
  });
}

/**
 * Lists a certificate as revoked; gateways learn of it with the next directory.
 *
 * @example
 * await addRevocation(db, { issuer: 'CN=DEMO Issuing CA', serialNumber: '1a2b', revokedAt: new Date() });
 */
export async function addRevocation(db: Kysely<RegistryDb>, revocation: Revocation): Promise<void> {
  await recordChange(db, async (trx) => {
    const inserted = await trx
      .insertInto('revocation')
      .values({
        issuer: revocation.issuer,
        serial_number: revocation.serialNumber.toLowerCase(),
        revoked_at: revocation.revokedAt,
      })
      .onConflict((oc) => oc.doNothing())
      .returning('serial_number')
      .executeTakeFirst();
    if (!inserted) {
      throw new EinmalError('Client.Conflict', {
        message: `Certificate ${revocation.serialNumber} of ${revocation.issuer} is already revoked`,
      });
    }
  });
}

/** All revocations, in the order they were recorded. */
export async function listRevocations(db: Kysely<RegistryDb>): Promise<Revocation[]> {
  const rows = await db
    .selectFrom('revocation')
    .select(['issuer', 'serial_number', 'revoked_at'])
    .orderBy('seq')
    .execute();
  return rows.map((row) => ({
    issuer: row.issuer,
    serialNumber: row.serial_number,
    revokedAt: row.revoked_at,
  }));
}

/**
 * Withdraws a revocation entered by mistake.
 *
 * @example
 * await removeRevocation(db, 'CN=DEMO Issuing CA', '1a2b');
 */
export async function removeRevocation(
  db: Kysely<RegistryDb>,
  issuer: string,
  serialNumber: string,
): Promise<void> {
  await recordChange(db, async (trx) => {
    const deleted = await trx
      .deleteFrom('revocation')
      .where('issuer', '=', issuer)
      .where('serial_number', '=', serialNumber.toLowerCase())
      .executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('Revocation', `${issuer} ${serialNumber}`);
  });
}
