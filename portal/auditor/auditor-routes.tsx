import { Readable } from 'node:stream';
import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { EVIDENCE_FORMAT } from '../../audit/bundle/index.ts';
import type { Logger } from '../../core/index.ts';
import { toLoginPage } from '../auth/auth-routes.tsx';
import { timeFormatter } from '../citizen/timeline-pages.tsx';
import type { FederationView, PortalGateway } from '../federation/federation-view.ts';
import type { GatewayClient, GatewayFailure } from '../federation/gateway-client.ts';
import type { PortalEnv } from '../http/portal-env.ts';
import { renderPage } from '../http/render.tsx';
import { Notice } from '../pages/layout.tsx';
import { clearSessionCookie, readPortalForm } from '../session/session-middleware.ts';
import type { SessionUser } from '../session/session-store.ts';
import { type AuditCriteria, auditCriteriaSchema, searchAuditLogs } from './audit-search.ts';
import { auditorLogsSchema } from './auditor-answers.ts';
import {
  auditorNoticeText,
  JobPage,
  jobProgress,
  type LogRow,
  LogsPage,
  RecordPage,
  SearchPage,
} from './auditor-pages.tsx';
import type { LogVerifications } from './log-verification.ts';
import { readRecordView } from './record-view.ts';

export interface AuditorRoutesDeps {
  readonly federation: () => FederationView | undefined;
  readonly gateways: GatewayClient;
  readonly verifications: LogVerifications;
  readonly publicUrl: URL;
  readonly timeZone: string;
  readonly clock: () => number;
  readonly log: Logger;
}

/** Records per page of a search. */
const PAGE_SIZE = 50;
const SEARCH_KEY = 'auditor-search';

const recordParams = z.object({
  gateway: z.string().max(300),
  tree: z.string().min(1).max(255),
  index: z.coerce.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});
const logParams = z.object({ gateway: z.string().max(300), tree: z.string().min(1).max(255) });

const ownerOf = (user: SessionUser) => `${user.issuer} ${user.subject}`;

/** Whether a gateway said the auditor's login has expired. */
const isExpired = (failure: GatewayFailure) =>
  failure.kind === 'refused' && failure.type === 'Server.ServerProxy.TokenExpired';

/**
 * The auditors' area (docs/protocol.md §12): search across every gateway, one record with its signatures
 * and proof, the logs with "verify this log" (a background verification with progress) and
 * "download export bundle". Every gateway request carries the auditor's own token, so each gateway
 * decides what this auditor may read; the portal holds no credential of its own.
 */
