import { type Context, Hono } from 'hono';
import { z } from 'zod';
import { printedMemberIdSchema, printedServiceIdSchema } from '../../schemas/index.ts';
import { toLoginPage } from '../auth/auth-routes.tsx';
import type { FederationView } from '../federation/federation-view.ts';
import type { PortalEnv } from '../http/portal-env.ts';
import { renderPage } from '../http/render.tsx';
import { calendarDaySchema } from '../i18n/time-zone.ts';
import { Notice } from '../pages/layout.tsx';
import { clearSessionCookie } from '../session/session-middleware.ts';
import type { Session, SessionStore } from '../session/session-store.ts';
import { filterTimeline, type Timeline, type TimelineEntry, type TimelineFilter } from './timeline.ts';
import { entryEvidence, timelineCsv, timelineJson } from './timeline-export.ts';
import type { TimelineLoader } from './timeline-loader.ts';
import {
  EntryNotFound,
  EntryPage,
  type FilterChoice,
  TimelinePage,
  timeFormatter,
} from './timeline-pages.tsx';

export interface TimelineRoutesDeps {
  readonly timelines: TimelineLoader;
  readonly sessions: SessionStore;
  readonly federation: () => FederationView | undefined;
  readonly timeZone: string;
  readonly clock: () => number;
}

/** Entries per page. */
export const ENTRIES_PER_PAGE = 20;

const day = calendarDaySchema;
const filterFields = {
  agency: printedMemberIdSchema,
  data: printedServiceIdSchema,
  from: day,
  to: day,
} as const;
const messageIdParam = z.string().regex(/^[0-9a-f-]{36}$/);

/** The filter of a request's query; values that do not parse are dropped (and reported). */
function readFilter(query: Record<string, string>): { filter: TimelineFilter; bad: boolean } {
  const filter: Record<string, string> = {};
  let bad = false;
  for (const [key, schema] of Object.entries(filterFields)) {
    const value = query[key];
    if (value === undefined || value === '') continue;
    const parsed = schema.safeParse(value);
    if (parsed.success) filter[key] = parsed.data;
    else bad = true;
  }
  return { filter, bad };
}

/**
 * The citizen's area (docs/protocol.md §12): `GET /timeline` (merged, filtered, paged), one entry with
 * its records and checks, its evidence file, and the list as CSV or JSON. Everything comes from the
 * session's own login: no parameter names a subject, so no request can show another person's log.
 */
