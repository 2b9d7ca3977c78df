import type { Kysely } from 'kysely';
import { type Clock, EinmalError } from '../../core/index.ts';
import type { GatewayDb } from '../db/tables.ts';
import type { PeerIdentity } from '../tls/peer-certificate.ts';

/** Registers an information system's TLS client certificate for one of the gateway's clients. */
export async function registerIsCertificate(
  db: Kysely<GatewayDb>,
  client: string,
  fingerprint: string,
): Promise<void> {
  await db
    .insertInto('is_certificate')
    .values({ client, fingerprint })
    .onConflict((oc) => oc.column('fingerprint').doUpdateSet({ client }))
    .execute();
}

export async function listIsCertificates(
  db: Kysely<GatewayDb>,
): Promise<{ client: string; fingerprint: string }[]> {
  return db.selectFrom('is_certificate').select(['client', 'fingerprint']).orderBy('client').execute();
}

export async function removeIsCertificate(db: Kysely<GatewayDb>, fingerprint: string): Promise<boolean> {
  const result = await db
    .deleteFrom('is_certificate')
    .where('fingerprint', '=', fingerprint)
    .executeTakeFirst();
  return Number(result.numDeletedRows) > 0;
}

/**
 * Authenticates the information systems calling the client API (docs/protocol.md §2): the TLS client
 * certificate must be registered for the client named in `X-Road-Client`. Plain HTTP, allowed only
 * on loopback in development, trusts the declared client.
 */
export function createIsAuthenticator(options: {
  db: Kysely<GatewayDb>;
  clock: Clock;
  allowPlainHttp: boolean;
  maxAgeMs?: number;
}) {
  let loadedAt = Number.NEGATIVE_INFINITY;
  let byFingerprint = new Map<string, string>();
  let loading: Promise<void> | undefined;

  async function fresh(): Promise<Map<string, string>> {
    if (options.clock() - loadedAt > (options.maxAgeMs ?? 2_000)) {
      loading ??= listIsCertificates(options.db)
        .then((rows) => {
          byFingerprint = new Map(rows.map((r) => [r.fingerprint, r.client]));
          loadedAt = options.clock();
        })
        .finally(() => {
          loading = undefined;
        });
      await loading;
    }
    return byFingerprint;
  }

  return {
    /** @throws EinmalError `Client.Unauthenticated` or `Client.UnknownClient` */
    async authenticate(peer: PeerIdentity | null, encrypted: boolean, client: string): Promise<void> {
      if (!encrypted && options.allowPlainHttp) return;
      if (!peer) throw new EinmalError('Client.Unauthenticated');
      const registered = (await fresh()).get(peer.fingerprint);
      if (registered !== client)
        throw new EinmalError('Client.UnknownClient', { detail: { fingerprint: peer.fingerprint } });
    },
    invalidate(): void {
      loadedAt = Number.NEGATIVE_INFINITY;
    },
  };
}

export type IsAuthenticator = ReturnType<typeof createIsAuthenticator>;
