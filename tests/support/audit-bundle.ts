import { KeyObject, randomUUID } from 'node:crypto';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { exportBundle } from '../../audit/bundle/bundle-export.ts';
import { getRoot, getTreeSize } from '../../audit/index.ts';
import { toPem } from '../../certs/index.ts';
import { type Database, migrateToLatest } from '../../core/database/index.ts';
import { silentLogger } from '../../core/index.ts';
import { createAuditLog, gatewayMigrations } from '../../gateway/index.ts';
import {
  cosignCheckpoint,
  createCheckpoint,
  digestEnvelope,
  sha256Base64Url,
  signCheckpoint,
  signRequestClaims,
  signResponse,
} from '../../protocol/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import { createTestDatabase } from './database.ts';
import { createTestPki, type IssuedCredential } from './directory-fixture.ts';

export const CONSUMER_TREE = 'DEMO/GOV/munich/gw1';
export const PROVIDER_TREE = 'DEMO/GOV/residents-office/gw1';
/** Exchanges logged on both sides; every eighth one also has a refused request on the provider. */
export const EXCHANGES = 24;

/** A key and its `x5c` chain (base64 DER, signer first). */
export interface ChainedKey {
  readonly credential: IssuedCredential;
  readonly chain: string[];
}

/** Two gateways' logs in one database, checkpointed and witnessed, and their exported bundles. */
export interface BundleFixture {
  readonly database: Database;
  /** The logs' schema in `database`; `db` is scoped to it. */
  readonly schema: string;
  readonly db: Kysely<any>;
  /** A temporary folder for bundles, removed by `close`. */
  readonly work: string;
  readonly anchorPem: string;
  readonly keys: {
    readonly munich: ChainedKey;
    readonly residents: ChainedKey;
    /** The registry's witness key (profile `witness`). */
    readonly witness: ChainedKey;
    /** The registry's directory-signing key: a trusted key, but not the witness's. */
    readonly directory: ChainedKey;
  };
  /** Bundles of the consumer (Munich) and the provider (residents' office), as exported at start. */
  readonly consumerBundle: string;
  readonly providerBundle: string;
  /** Signs a checkpoint of `tree` at its current size; cosigned by the witness unless `witnessed` is false. */
  signCheckpointFor(tree: string, options?: { witnessed?: boolean }): Promise<void>;
  /** Appends `count` more exchanges to both logs (no checkpoint). */
  logExchanges(count: number): Promise<void>;
  close(): Promise<void>;
}

const SCHEMA = 'gw_bundle_test';

/**
 * Builds the audit logs of Munich's gateway (consumer) and the residents' office's (provider):
 * {@link EXCHANGES} signed exchanges with real request and response JWS, a refused request on the
 * provider side every eighth exchange, a checkpoint of both logs signed by each log's member and
 * cosigned by the witness after every eighth exchange; then exports both bundles.
 *
 * @example
 * const fixture = await createBundleFixture();
 * const report = await verifyBundles({ bundles: [fixture.consumerBundle], anchorPem: fixture.anchorPem });
 */