export function createAuditorRoutes(deps: AuditorRoutesDeps): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();
  const origin = deps.publicUrl.origin;

  const userOf = (c: Context<PortalEnv>) => c.get('session')!.user!;
  const gatewayOf = (view: FederationView, id: string): PortalGateway | undefined =>
    view.gateways.find((gateway) => gateway.id === id);
  const expired = (c: Context<PortalEnv>) => {
    const session = c.get('session')!;
    session.user = undefined;
    clearSessionCookie(c);
    return toLoginPage(c, 'auditor', 'expired');
  };
  const unavailable = (
    c: Context<PortalEnv>,
    title: string,
    status: 403 | 404 | 503 = 503,
    text?: string,
  ) => {
    const t = c.get('t');
    return renderPage(c, { title, status }, () => (
      <>
        <h1>{title}</h1>
        <Notice kind="error">{text ?? t.notices.noDirectory}</Notice>
      </>
    ));
  };

  async function searchPage(
    c: Context<PortalEnv>,
    criteria: AuditCriteria | undefined,
    problems: string[] = [],
    status: 200 | 400 = 200,
  ) {
    const view = deps.federation();
    const t = c.get('t');
    if (!view) return unavailable(c, t.auditor.searchTitle);
    const results = criteria
      ? await searchAuditLogs({
          view,
          client: deps.gateways,
          token: userOf(c).accessToken,
          criteria,
          after: c.req.query('after'),
          pageSize: PAGE_SIZE,
          timeZone: deps.timeZone,
        })
      : undefined;
    if (results?.notices.some((notice) => isExpired(notice.failure))) return expired(c);
    const members = view.directory.members.map((m) => ({ id: m.id, name: m.name }));
    const services = view.directory.services.map((s) => ({ id: s.id, title: s.title }));
    return renderPage(c, { title: t.auditor.searchTitle, active: '/auditor', status }, (page) => (
      <SearchPage
        page={page}
        criteria={criteria}
        members={members}
        services={services}
        problems={problems}
        results={results}
        format={timeFormatter(page.lang, deps.timeZone)}
      />
    ));
  }

  app.get('/auditor', (c) =>
    searchPage(c, c.get('session')!.data.get(SEARCH_KEY) as AuditCriteria | undefined),
  );

  app.post('/auditor/search', async (c) => {
    const { session, form } = await readPortalForm(c, origin);
    const parsed = auditCriteriaSchema.safeParse(form);
    if (!parsed.success) {
      const problems = parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`);
      return searchPage(c, undefined, problems, 400);
    }
    session.data.set(SEARCH_KEY, parsed.data);
    return c.redirect('/auditor', 303);
  });

  app.get('/auditor/record', async (c) => {
    const t = c.get('t');
    const view = deps.federation();
    if (!view) return unavailable(c, t.auditor.recordTitle);
    const params = recordParams.safeParse(c.req.query());
    const gateway = params.success ? gatewayOf(view, params.data.gateway) : undefined;
    if (!params.success || !gateway) return unavailable(c, t.auditor.recordTitle, 404, t.errors.notFound);
    const record = await readRecordView({
      view,
      client: deps.gateways,
      token: userOf(c).accessToken,
      gateway,
      tree: params.data.tree,
      leafIndex: params.data.index,
    });
    if ('kind' in record) {
      if (isExpired(record)) return expired(c);
      // The gateway refusing the auditor is 403; not finding (or not accepting) the record is 404.
      const status = record.kind === 'refused' ? ([400, 404].includes(record.status) ? 404 : 403) : 503;
      const text = status === 404 ? t.errors.notFound : auditorNoticeText(t, gateway, record);
      return unavailable(c, t.auditor.recordTitle, status, text);
    }
    return renderPage(c, { title: t.auditor.recordTitle, active: '/auditor' }, (page) => (
      <RecordPage page={page} view={record} format={timeFormatter(page.lang, deps.timeZone)} />
    ));
  });

  app.get('/auditor/record/evidence', async (c) => {
    const t = c.get('t');
    const view = deps.federation();
    const params = recordParams.safeParse(c.req.query());
    const gateway = view && params.success ? gatewayOf(view, params.data.gateway) : undefined;
    if (!view || !params.success || !gateway)
      return unavailable(c, t.auditor.recordTitle, 404, t.errors.notFound);
    const record = await readRecordView({
      view,
      client: deps.gateways,
      token: userOf(c).accessToken,
      gateway,
      tree: params.data.tree,
      leafIndex: params.data.index,
    });
    if ('kind' in record || !record.proof)
      return unavailable(c, t.auditor.recordTitle, 404, t.entry.evidencePending);
    c.header('content-disposition', `attachment; filename="einmal-evidence-${record.leafIndex}.json"`);
    return c.json({
      format: EVIDENCE_FORMAT,
      created: new Date(deps.clock()).toISOString(),
      items: [record.proof.evidence],
    });
  });

  app.get('/auditor/logs', async (c) => {
    const t = c.get('t');
    const view = deps.federation();
    if (!view) return unavailable(c, t.auditor.logsTitle);
    const token = userOf(c).accessToken;
    const rows = (
      await Promise.all(
        view.gateways.map(async (gateway): Promise<LogRow[]> => {
          const answer = await deps.gateways.getJson(`${gateway.publicAddress}/audit/v1/logs`, token);
          if (!answer.ok) return [{ gateway, failure: answer.failure }];
          const parsed = auditorLogsSchema.safeParse(answer.body);
          if (!parsed.success) return [{ gateway, failure: { kind: 'invalid' } }];
          return parsed.data.logs.map((log) => ({
            gateway,
            tree: log.tree,
            size: log.size,
            witnessed: log.witnessed ? { size: log.witnessed.size, time: log.witnessed.time } : null,
          }));
        }),
      )
    ).flat();
    if (rows.some((row) => 'failure' in row && isExpired(row.failure))) return expired(c);
    return renderPage(c, { title: t.auditor.logsTitle, active: '/auditor/logs' }, (page) => (
      <LogsPage page={page} rows={rows} format={timeFormatter(page.lang, deps.timeZone)} />
    ));
  });

  app.post('/auditor/logs/verify', async (c) => {
    const { form } = await readPortalForm(c, origin);
    const t = c.get('t');
    const view = deps.federation();
    const params = logParams.safeParse(form);
    const gateway = view && params.success ? gatewayOf(view, params.data.gateway) : undefined;
    if (!view || !params.success || !gateway)
      return unavailable(c, t.auditor.logsTitle, 404, t.errors.notFound);
    const user = userOf(c);
    const job = deps.verifications.start({
      owner: ownerOf(user),
      token: user.accessToken,
      view,
      gateway,
      tree: params.data.tree,
    });
    return c.redirect(`/auditor/jobs/${job.id}`, 303);
  });

  app.get('/auditor/jobs/:id', (c) => {
    const t = c.get('t');
    const job = deps.verifications.get(c.req.param('id'), ownerOf(userOf(c)));
    if (!job) return unavailable(c, t.auditor.logsTitle, 404, t.auditor.jobNotFound);
    return renderPage(
      c,
      {
        title: t.auditor.jobTitle(job.gateway.agency),
        active: '/auditor/logs',
        scripts: ['/static/job-progress.js'],
      },
      (page) => <JobPage page={page} job={job} />,
    );
  });

  app.get('/auditor/jobs/:id/status', (c) => {
    const job = deps.verifications.get(c.req.param('id'), ownerOf(userOf(c)));
    if (!job) return c.json({ error: 'not found' }, 404);
    return c.json({ phase: job.phase, done: job.phase === 'done', ...jobProgress(c.get('t'), job) });
  });

  app.get('/auditor/bundle', async (c) => {
    const t = c.get('t');
    const view = deps.federation();
    const params = logParams.safeParse(c.req.query());
    const gateway = view && params.success ? gatewayOf(view, params.data.gateway) : undefined;
    if (!view || !params.success || !gateway)
      return unavailable(c, t.auditor.logsTitle, 404, t.errors.notFound);
    const query = new URLSearchParams({ tree: params.data.tree });
    const download = await deps.gateways.download(
      `${gateway.publicAddress}/audit/v1/bundle?${query}`,
      userOf(c).accessToken,
    );
    if (!download.ok) {
      if (isExpired(download.failure)) return expired(c);
      const status = download.failure.kind === 'refused' ? 403 : 503;
      return unavailable(c, t.auditor.logsTitle, status, auditorNoticeText(t, gateway, download.failure));
    }
    const name = `einmal-audit-${params.data.tree.replaceAll(/[^A-Za-z0-9._-]+/g, '-')}.tar`;
    return new Response(Readable.toWeb(download.body.body) as ReadableStream, {
      headers: {
        'content-type': 'application/x-tar',
        'content-disposition': `attachment; filename="${name}"`,
      },
    });
  });

  return app;
}
