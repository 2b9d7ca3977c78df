import { z } from 'zod';
import { isErrorCode } from '../../core/index.ts';
import {
  AUDIT_OUTCOMES,
  printedClientIdSchema,
  printedMemberIdSchema,
  printedServiceIdSchema,
  subjectIdSchema,
} from '../../schemas/index.ts';
import type { FederationView, PortalGateway } from '../federation/federation-view.ts';
import type { GatewayClient, GatewayFailure } from '../federation/gateway-client.ts';
import { calendarDaySchema, nextDay, startOfDay } from '../i18n/time-zone.ts';
import { type AuditorRecordFields, auditorPageSchema } from './auditor-answers.ts';

const day = calendarDaySchema;
const optional = <S extends z.ZodType>(schema: S) =>
  z.preprocess((value) => (value === '' ? undefined : value), schema.optional());

/** What an auditor searches for; every field optional, combined with AND. */
export const auditCriteriaSchema = z.object({
  member: optional(printedMemberIdSchema),
  client: optional(printedClientIdSchema),
  service: optional(printedServiceIdSchema),
  subject: optional(subjectIdSchema),
  from: optional(day),
  to: optional(day),
  outcome: optional(z.enum(AUDIT_OUTCOMES)),
  errorCode: optional(z.string().max(128).refine(isErrorCode, 'Must be a known error code')),
});

/** An auditor's search. */
export type AuditCriteria = z.infer<typeof auditCriteriaSchema>;

/** One found record, with the gateway whose log holds it. */
export interface FoundRecord {
  readonly gateway: PortalGateway;
  readonly tree: string;
  readonly leafIndex: number;
  readonly record: AuditorRecordFields;
  readonly cursor: string;
}

/** A gateway whose records are missing from a result. */
export interface SearchNotice {
  readonly gateway: PortalGateway;
  readonly failure: GatewayFailure;
}

/** Where each gateway's next page starts: its own cursor, `start`, or `done`. */
type Positions = Record<string, string>;

const positionsSchema = z
  .record(z.string().max(300), z.string().min(1).max(400))
  .refine((positions) => Object.keys(positions).length <= 200, 'Too many gateways');

/** The opaque cursor of a merged page: every gateway's position. */
export function encodePositions(positions: Positions): string {
  return Buffer.from(JSON.stringify(positions)).toString('base64url');
}

/** Reads a merged page's cursor; anything malformed starts from the beginning. */
export function decodePositions(text: string | undefined): Positions {
  if (!text || text.length > 100_000 || !/^[A-Za-z0-9_-]+$/.test(text)) return {};
  try {
    const parsed = positionsSchema.safeParse(JSON.parse(Buffer.from(text, 'base64url').toString('utf8')));
    return parsed.success ? parsed.data : {};
  } catch {
    return {};
  }
}

/** The auditor API query of the criteria; days are read in the portal's time zone. */
function gatewayQuery(criteria: AuditCriteria, timeZone: string): URLSearchParams {
  const query = new URLSearchParams();
  for (const key of ['member', 'client', 'service', 'subject', 'outcome', 'errorCode'] as const) {
    const value = criteria[key];
    if (value) query.set(key, value);
  }
  if (criteria.from) query.set('from', startOfDay(criteria.from, timeZone).toISOString());
  if (criteria.to) query.set('to', startOfDay(nextDay(criteria.to), timeZone).toISOString());
  return query;
}

const newestFirst = (a: FoundRecord, b: FoundRecord) =>
  Date.parse(b.record.logTime) - Date.parse(a.record.logTime) ||
  (a.gateway.id < b.gateway.id ? 1 : a.gateway.id > b.gateway.id ? -1 : 0) ||
  (a.tree < b.tree ? 1 : a.tree > b.tree ? -1 : 0) ||
  b.leafIndex - a.leafIndex;

/**
 * One page of an auditor's search across every gateway (docs/protocol.md §12), newest first. Each gateway
 * is asked for a page after its own position, with the auditor's token (each gateway decides
 * whether that login may read its log); the answers are merged and the newest `pageSize` kept, and
 * each gateway's position moves past exactly the records shown, so the next page has no gaps and no
 * repeats. Gateways that fail are named in `notices`; an unreachable one keeps its position, one
 * that refuses the login is not asked again.
 *
 * @example
 * const { records, next, notices } = await searchAuditLogs({ view, client, token, criteria, after, pageSize: 50, timeZone });
 */
export async function searchAuditLogs(input: {
  readonly view: FederationView;
  readonly client: GatewayClient;
  readonly token: string;
  readonly criteria: AuditCriteria;
  /** The cursor of the page before, or none for the first page. */
  readonly after?: string | undefined;
  readonly pageSize: number;
  readonly timeZone: string;
}): Promise<{ records: FoundRecord[]; next: string | null; notices: SearchNotice[] }> {
  const positions = decodePositions(input.after);
  const query = gatewayQuery(input.criteria, input.timeZone);
  query.set('limit', String(input.pageSize));
  const notices: SearchNotice[] = [];
  const answers = await Promise.all(
    input.view.gateways.map(async (gateway) => {
      const position = positions[gateway.id] ?? 'start';
      if (position === 'done') return null;
      const own = new URLSearchParams(query);
      if (position !== 'start') own.set('cursor', position);
      const answer = await input.client.getJson(
        `${gateway.publicAddress}/audit/v1/records?${own}`,
        input.token,
      );
      if (!answer.ok) {
        notices.push({ gateway, failure: answer.failure });
        return null;
      }
      const page = auditorPageSchema.safeParse(answer.body);
      if (!page.success) {
        notices.push({ gateway, failure: { kind: 'invalid' } });
        return null;
      }
      const records = page.data.records.map((row) => ({ gateway, ...row }));
      return { gateway, records, more: page.data.nextCursor !== null };
    }),
  );
  const merged = answers.flatMap((answer) => answer?.records ?? []).sort(newestFirst);
  const shown = merged.slice(0, input.pageSize);
  const next: Positions = {};
  for (const gateway of input.view.gateways) next[gateway.id] = positions[gateway.id] ?? 'start';
  // A gateway that refuses this login will refuse it again: it is not asked for the next pages.
  for (const notice of notices) if (notice.failure.kind === 'refused') next[notice.gateway.id] = 'done';
  for (const answer of answers) {
    if (!answer) continue;
    const taken = shown.filter((record) => record.gateway.id === answer.gateway.id);
    if (taken.length === answer.records.length && !answer.more) next[answer.gateway.id] = 'done';
    else if (taken.length > 0) next[answer.gateway.id] = taken.at(-1)!.cursor;
  }
  const more = Object.values(next).some((position) => position !== 'done');
  notices.sort((a, b) => a.gateway.agency.localeCompare(b.gateway.agency));
  return { records: shown, next: more ? encodePositions(next) : null, notices };
}