export async function createBundleFixture(): Promise<BundleFixture> {
  const database = await createTestDatabase();
  await migrateToLatest(database.db, { schema: SCHEMA, migrations: gatewayMigrations });
  const db = database.db.withSchema(SCHEMA);
  const work = await mkdtemp(join(tmpdir(), 'einmal-bundle-'));

  const pki = await createTestPki();
  const anchorPem = toPem(pki.root.certificate);
  const issuingDer = Buffer.from(pki.issuing.certificate.rawData).toString('base64');
  const chained = (credential: IssuedCredential): ChainedKey => ({
    credential,
    chain: [Buffer.from(credential.certificate.rawData).toString('base64'), issuingDer],
  });
  const issue = (member: string) =>
    pki.issue({ profile: 'signing', subject: `CN=${member}, O=${member}`, member });
  const keys = {
    munich: chained(await issue('DEMO/GOV/munich')),
    residents: chained(await issue('DEMO/GOV/residents-office')),
    witness: chained(await pki.issue({ profile: 'witness', subject: 'CN=DEMO registry witness, O=DEMO' })),
    directory: chained(
      await pki.issue({ profile: 'directory', subject: 'CN=DEMO directory signing, O=DEMO' }),
    ),
  };
  const signer = (key: ChainedKey, member: string) => ({
    member,
    privateKey: KeyObject.from(key.credential.keys.privateKey),
    x5c: key.chain,
  });
  const consumerSigner = signer(keys.munich, 'DEMO/GOV/munich');
  const providerSigner = signer(keys.residents, 'DEMO/GOV/residents-office');

  const signCheckpointFor: BundleFixture['signCheckpointFor'] = async (tree, options = {}) => {
    const size = await getTreeSize(db, tree);
    const checkpoint = createCheckpoint({
      origin: tree,
      size,
      root: await getRoot(db, tree, size),
      now: new Date(),
    });
    const owner = tree === CONSUMER_TREE ? keys.munich : keys.residents;
    const jws = await signCheckpoint({
      checkpoint,
      privateKey: owner.credential.keys.privateKey,
      certificateChain: owner.chain,
    });
    const cosignature =
      options.witnessed === false
        ? null
        : await cosignCheckpoint({
            checkpoint,
            privateKey: keys.witness.credential.keys.privateKey,
            certificateChain: keys.witness.chain,
          });
    await db
      .insertInto('checkpoint')
      .values({ tree, size, root: checkpoint.root, time: new Date(checkpoint.time), jws, cosignature })
      .execute();
  };

  const consumerLog = createAuditLog({ db, tree: CONSUMER_TREE, log: silentLogger });
  const providerLog = createAuditLog({ db, tree: PROVIDER_TREE, log: silentLogger });
  let logged = 0;
  const logExchange = async () => {
    const i = logged++;
    const now = Date.now();
    // Every third exchange as gateways signed and logged it before five-part service ids
    // (claims version 1, `…/address/v1`): bundles holding such records must verify as they are.
    const legacy = i % 3 === 2;
    const claims = {
      v: (legacy ? 1 : 2) as 2,
      id: randomUUID(),
      iat: Math.floor(now / 1000),
      client: 'DEMO/GOV/munich/parking-permits',
      service: `DEMO/GOV/residents-office/register/${legacy ? 'address/v1' : 'address-v1'}`,
      method: 'GET' as const,
      path: '/address',
      query: '',
      body: sha256Base64Url(''),
      userId: 'clerk-7',
      issue: `permit-${i}`,
      subject: `DE${10000 + (i % 5)}`,
      purpose: 'parking-permit',
      legalBasis: 'StVO-45',
      consentRef: null,
      hiddenUntil: null,
      hiddenReason: null,
      eid: null,
    };
    const requestJws = signRequestClaims(claims, consumerSigner);
    const { jws: responseJws } = signResponse(
      { id: claims.id, request: digestEnvelope(requestJws), status: 200, body: Buffer.from('{}'), now },
      providerSigner,
    );
    const record = (side: AuditRecord['side'], gateway: string): AuditRecord => ({
      logTime: new Date(now).toISOString(),
      messageId: claims.id,
      side,
      gateway,
      client: claims.client,
      service: claims.service,
      method: 'GET',
      path: claims.path,
      subject: claims.subject,
      userId: claims.userId,
      issue: claims.issue,
      purpose: claims.purpose,
      legalBasis: claims.legalBasis,
      consentRef: null,
      hiddenUntil: null,
      hiddenReason: null,
      status: 200,
      outcome: 'ok',
      errorCode: null,
      requestDigest: sha256Base64Url(requestJws),
      responseDigest: sha256Base64Url(responseJws),
      requestSignature: requestJws,
      responseSignature: responseJws,
      eidDigest: null,
    });
    await Promise.all([
      consumerLog.append(record('consumer', CONSUMER_TREE)),
      providerLog.append(record('provider', PROVIDER_TREE)),
    ]);
    return { i, record };
  };

  for (let n = 0; n < EXCHANGES; n++) {
    const { i, record } = await logExchange();
    if (i % 8 === 7) {
      // A refused request is logged too, with no signatures to check.
      await providerLog.append({
        ...record('provider', PROVIDER_TREE),
        messageId: randomUUID(),
        status: 403,
        outcome: 'rejected',
        errorCode: 'Client.Forbidden',
        responseDigest: null,
        responseSignature: null,
      });
      await signCheckpointFor(CONSUMER_TREE);
      await signCheckpointFor(PROVIDER_TREE);
    }
  }
  const consumerBundle = join(work, 'munich');
  const providerBundle = join(work, 'residents');
  await exportBundle({ db, tree: CONSUMER_TREE, out: consumerBundle, caPem: anchorPem, pageSize: 7 });
  await exportBundle({ db, tree: PROVIDER_TREE, out: providerBundle, caPem: anchorPem, pageSize: 7 });
  return {
    database,
    schema: SCHEMA,
    db,
    work,
    anchorPem,
    keys,
    consumerBundle,
    providerBundle,
    signCheckpointFor,
    async logExchanges(count) {
      for (let n = 0; n < count; n++) await logExchange();
    },
    async close() {
      await database.close();
      await rm(work, { recursive: true, force: true });
    },
  };
}