export function createTimelineRoutes(deps: TimelineRoutesDeps): Hono<PortalEnv> {
  const app = new Hono<PortalEnv>();

  /** The session's timeline, or the response that replaces the page (expired login, no directory). */
  async function timelineOf(
    c: Context<PortalEnv>,
    options: { reload?: boolean; newest?: number } = {},
  ): Promise<Timeline | Response> {
    const session = c.get('session') as Session;
    if (!deps.federation()) {
      const t = c.get('t');
      return renderPage(c, { title: t.timeline.title, status: 503 }, () => (
        <>
          <h1>{t.timeline.title}</h1>
          <Notice kind="error">{t.notices.noDirectory}</Notice>
        </>
      ));
    }
    const timeline = await deps.timelines.load(session, options);
    if (timeline !== 'expired') return timeline;
    deps.sessions.destroy(session.id);
    clearSessionCookie(c);
    return toLoginPage(c, 'citizen', 'expired');
  }

  app.get('/timeline', async (c) => {
    const { filter, bad } = readFilter(c.req.query());
    const requested = Number.parseInt(c.req.query('page') ?? '1', 10);
    // The unfiltered first page needs only the newest entries: it need not wait for older records.
    const firstPage = !(requested > 1) && Object.keys(filter).length === 0;
    const timeline = await timelineOf(c, {
      reload: c.req.query('reload') === '1',
      ...(firstPage ? { newest: ENTRIES_PER_PAGE } : {}),
    });
    if (timeline instanceof Response) return timeline;
    const t = c.get('t');
    const matching = filterTimeline(timeline.entries, filter, deps.timeZone);
    const pages = Math.max(1, Math.ceil(matching.length / ENTRIES_PER_PAGE));
    const pageNumber = Number.isSafeInteger(requested) ? Math.min(Math.max(requested, 1), pages) : 1;
    const shown = matching.slice((pageNumber - 1) * ENTRIES_PER_PAGE, pageNumber * ENTRIES_PER_PAGE);
    const agencies = choices(timeline.entries, (e) =>
      e.agency.member ? { id: e.agency.member, label: e.agency.name ?? e.agency.member } : null,
    );
    const data = choices(timeline.entries, (e) =>
      e.data.service ? { id: e.data.service, label: e.data.title ?? e.data.service } : null,
    );
    return renderPage(c, { title: t.timeline.title, active: '/timeline' }, (page) => (
      <TimelinePage
        page={page}
        timeline={timeline}
        filter={filter}
        badFilter={bad}
        formRefused={c.req.query('notice') === 'invalidForm'}
        matching={matching}
        shown={shown}
        pageNumber={pageNumber}
        pages={pages}
        agencies={agencies}
        data={data}
        format={timeFormatter(page.lang, deps.timeZone)}
      />
    ));
  });

  const findEntry = (timeline: Timeline, id: string): TimelineEntry | undefined => {
    const parsed = messageIdParam.safeParse(id.toLowerCase());
    return parsed.success ? timeline.entries.find((e) => e.messageId === parsed.data) : undefined;
  };

  app.get('/timeline/entry/:messageId', async (c) => {
    const timeline = await timelineOf(c);
    if (timeline instanceof Response) return timeline;
    const t = c.get('t');
    const entry = findEntry(timeline, c.req.param('messageId'));
    if (!entry) {
      return renderPage(c, { title: t.entry.title, status: 404 }, (page) => <EntryNotFound page={page} />);
    }
    return renderPage(c, { title: t.entry.title, active: '/timeline' }, (page) => (
      <EntryPage page={page} entry={entry} format={timeFormatter(page.lang, deps.timeZone)} />
    ));
  });

  app.get('/timeline/entry/:messageId/evidence', async (c) => {
    const timeline = await timelineOf(c);
    if (timeline instanceof Response) return timeline;
    const entry = findEntry(timeline, c.req.param('messageId'));
    const evidence = entry ? entryEvidence(entry, deps.clock()) : null;
    if (!entry || !evidence) {
      const t = c.get('t');
      return renderPage(c, { title: t.entry.title, status: 404 }, (page) => <EntryNotFound page={page} />);
    }
    c.header('content-disposition', `attachment; filename="einmal-evidence-${entry.messageId}.json"`);
    return c.json(evidence);
  });

  app.get('/timeline/export.csv', async (c) => {
    const timeline = await timelineOf(c);
    if (timeline instanceof Response) return timeline;
    const entries = filterTimeline(timeline.entries, readFilter(c.req.query()).filter, deps.timeZone);
    c.header('content-type', 'text/csv; charset=utf-8');
    c.header('content-disposition', 'attachment; filename="einmal-data-log.csv"');
    return c.body(timelineCsv(c.get('t'), entries));
  });

  app.get('/timeline/export.json', async (c) => {
    const timeline = await timelineOf(c);
    if (timeline instanceof Response) return timeline;
    const entries = filterTimeline(timeline.entries, readFilter(c.req.query()).filter, deps.timeZone);
    const subject = c.get('session')!.user!.subject;
    c.header('content-disposition', 'attachment; filename="einmal-data-log.json"');
    return c.json(timelineJson(subject, timeline.fetchedAt, entries));
  });

  return app;
}

/** The options of a filter field: the distinct values the timeline holds, sorted by label. */
function choices(
  entries: readonly TimelineEntry[],
  pick: (e: TimelineEntry) => FilterChoice | null,
): FilterChoice[] {
  const found = new Map<string, FilterChoice>();
  for (const entry of entries) {
    const value = pick(entry);
    if (value && !found.has(value.id)) found.set(value.id, value);
  }
  return [...found.values()].sort((a, b) => a.label.localeCompare(b.label));
}
