import { randomUUID } from 'node:crypto';
import type { HttpBindings } from '@hono/node-server';
import { Hono } from 'hono';
import { type Kysely, sql } from 'kysely';
import { z } from 'zod';
import { EinmalError, isDatabaseReachable, type Logger, toEinmalError } from '../../core/index.ts';
import {
  type Directory,
  identifierPartSchema,
  instantDateSchema,
  plainTextSchema,
  subjectIdSchema,
} from '../../schemas/index.ts';
import { findRecordsByOffset } from '../audit/record-query.ts';
import { requireCertificate, requireController, type VerifyCertificate } from '../auditor/auditor-auth.ts';
import type { GatewayDb } from '../db/tables.ts';
import type { EidVerifier } from '../eid/index.ts';
import { authenticateCitizen } from './citizen-auth.ts';
import { DATA_TRACKER_OPENAPI } from './data-tracker-openapi.ts';
import { PROCESSING_TYPES, type ProcessingType, toUsageTransfer } from './data-tracker-usage.ts';
import { parseQuery } from './query-params.ts';

export interface DataTrackerAppDeps {
  readonly db: Kysely<GatewayDb>;
  readonly log: Logger;
  readonly clock: () => number;
  readonly directory: () => Directory | undefined;
  readonly eid: EidVerifier;
  readonly verifyCertificate: VerifyCertificate;
  /** The gateway operator's token; also admits `disclose`. */
  readonly adminToken: string | undefined;
}

const list = z
  .array(z.string())
  .optional()
  .transform((values) => values?.flatMap((v) => v.split(',')).filter((v) => v.length > 0));

/** `GET /v3/findUsage` parameters, as the spec defines them (limit 1–10000, default 1000). */
const findUsageQuerySchema = z.object({
  // The spec's PersonCode is Estonian (`EE` + 11 digits); einmal's subjects are any country's.
  userCode: subjectIdSchema,
  processingType: list.pipe(z.array(z.enum(PROCESSING_TYPES)).optional()),
  includeBulkProcessing: z.enum(['true', 'false']).optional(),
  // A log source system is the subsystem code of a record's client or service.
  logSourceSystems: list.pipe(z.array(identifierPartSchema).max(100).optional()),
  periodStart: instantDateSchema.optional(),
  periodEnd: instantDateSchema.optional(),
  limit: z.coerce.number().int().min(1).max(10_000).default(1000),
  offset: z.coerce.number().int().min(0).max(2_147_483_647).default(0),
});

/** The spec's `DiscloseRequest`: 1–10000 `DiscloseItem`s. */
const discloseRequestSchema = z
  .array(
    z.object({
      queryId: plainTextSchema.min(1).max(255),
      hiddenReason: plainTextSchema.min(1).max(1000),
      hiddenUntil: instantDateSchema,
    }),
  )
  .min(1)
  .max(10_000);

/** An error in the spec's `Error` shape, `{code, message}`; the detail goes to the log only. */
function trackerError(error: unknown, log: Logger): Response {
  const failure = toEinmalError(error);
  const incidentId = randomUUID();
  log[failure.status >= 500 ? 'error' : 'warn'](
    { code: failure.code, incidentId, detail: failure.detail, err: failure.cause },
    failure.message,
  );
  return new Response(JSON.stringify({ code: failure.code, message: failure.message }), {
    status: failure.status,
    headers: { 'content-type': 'application/json; charset=utf-8', 'x-road-error': failure.code },
  });
}

/**
 * Estonia's Data Tracker ("Andmejälgija") usage service v3 over this gateway's log:
 * `GET /v3/findUsage` (the citizen's own eID token with `userCode` = its subject, or an auditor
 * certificate), `POST /v3/disclose` (the data controller: auditor or operator certificate, or the
 * admin token) and `GET /v3/heartbeat`, described by `GET /v3/openapi.json`. Records are newest
 * first; only completed accesses (`outcome` ok) are usages, and hidden ones stay out until their
 * `hiddenUntil`.
 */
