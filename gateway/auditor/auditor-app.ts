import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EinmalError, errorHandlers, isErrorCode, type Logger } from '../../core/index.ts';
import {
  AUDIT_OUTCOMES,
  type Directory,
  instantDateSchema,
  messageIdSchema,
  printedClientIdSchema,
  printedMemberIdSchema,
  printedServiceIdSchema,
  subjectIdSchema,
} from '../../schemas/index.ts';
import { findRecords } from '../audit/record-query.ts';
import { parseQuery } from '../citizen/query-params.ts';
import type { GatewayDb } from '../db/tables.ts';
import type { EidVerifier } from '../eid/index.ts';
import { requireCertificate, type VerifyCertificate } from './auditor-auth.ts';
import { authenticateAuditorToken } from './auditor-token.ts';
import { auditorView } from './auditor-view.ts';
import { createAuditorLogRoutes } from './log-routes.ts';

export interface AuditorAppDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  readonly verifyCertificate: VerifyCertificate;
  /** Printed gateway id: auditors' tokens must entitle them to its member. */
  readonly gatewayId: string;
  readonly eid: EidVerifier;
  readonly directory: () => Directory | undefined;
  /** The configuration anchor (PEM), included in export bundles next to the directory's CAs. */
  readonly anchorPem: string;
}

const recordsQuerySchema = z.object({
  member: printedMemberIdSchema.optional(),
  client: printedClientIdSchema.optional(),
  service: printedServiceIdSchema.optional(),
  subject: subjectIdSchema.optional(),
  from: instantDateSchema.optional(),
  to: instantDateSchema.optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  errorCode: z.string().max(128).refine(isErrorCode, 'Must be a known error code').optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(400).optional(),
});

/**
 * The auditor API (docs/protocol.md §12.3), for holders of an `auditor` certificate of the
 * federation CA or of an auditor's staff-login token (`Authorization: Bearer`, see
 * {@link authenticateAuditorToken}):
 * `GET /audit/v1/records?member=&client=&service=&subject=&from=&to=&status=&outcome=&errorCode=&limit=&cursor=`
 * (newest first, keyset-paged, hidden records included), `GET /audit/v1/exchanges/:messageId`
 * (this gateway's records of one exchange; the auditor's tools pair them across gateways by id),
 * and the log routes of {@link createAuditorLogRoutes} (one record with its proof, the logs and
 * their checkpoints, export bundles).
 */
export function createAuditorApp(deps: AuditorAppDeps): Hono<{ Bindings: Partial<HttpBindings> }> {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.onError(errorHandlers({ log: deps.log }).onError);
  app.use('/audit/*', async (c, next) => {
    const bearer = /^Bearer ([^\s]+)$/.exec(c.req.header('authorization') ?? '');
    if (bearer) await authenticateAuditorToken(bearer[1]!, deps);
    else requireCertificate(c.env, deps.verifyCertificate, ['auditor'], 'Audit.NotAuditor');
    await next();
  });

  app.get('/audit/v1/records', async (c) => {
    const query = parseQuery(c.req.query(), recordsQuerySchema);
    const page = await findRecords(deps.db, query, { limit: query.limit, cursor: query.cursor });
    return c.json({ records: page.rows.map(auditorView), nextCursor: page.nextCursor });
  });

  app.get('/audit/v1/exchanges/:messageId', async (c) => {
    const messageId = messageIdSchema.safeParse(c.req.param('messageId'));
    if (!messageId.success) throw new EinmalError('Client.InvalidMessageId');
    const page = await findRecords(deps.db, { messageId: messageId.data }, { limit: 100 });
    if (page.rows.length === 0) throw new EinmalError('Client.NotFound');
    const records = page.rows.map(auditorView);
    return c.json({
      messageId: messageId.data,
      consumer: records.filter((r) => r.record.side === 'consumer'),
      provider: records.filter((r) => r.record.side === 'provider'),
    });
  });
  app.route('/', createAuditorLogRoutes(deps));
  return app;
}
