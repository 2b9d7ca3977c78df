import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  checkpointSchema,
  getConsistencyProof,
  getTreeSize,
  hashToBase64,
  logOrigin,
  parseCheckpointOrigin,
} from '../../audit/index.ts';
import { EinmalError, type Logger } from '../../core/index.ts';
import { parseQuery } from '../citizen/query-params.ts';
import type { GatewayDb } from '../db/tables.ts';
import { respondError } from '../http/respond-error.ts';

export interface LogAppDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  /** The printed gateway id: logs of its nodes are served. */
  readonly gatewayId: string;
  /** This node's log tree, served when no origin is asked for. */
  readonly tree: string;
}

const count = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,15})$/, 'Must be a whole number')
  .transform(Number)
  .pipe(z.number().max(Number.MAX_SAFE_INTEGER));

const originParam = checkpointSchema.shape.origin.optional();

const checkpointsQuerySchema = z.strictObject({
  origin: originParam,
  after: count.default(0),
  limit: count.pipe(z.number().min(1).max(1000)).default(100),
});

const consistencyQuerySchema = z.strictObject({ origin: originParam, first: count, second: count });

/**
 * The public view of a gateway's Merkle logs (DESIGN.md §8, §9) for auditors and witnesses, with
 * no authentication (sizes and hashes hold no personal data):
 *
 * - `GET /log/v1/checkpoints?origin=&after=SIZE&limit=N`: the signed checkpoints of the log,
 *   smallest first, each with the witness's cosignature once it has one:
 *   `{origin, treeSize, checkpoints: [{size, root, time, checkpoint, cosignature}], next}`.
 * - `GET /log/v1/consistency?origin=&first=M&second=N`: the consistency proof (RFC 9162 §2.1.4)
 *   between the tree of the first M and the first N records, `{origin, first, second, proof}`
 *   (base64 hashes), for any 0 ≤ M ≤ N ≤ the log's size.
 *
 * `origin` names a log of this gateway (`GATEWAY` or `GATEWAY#NODE`); without it, this node's.
 * Bad parameters are `Client.BadRequest`, sizes out of range `Audit.RangeError` (both 400), an
 * origin of another gateway `Client.NotFound`.
 *
 * @example
 * app.route('/', createLogApp({ db, log, gatewayId, tree: nodeId }));
 */
export function createLogApp(deps: LogAppDeps): Hono<{ Bindings: Partial<HttpBindings> }> {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.onError((error) => respondError(error, deps.log).response);
  const ownOrigin = logOrigin(deps.gatewayId, deps.tree);

  /** The tree of a log of this gateway; its nodes share the database, each with its own tree. */
  const treeOf = (origin: string): string => {
    const parsed = parseCheckpointOrigin(origin);
    if (parsed?.gatewayId !== deps.gatewayId) {
      throw new EinmalError('Client.NotFound', { message: 'No log of this origin is kept here' });
    }
    return parsed.node ?? parsed.gatewayId;
  };

  app.get('/log/v1/checkpoints', async (c) => {
    const query = parseQuery(c.req.query(), checkpointsQuerySchema);
    const origin = query.origin ?? ownOrigin;
    const tree = treeOf(origin);
    const rows = await deps.db
      .selectFrom('checkpoint')
      .select(['size', 'root', 'time', 'jws', 'cosignature'])
      .where('tree', '=', tree)
      .where('size', '>', query.after)
      .orderBy('size')
      .limit(query.limit + 1)
      .execute();
    const page = rows.slice(0, query.limit).map((row) => ({
      size: Number(row.size),
      root: row.root,
      time: new Date(row.time).toISOString(),
      checkpoint: row.jws,
      cosignature: row.cosignature,
    }));
    return c.json({
      origin,
      treeSize: await getTreeSize(deps.db, tree),
      checkpoints: page,
      next: rows.length > query.limit ? page.at(-1)!.size : null,
    });
  });

  app.get('/log/v1/consistency', async (c) => {
    const query = parseQuery(c.req.query(), consistencyQuerySchema);
    const origin = query.origin ?? ownOrigin;
    const tree = treeOf(origin);
    const { first, second } = query;
    if (first > second) {
      throw new EinmalError('Audit.RangeError', {
        message: `first (${first}) is larger than second (${second})`,
      });
    }
    const size = await getTreeSize(deps.db, tree);
    if (second > size) {
      throw new EinmalError('Audit.RangeError', {
        message: `second (${second}) is past the log's size (${size})`,
      });
    }
    const proof = await getConsistencyProof(deps.db, tree, first, second);
    return c.json({ origin, first, second, proof: proof.map(hashToBase64) });
  });
  return app;
}
