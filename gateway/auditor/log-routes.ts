import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { exportBundle, writeBundleArchive } from '../../audit/bundle/index.ts';
import { EinmalError, type Logger } from '../../core/index.ts';
import { logOrigin } from '../../protocol/index.ts';
import type { Directory } from '../../schemas/index.ts';
import { latestWitnessedCheckpoints } from '../audit/record-query.ts';
import { proveRecords } from '../citizen/citizen-record.ts';
import { parseQuery } from '../citizen/query-params.ts';
import type { GatewayDb } from '../db/tables.ts';
import { auditorView } from './auditor-view.ts';

export interface AuditorLogRoutesDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  /** The printed gateway id, whose logs' origins are listed. */
  readonly gatewayId: string;
  readonly directory: () => Directory | undefined;
  readonly anchorPem: string;
}

const treeSchema = z
  .string()
  .min(1)
  .max(255)
  .regex(/^[A-Za-z0-9._/#-]+$/, 'Must be a log tree name');
const recordQuerySchema = z.object({
  tree: treeSchema,
  index: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
const bundleQuerySchema = z.object({ tree: treeSchema });

/** A folder name for the archive from the tree name, e.g. `einmal-audit-DEMO-GOV-munich-gw1`. */
const archiveFolder = (tree: string) =>
  `einmal-audit-${tree.replaceAll(/[^A-Za-z0-9._-]+/g, '-')}`.slice(0, 64);

/**
 * The auditor's view of whole logs (docs/protocol.md §12), behind the auditor API's authentication:
 *
 * - `GET /audit/v1/record?tree=&index=`: one record with the canonical text its leaf covers and its
 *   inclusion proof against the latest witnessed checkpoint (`proof: null` while pending).
 * - `GET /audit/v1/logs`: this gateway's log trees the auditor may verify, each with its checkpoint
 *   origin, size and latest witnessed checkpoint (size, root, time). The signed checkpoints
 *   themselves are public: `GET /log/v1/checkpoints?origin=` and the witness serve them.
 * - `GET /audit/v1/bundle?tree=`: the export bundle of one tree (`einmal audit export`, ending at
 *   its latest witnessed checkpoint), as a tar archive for `einmal audit verify`.
 */
export function createAuditorLogRoutes(deps: AuditorLogRoutesDeps): Hono {
  const app = new Hono();

  app.get('/audit/v1/record', async (c) => {
    const query = parseQuery(c.req.query(), recordQuerySchema);
    const row = await deps.db
      .selectFrom('audit_record')
      .selectAll()
      .where('tree', '=', query.tree)
      .where('idx', '=', query.index)
      .executeTakeFirst();
    if (!row) throw new EinmalError('Client.NotFound');
    const { proofs, checkpoints } = await proveRecords(deps.db, [row]);
    const proof = proofs[0] ?? null;
    const checkpoint = proof ? checkpoints.find((cp) => cp.tree === row.tree) : undefined;
    return c.json({
      ...auditorView(row),
      canonical: Buffer.from(row.canonical).toString('utf8'),
      proof: proof
        ? { treeSize: proof.treeSize, leafHash: proof.leafHash, inclusionProof: proof.proof }
        : null,
      checkpoint: checkpoint ?? null,
    });
  });

  app.get('/audit/v1/logs', async (c) => {
    const heads = await deps.db.selectFrom('tree_head').select(['tree', 'size']).orderBy('tree').execute();
    const witnessed = await latestWitnessedCheckpoints(
      deps.db,
      heads.map((h) => h.tree),
    );
    return c.json({
      logs: heads.map((head) => {
        const checkpoint = witnessed.get(head.tree);
        return {
          tree: head.tree,
          origin: logOrigin(deps.gatewayId, head.tree),
          size: Number(head.size),
          witnessed: checkpoint
            ? {
                size: Number(checkpoint.size),
                root: checkpoint.root,
                time: new Date(checkpoint.time).toISOString(),
              }
            : null,
        };
      }),
    });
  });

  app.get('/audit/v1/bundle', async (c) => {
    const { tree } = parseQuery(c.req.query(), bundleQuerySchema);
    const known = await deps.db
      .selectFrom('tree_head')
      .select('tree')
      .where('tree', '=', tree)
      .executeTakeFirst();
    if (!known) throw new EinmalError('Client.NotFound');
    const dir = await mkdtemp(join(tmpdir(), 'einmal-bundle-'));
    const out = join(dir, 'bundle');
    const caPem = [deps.anchorPem, ...(deps.directory()?.approvedCas.map((ca) => ca.certificate) ?? [])]
      .map((pem) => pem.trim())
      .join('\n');
    try {
      const { manifest } = await exportBundle({ db: deps.db, tree, out, caPem });
      deps.log.info({ tree, records: manifest.records }, 'audit bundle exported for an auditor');
    } catch (error) {
      await rm(dir, { recursive: true, force: true });
      throw error;
    }
    const archive = writeBundleArchive(out, archiveFolder(tree));
    archive.once('close', () => void rm(dir, { recursive: true, force: true }));
    return new Response(Readable.toWeb(archive) as ReadableStream, {
      headers: {
        'content-type': 'application/x-tar',
        'content-disposition': `attachment; filename="${archiveFolder(tree)}.tar"`,
        'cache-control': 'no-store',
      },
    });
  });
  return app;
}