export function createDataTrackerApp(deps: DataTrackerAppDeps): Hono<{ Bindings: Partial<HttpBindings> }> {
  const app = new Hono<{ Bindings: Partial<HttpBindings> }>();
  app.onError((error) => trackerError(error, deps.log));

  app.get('/v3/openapi.json', (c) => c.json(DATA_TRACKER_OPENAPI));

  app.get('/v3/heartbeat', async (c) => {
    const database = await isDatabaseReachable(deps.db);
    const directory = deps.directory() !== undefined;
    if (database && directory) return c.json({ status: 'OK', message: 'API is ready' });
    const message = database ? 'No directory is available' : 'The audit database is unreachable';
    return c.json({ status: 'FAIL', message }, 500);
  });

  app.get('/v3/findUsage', async (c) => {
    const userId = subjectIdSchema.safeParse(c.req.header('x-road-userid'));
    if (!userId.success) {
      throw new EinmalError('Client.InvalidHeader', { message: 'X-Road-UserId must be a person code' });
    }
    const authorization = c.req.header('authorization');
    const query = parseQuery(
      {
        ...c.req.query(),
        processingType: c.req.queries('processingType'),
        logSourceSystems: c.req.queries('logSourceSystems'),
      },
      findUsageQuerySchema,
    );
    if (authorization !== undefined) {
      const citizen = await authenticateCitizen(authorization, deps.eid);
      if (userId.data !== citizen.subject) throw new EinmalError('Client.SubjectMismatch');
      if (query.userCode !== citizen.subject) {
        throw new EinmalError('Client.Forbidden', { message: 'A citizen may only read their own usage' });
      }
    } else {
      requireCertificate(c.env, deps.verifyCertificate, ['auditor'], 'Audit.NotAuditor');
    }

    const types = new Set<ProcessingType>(query.processingType ?? PROCESSING_TYPES);
    const sides = [
      ...(types.has('DATA_REQUEST') ? (['consumer'] as const) : []),
      ...(types.has('DATA_RESPONSE') ? (['provider'] as const) : []),
    ];
    const systems = query.logSourceSystems;
    const { total, rows } =
      sides.length === 0
        ? { total: 0, rows: [] }
        : await findRecordsByOffset(
            deps.db,
            {
              subject: query.userCode,
              outcome: 'ok',
              visibleAt: new Date(deps.clock()),
              from: query.periodStart,
              through: query.periodEnd,
              side: sides.length === 1 ? sides[0] : undefined,
            },
            { limit: query.limit, offset: query.offset },
            (q) =>
              systems && systems.length > 0
                ? q.where(
                    sql<string>`split_part(case when side = 'consumer' then client else service end, '/', 4)`,
                    'in',
                    systems,
                  )
                : q,
          );
    const directory = deps.directory();
    const usages = rows.map((row) => ({ side: row.side, usage: toUsageTransfer(row, directory) }));
    const of = (side: 'consumer' | 'provider') => usages.filter((u) => u.side === side).map((u) => u.usage);
    c.header('cache-control', 'no-store');
    return c.json({
      totalUsages: total,
      returnedUsages: usages.length,
      dataRequests: types.has('DATA_REQUEST') ? of('consumer') : null,
      dataResponses: types.has('DATA_RESPONSE') ? of('provider') : null,
      dataProcessings: types.has('DATA_PROCESSING') ? [] : null,
      internalProcessings: types.has('INTERNAL_PROCESSING') ? [] : null,
    });
  });

  app.post('/v3/disclose', async (c) => {
    const controller = requireController(
      c.env,
      c.req.header('authorization'),
      deps.verifyCertificate,
      deps.adminToken,
    );
    let body: unknown;
    try {
      body = await c.req.json();
    } catch {
      throw new EinmalError('Client.InvalidBody', { message: 'The body must be JSON' });
    }
    const parsed = discloseRequestSchema.safeParse(body);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new EinmalError('Client.InvalidBody', {
        message: `${issue?.path.join('.') || 'body'}: ${issue?.message}`,
      });
    }
    const disclosed = await discloseRecords(deps.db, parsed.data, new Date(deps.clock()));
    deps.log.info({ controller, records: disclosed }, 'records disclosed');
    return c.json({ disclosed });
  });
  return app;
}

/**
 * Un-hides the records of the given message ids, all or none: each hidden record becomes visible
 * at the given time (never later than it already would), with the controller's reason. Hiding is
 * never extended here, and records that were never hidden stay as they are. A message id with no
 * record on this gateway is `Client.NotFound`.
 */
async function discloseRecords(
  db: Kysely<GatewayDb>,
  items: readonly { queryId: string; hiddenReason: string; hiddenUntil: Date }[],
  now: Date,
): Promise<number> {
  return db.transaction().execute(async (trx) => {
    const ids = [...new Set(items.map((i) => i.queryId.toLowerCase()))];
    const found = new Set<string>();
    for (let i = 0; i < ids.length; i += 5_000) {
      const rows = await trx
        .selectFrom('audit_record')
        .select('message_id')
        .distinct()
        .where('message_id', 'in', ids.slice(i, i + 5_000))
        .execute();
      for (const row of rows) found.add(row.message_id);
    }
    const missing = ids.filter((id) => !found.has(id));
    if (missing.length > 0) {
      throw new EinmalError('Client.NotFound', {
        message: 'No record with this queryId',
        detail: { missing: missing.slice(0, 10) },
      });
    }
    // Items sharing reason and time (the usual case) are one UPDATE.
    const groups = new Map<string, { reason: string; until: Date; ids: string[] }>();
    for (const item of items) {
      const key = `${item.hiddenReason}\n${item.hiddenUntil.toISOString()}`;
      const group = groups.get(key) ?? { reason: item.hiddenReason, until: item.hiddenUntil, ids: [] };
      group.ids.push(item.queryId.toLowerCase());
      groups.set(key, group);
    }
    let disclosed = 0;
    for (const group of groups.values()) {
      const result = await trx
        .updateTable('audit_record')
        .set({
          hidden_until: sql<Date>`least(hidden_until, ${group.until})`,
          disclosure_reason: group.reason,
          disclosed_at: now,
        })
        .where('message_id', 'in', group.ids)
        .where('hidden_until', 'is not', null)
        .executeTakeFirst();
      disclosed += Number(result.numUpdatedRows);
    }
    return disclosed;
  });
}
