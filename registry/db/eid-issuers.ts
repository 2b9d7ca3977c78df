import type { Kysely } from 'kysely';
import { EinmalError } from '../../core/index.ts';
import type { LevelOfAssurance } from '../../schemas/index.ts';
import { recordChange } from './change.ts';
import { notFound } from './members.ts';
import type { RegistryDb } from './tables.ts';

/** A trusted eID issuer: an OIDC provider of an eID scheme (docs/protocol.md §4.1). */
export interface EidIssuer {
  /** The `iss` of its tokens. */
  readonly issuer: string;
  readonly jwksUri?: string | undefined;
  /** Inline JWKS, for issuers without a reachable JWKS endpoint. */
  readonly jwks?: { readonly keys: readonly Record<string, unknown>[] } | undefined;
  /** Accepted `acr` values mapped to eIDAS levels. */
  readonly acr: Readonly<Record<string, LevelOfAssurance>>;
  /** Staff roles the issuer may assert (`auditor`); absent for citizens' eID issuers. */
  readonly roles?: readonly 'auditor'[] | undefined;
}

/**
 * Trusts an eID issuer. Refuses an issuer already trusted with `Client.Conflict`.
 *
 * @example
 * await addEidIssuer(db, { issuer: 'http://127.0.0.1:4402', jwksUri: 'http://127.0.0.1:4402/jwks',
 *   acr: { 'http://eidas.europa.eu/LoA/high': 'high' } });
 */
export async function addEidIssuer(db: Kysely<RegistryDb>, issuer: EidIssuer): Promise<void> {
  await recordChange(db, async (trx) => {
    const inserted = await trx
      .insertInto('eid_issuer')
      .values({
        issuer: issuer.issuer,
        jwks_uri: issuer.jwksUri ?? null,
        jwks: JSON.stringify(issuer.jwks ?? null),
        acr: JSON.stringify(issuer.acr),
        roles: issuer.roles ? JSON.stringify(issuer.roles) : null,
      })
      .onConflict((oc) => oc.column('issuer').doNothing())
      .returning('issuer')
      .executeTakeFirst();
    if (!inserted) {
      throw new EinmalError('Client.Conflict', { message: `eID issuer ${issuer.issuer} already exists` });
    }
  });
}

/** All trusted eID issuers, ordered by issuer. */
export async function listEidIssuers(db: Kysely<RegistryDb>): Promise<EidIssuer[]> {
  const rows = await db.selectFrom('eid_issuer').selectAll().orderBy('issuer').execute();
  return rows.map((row) => ({
    issuer: row.issuer,
    ...(row.jwks_uri ? { jwksUri: row.jwks_uri } : {}),
    ...(row.jwks ? { jwks: row.jwks } : {}),
    acr: row.acr,
    ...(row.roles ? { roles: row.roles } : {}),
  }));
}

/**
 * Stops trusting an eID issuer.
 *
 * @example
 * await removeEidIssuer(db, 'http://127.0.0.1:4402');
 */
export async function removeEidIssuer(db: Kysely<RegistryDb>, issuer: string): Promise<void> {
  await recordChange(db, async (trx) => {
    const deleted = await trx.deleteFrom('eid_issuer').where('issuer', '=', issuer).executeTakeFirst();
    if (deleted.numDeletedRows === 0n) throw notFound('eID issuer', issuer);
  });
}
