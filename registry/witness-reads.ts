import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EinmalError, errorHandlers, type Logger } from '../core/index.ts';
import { parseCheckpointOrigin } from '../protocol/index.ts';
import { printedGatewayIdSchema } from '../schemas/index.ts';
import type { RegistryDb } from './db/index.ts';
import {
  cosignedView,
  findCheckpointAt,
  findWitnessedCheckpoint,
  listCheckpoints,
  listForks,
  listOriginsOf,
  type RecordedFork,
} from './witness-store.ts';

const count = z
  .string()
  .regex(/^(0|[1-9][0-9]{0,14})$/, 'Must be a whole number')
  .transform(Number);

const pageQuerySchema = z.strictObject({
  after: count.default(0),
  limit: count.pipe(z.number().min(1).max(1000)).default(100),
});

const originsQuerySchema = z.strictObject({ gateway: printedGatewayIdSchema });

function parsePage(query: Record<string, string>): z.output<typeof pageQuerySchema> {
  const parsed = pageQuerySchema.safeParse(query);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    const name = issue?.path.join('.') || (issue?.code === 'unrecognized_keys' ? issue.keys.join(', ') : '');
    throw new EinmalError('Client.BadRequest', {
      message: `Invalid query parameter ${name}: ${issue?.message ?? 'invalid'}`,
    });
  }
  return parsed.data;
}

/** An origin from the path; anything that is not one (a NUL byte, a stray name) is not witnessed. */
function originParam(text: string): string {
  if (text.length > 255 || !parseCheckpointOrigin(text)) {
    throw new EinmalError('Witness.NotWitnessed', { detail: { origin: text.slice(0, 255) } });
  }
  return text;
}

function forkView(fork: RecordedFork) {
  return {
    id: fork.id,
    origin: fork.origin,
    code: fork.code,
    size: fork.size,
    root: fork.root,
    time: fork.time.toISOString(),
    checkpoint: fork.checkpoint,
    fromSize: fork.fromSize,
    consistencyProof: fork.consistencyProof,
    witnessed: fork.witnessed,
    detectedAt: fork.detectedAt.toISOString(),
  };
}

/**
 * What the witness serves auditors and gateways (docs/protocol.md §11.3), all public (checkpoints and
 * hashes hold no personal data):
 *
 * - `GET /checkpoints/:origin` (origin URL-encoded): the latest cosigned checkpoint,
 *   `{checkpoint, cosignature}`; the file a verifier takes as its trusted checkpoint.
 * - `GET /checkpoints/:origin/:size`: the one cosigned at that size.
 * - `GET /checkpoints/:origin/history?after=SIZE&limit=N`: every cosigned checkpoint above `after`,
 *   smallest first, `{origin, checkpoints: [{size, witnessedAt, checkpoint, cosignature}], next}`.
 * - `GET /origins?gateway=GATEWAY`: every log (origin) of that gateway the witness has cosigned, its
 *   nodes included, with the latest witnessed size, root and time: `{gateway, origins: [...]}`. An
 *   auditor checks here that an export covers every node log of a gateway, not only the one shown.
 * - `GET /forks?after=ID&limit=N` and `GET /forks/:origin?…`: refused checkpoints that contradict
 *   the witnessed log, oldest first, `{forks: [...], next}`, each with the signed checkpoint, its
 *   proof and the witnessed size and root it contradicts.
 *
 * Unknown origins and sizes are `Witness.NotWitnessed` (404); bad paging is `Client.BadRequest`.
 */
export function createWitnessReadRoutes(deps: { db: Kysely<RegistryDb>; log: Logger }): Hono {
  const { db } = deps;
  const app = new Hono();
  const errors = errorHandlers({ log: deps.log, pathInLog: (path) => path });
  app.onError(errors.onError);
  app.notFound(errors.notFound);

  app.get('/checkpoints/:origin', async (c) => {
    const origin = originParam(c.req.param('origin'));
    const witnessed = await findWitnessedCheckpoint(db, origin);
    if (!witnessed) throw new EinmalError('Witness.NotWitnessed', { detail: { origin } });
    return c.json(cosignedView(witnessed));
  });

  app.get('/checkpoints/:origin/history', async (c) => {
    const origin = originParam(c.req.param('origin'));
    const page = await listCheckpoints(db, origin, parsePage(c.req.query()));
    return c.json({
      origin,
      checkpoints: page.items.map((w) => ({
        size: w.size,
        witnessedAt: w.witnessedAt.toISOString(),
        ...cosignedView(w),
      })),
      next: page.next,
    });
  });

  app.get('/checkpoints/:origin/:size', async (c) => {
    const origin = originParam(c.req.param('origin'));
    const size = count.safeParse(c.req.param('size'));
    if (!size.success) {
      throw new EinmalError('Client.BadRequest', { message: 'The size must be a whole number' });
    }
    const witnessed = await findCheckpointAt(db, origin, size.data);
    if (!witnessed) throw new EinmalError('Witness.NotWitnessed', { detail: { origin, size: size.data } });
    return c.json(cosignedView(witnessed));
  });

  app.get('/origins', async (c) => {
    const query = originsQuerySchema.safeParse(c.req.query());
    if (!query.success) {
      throw new EinmalError('Client.BadRequest', {
        message: 'The query must be gateway=INSTANCE/CLASS/MEMBER/SERVERCODE',
      });
    }
    const gateway = query.data.gateway;
    const origins = await listOriginsOf(db, gateway);
    return c.json({
      gateway,
      origins: origins.map((w) => ({
        origin: w.origin,
        size: w.size,
        root: w.root,
        time: w.time.toISOString(),
        witnessedAt: w.witnessedAt.toISOString(),
      })),
    });
  });

  app.get('/forks', async (c) => {
    const page = await listForks(db, parsePage(c.req.query()));
    return c.json({ forks: page.items.map(forkView), next: page.next });
  });

  app.get('/forks/:origin', async (c) => {
    const origin = originParam(c.req.param('origin'));
    const page = await listForks(db, { ...parsePage(c.req.query()), origin });
    return c.json({ origin, forks: page.items.map(forkView), next: page.next });
  });
  return app;
}
