import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { EinmalError, errorHandlers, type Logger } from '../../core/index.ts';
import {
  AUDIT_OUTCOMES,
  instantDateSchema,
  messageIdSchema,
  printedMemberIdSchema,
  printedServiceIdSchema,
  subjectIdSchema,
} from '../../schemas/index.ts';
import { type AuditRecordRow, findRecords, storedRecord } from '../audit/record-query.ts';
import { parseQuery } from '../citizen/query-params.ts';
import type { GatewayDb } from '../db/tables.ts';
import { requireCertificate, type VerifyCertificate } from './auditor-auth.ts';

export interface AuditorAppDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  readonly verifyCertificate: VerifyCertificate;
}

const recordsQuerySchema = z.object({
  member: printedMemberIdSchema.optional(),
  service: printedServiceIdSchema.optional(),
  subject: subjectIdSchema.optional(),
  from: instantDateSchema.optional(),
  to: instantDateSchema.optional(),
  status: z.coerce.number().int().min(100).max(599).optional(),
  outcome: z.enum(AUDIT_OUTCOMES).optional(),
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().min(1).max(400).optional(),
});

/** A record as an auditor sees it: where it sits in the log, the record itself, and any disclosure. */
function auditorView(row: AuditRecordRow) {
  return {
    tree: row.tree,
    leafIndex: Number(row.idx),
    record: storedRecord(row),
    /** When the subject may see it (after a disclosure, earlier than the record declares). */
    visibleFrom: row.hidden_until ? new Date(row.hidden_until).toISOString() : null,
    disclosure: row.disclosed_at
      ? { at: new Date(row.disclosed_at).toISOString(), reason: row.disclosure_reason }
      : null,
  };
}

/**
 * The auditor API (docs/protocol.md §12.3), for holders of an `auditor` certificate of the federation CA:
 * `GET /audit/v1/records?member=&service=&subject=&from=&to=&status=&outcome=&limit=&cursor=`
 * (newest first, keyset-paged, hidden records included) and `GET /audit/v1/exchanges/:messageId`
 * (this gateway's records of one exchange; the auditor's tools pair them across gateways by id).
 */
export function createAuditorApp(deps: AuditorAppDeps): Hono<{ Bindings: Partial<HttpBindings> }> {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.onError(errorHandlers({ log: deps.log }).onError);
  app.use('/audit/*', async (c, next) => {
    requireCertificate(c.env, deps.verifyCertificate, ['auditor'], 'Audit.NotAuditor');
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
  return app;
}
