import type { Kysely, Selectable } from 'kysely';
import { EinmalError } from '../core/index.ts';
import type { RegistrationStatus, RegistrationTable, RegistryDb } from './db/index.ts';

/** A registration request as the operator sees it. */
export interface Registration {
  readonly id: string;
  /** `INSTANCE/CLASS/MEMBER/SERVERCODE`. */
  readonly gateway: string;
  readonly member: string;
  readonly address: string;
  readonly status: RegistrationStatus;
  readonly authKeyFingerprint: string;
  readonly submittedAt: string;
  readonly approvedAt: string | null;
}

/** A new, verified request to store as pending. */
export interface NewRegistration {
  readonly id: string;
  readonly gateway: string;
  readonly member: string;
  readonly address: string;
  readonly csr: string;
  readonly request: string;
  readonly authKeyFingerprint: string;
  readonly submittedAt: Date;
}

/**
 * Stores a pending request. A second pending request for the same gateway, or any earlier request
 * for the same key, is `Registry.DuplicateRegistration`.
 *
 * @example
 * await insertRegistration(db, { id: randomUUID(), gateway, member, address, csr, request, ... });
 */
export async function insertRegistration(
  db: Kysely<RegistryDb>,
  registration: NewRegistration,
): Promise<void> {
  const inserted = await db
    .insertInto('registration')
    .values({
      id: registration.id,
      gateway_id: registration.gateway,
      member_id: registration.member,
      address: registration.address,
      csr: registration.csr,
      request: registration.request,
      auth_key_fingerprint: registration.authKeyFingerprint,
      status: 'pending',
      submitted_at: registration.submittedAt,
    })
    .onConflict((oc) => oc.doNothing())
    .returning('id')
    .executeTakeFirst();
  if (!inserted) {
    throw new EinmalError('Registry.DuplicateRegistration', {
      detail: { gateway: registration.gateway, authKeyFingerprint: registration.authKeyFingerprint },
    });
  }
}

/** Registration requests, oldest first, optionally only those in one status. */
export async function listRegistrations(
  db: Kysely<RegistryDb>,
  filter: { status?: RegistrationStatus } = {},
): Promise<Registration[]> {
  let query = db.selectFrom('registration').selectAll().orderBy('submitted_at').orderBy('id');
  if (filter.status) query = query.where('status', '=', filter.status);
  return (await query.execute()).map(toRegistration);
}

/** One registration request with its CSR and certificate, or `undefined`. */
export async function findRegistration(
  db: Kysely<RegistryDb>,
  id: string,
  options: { forUpdate?: boolean } = {},
): Promise<(Registration & { csr: string; certificate: string | null }) | undefined> {
  let query = db.selectFrom('registration').selectAll().where('id', '=', id);
  if (options.forUpdate) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row ? { ...toRegistration(row), csr: row.csr, certificate: row.certificate } : undefined;
}

/** Marks a pending request approved with the certificate issued for it. */
export async function markRegistrationApproved(
  db: Kysely<RegistryDb>,
  id: string,
  approval: { certificate: string; approvedAt: Date },
): Promise<void> {
  await db
    .updateTable('registration')
    .set({ status: 'approved', certificate: approval.certificate, approved_at: approval.approvedAt })
    .where('id', '=', id)
    .where('status', '=', 'pending')
    .execute();
}

function toRegistration(row: Selectable<RegistrationTable>): Registration {
  return {
    id: row.id,
    gateway: row.gateway_id,
    member: row.member_id,
    address: row.address,
    status: row.status,
    authKeyFingerprint: row.auth_key_fingerprint,
    submittedAt: new Date(row.submitted_at).toISOString(),
    approvedAt: row.approved_at ? new Date(row.approved_at).toISOString() : null,
  };
}
