import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { createProofCache } from '../../audit/index.ts';
import { type Clock, errorHandlers, type Logger } from '../../core/index.ts';
import type { Directory } from '../../schemas/index.ts';
import { findRecords } from '../audit/record-query.ts';
import type { GatewayDb } from '../db/tables.ts';
import type { EidVerifier } from '../eid/index.ts';
import { authenticateCitizen } from './citizen-auth.ts';
import { describeRecords, proveRecords } from './citizen-record.ts';
import { parseQuery } from './query-params.ts';

export interface CitizenAppDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  readonly clock: Clock;
  /** The directory the gateway holds now, for agency names and service titles. */
  readonly directory: () => Directory | undefined;
  readonly eid: EidVerifier;
}

const recordsQuerySchema = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().min(1).max(400).optional(),
});

/**
 * The citizen API (docs/protocol.md §12.1): `GET /citizen/v1/records?limit=&cursor=` lists the records of
 * this gateway about the token's subject, newest first, hidden ones left out until `hiddenUntil`,
 * each with an inclusion proof against the latest witnessed checkpoint (`proof: null` while pending).
 *
 * @example
 * const response = await app.request('/citizen/v1/records?limit=20', { headers: { authorization: `Bearer ${token}` } });
 */
export function createCitizenApp(deps: CitizenAppDeps): Hono {
  const app = new Hono();
  app.onError(errorHandlers({ log: deps.log }).onError);
  // Every page's proofs share the upper tree levels and the checkpoint's right edge: read them once.
  const proofCache = createProofCache();

  app.get('/citizen/v1/records', async (c) => {
    const citizen = await authenticateCitizen(c.req.header('authorization'), deps.eid);
    const query = parseQuery(c.req.query(), recordsQuerySchema);
    const page = await findRecords(
      deps.db,
      { subject: citizen.subject, visibleAt: new Date(deps.clock()) },
      { limit: query.limit, cursor: query.cursor },
    );
    const described = describeRecords(page.rows, deps.directory());
    const { proofs, checkpoints } = await proveRecords(deps.db, page.rows, proofCache);
    c.header('cache-control', 'no-store');
    return c.json({
      subject: citizen.subject,
      records: described.map((record, i) => ({ ...record, proof: proofs[i] ?? null })),
      checkpoints,
      nextCursor: page.nextCursor,
    });
  });
  return app;
}
