import { memberOfPrinted } from '../../schemas/index.ts';
import type { FederationView, PortalGateway } from '../federation/federation-view.ts';
import type { CheckedRecord } from './check-record.ts';
import type { FirstRecords, GatewayNotice, GatewayRecords } from './collect-timeline.ts';

/** A code with its title for citizens (from the directory), when known. */
export interface Titled {
  readonly code: string;
  readonly title: string | null;
}

/** One gateway's record of an entry. */
export interface EntryRecord {
  readonly gateway: PortalGateway;
  readonly record: CheckedRecord;
}

/** One access to the citizen's data: the asking and the providing side's records of one exchange. */
export interface TimelineEntry {
  readonly messageId: string;
  /** When the access happened: the asking side's log time, else the earliest. */
  readonly time: string;
  /** The asking agency (member) and its information system. */
  readonly agency: {
    readonly member: string | null;
    readonly name: string | null;
    readonly client: string | null;
  };
  /** Which data: the service and its title for citizens. */
  readonly data: { readonly service: string | null; readonly title: string | null };
  readonly purpose: Titled | null;
  readonly legalBasis: Titled | null;
  /** The citizen authorized the access with their eID token (the logged record holds its digest). */
  readonly byEid: boolean;
  readonly official: string | null;
  readonly issue: string | null;
  readonly consentReference: string | null;
  readonly hiddenUntil: string | null;
  readonly hiddenReason: string | null;
  /** The worst outcome of its records. */
  readonly outcome: 'ok' | 'rejected' | 'failed';
  /** `failed` if any record fails its check, else `pending` if any is not yet witnessed. */
  readonly check: 'verified' | 'pending' | 'failed';
  readonly records: readonly EntryRecord[];
}

/** The citizen's merged timeline, newest first, and what is missing from it. */
export interface Timeline {
  readonly fetchedAt: number;
  readonly entries: readonly TimelineEntry[];
  readonly notices: readonly GatewayNotice[];
  /** `false` while older entries are still being read: `entries` are then the newest ones only. */
  readonly complete: boolean;
}

/**
 * How much older than an entry its other side's record may be logged: the provider logs an
 * exchange before the consumer does, a request's duration apart.
 */
const EXCHANGE_SPAN_MS = 60_000;

/**
 * The newest part of the timeline from every gateway's first page, before older records arrive:
 * only entries newer than every unread record by more than an exchange's span, so each is shown
 * with all its records and nothing newer can still come. When no gateway holds more, it is the
 * whole timeline.
 *
 * @example
 * const newest = provisionalTimeline(await collected.first, view, Date.now());
 */
export function provisionalTimeline(
  results: readonly FirstRecords[],
  view: FederationView,
  fetchedAt: number,
): Timeline {
  const merged = mergeTimeline(results, view, fetchedAt);
  const horizons = results.flatMap((r) => (r.more && r.oldest ? [Date.parse(r.oldest)] : []));
  if (horizons.length === 0) return merged;
  const horizon = Math.max(...horizons) + EXCHANGE_SPAN_MS;
  return { ...merged, entries: merged.entries.filter((e) => Date.parse(e.time) > horizon), complete: false };
}

const OUTCOME_RANK = { ok: 0, rejected: 1, failed: 2 } as const;

/** What a record says: the logged record once verified, else the gateway's description. */
function fieldsOf(record: CheckedRecord) {
  const { described, logged, check } = record;
  if (logged && check.status === 'verified') {
    return {
      time: logged.logTime,
      client: logged.client,
      service: logged.service,
      purpose: logged.purpose,
      legalBasis: logged.legalBasis,
      official: logged.userId,
      issue: logged.issue,
      consentReference: logged.consentRef,
    };
  }
  return {
    time: described.time,
    client: described.agency.client,
    service: described.data.service,
    purpose: described.purpose?.code ?? null,
    legalBasis: described.legalBasis?.code ?? null,
    official: described.official,
    issue: described.issue,
    consentReference: described.consentReference,
  };
}

/**
 * Merges the gateways' records into one timeline (docs/protocol.md §12): the consumer's and the provider's
 * records of one exchange (same message id) become one entry; names and titles come from the
 * portal's own verified directory. Newest first.
 *
 * @example
 * const timeline = mergeTimeline(await collectCitizenRecords(options), view, Date.now());
 */
export function mergeTimeline(
  results: readonly GatewayRecords[],
  view: FederationView,
  fetchedAt: number,
): Timeline {
  const byMessage = new Map<string, EntryRecord[]>();
  for (const { gateway, records } of results) {
    for (const record of records) {
      const id = record.described.messageId.toLowerCase();
      const list = byMessage.get(id) ?? [];
      list.push({ gateway, record });
      byMessage.set(id, list);
    }
  }
  const entries = [...byMessage].map(([messageId, records]): TimelineEntry => {
    records.sort((a, b) =>
      a.record.described.side === b.record.described.side
        ? 0
        : a.record.described.side === 'consumer'
          ? -1
          : 1,
    );
    const main = fieldsOf(records[0]!.record);
    const service = view.service(main.service);
    const titled = (code: string | null, list: readonly { code: string; title: string }[] | undefined) =>
      code === null ? null : { code, title: list?.find((entry) => entry.code === code)?.title ?? null };
    const member = main.client ? memberOfPrinted(main.client) : null;
    const checks = records.map((r) => r.record.check.status);
    const outcome = records
      .map((r) => r.record.described.outcome)
      .reduce((worst, next) => (OUTCOME_RANK[next] > OUTCOME_RANK[worst] ? next : worst), 'ok' as const);
    const times = records.map((r) => fieldsOf(r.record).time).sort();
    const described = records[0]!.record.described;
    return {
      messageId,
      time: records[0]!.record.described.side === 'consumer' ? main.time : times[0]!,
      agency: { member, name: view.memberName(member), client: main.client },
      data: { service: main.service, title: service?.title ?? null },
      purpose: titled(main.purpose, service?.purposes),
      legalBasis: titled(main.legalBasis, service?.legalBases),
      byEid: records.some((r) => (r.record.logged?.eidDigest ?? null) !== null),
      official: main.official,
      issue: main.issue,
      consentReference: main.consentReference,
      hiddenUntil: described.hiddenUntil,
      hiddenReason: described.hiddenReason,
      outcome,
      check: checks.includes('failed') ? 'failed' : checks.includes('pending') ? 'pending' : 'verified',
      records,
    };
  });
  entries.sort((a, b) => Date.parse(b.time) - Date.parse(a.time) || (a.messageId < b.messageId ? 1 : -1));
  return {
    fetchedAt,
    entries,
    notices: results.flatMap((r) => (r.notice ? [r.notice] : [])),
    complete: true,
  };
}

/** What the citizen may narrow the timeline to. */
export interface TimelineFilter {
  /** Member id of the asking agency. */
  readonly agency?: string | undefined;
  /** Service id. */
  readonly data?: string | undefined;
  /** First and last day (YYYY-MM-DD, in the portal's time zone), inclusive. */
  readonly from?: string | undefined;
  readonly to?: string | undefined;
}

/** The calendar day of an instant in a time zone, `YYYY-MM-DD`. */
export function dayIn(timeZone: string): (iso: string) => string {
  const format = new Intl.DateTimeFormat('en-CA', {
    timeZone,
    year: 'numeric',
    month: '2-digit',
    day: '2-digit',
  });
  return (iso) => format.format(new Date(iso));
}

/**
 * The entries that match a filter.
 *
 * @example
 * filterTimeline(timeline.entries, { agency: 'DEMO/GOV/munich', from: '2026-01-01' }, 'Europe/Berlin');
 */
export function filterTimeline(
  entries: readonly TimelineEntry[],
  filter: TimelineFilter,
  timeZone: string,
): TimelineEntry[] {
  const day = dayIn(timeZone);
  return entries.filter((entry) => {
    if (filter.agency && entry.agency.member !== filter.agency) return false;
    if (filter.data && entry.data.service !== filter.data) return false;
    if (filter.from || filter.to) {
      const on = day(entry.time);
      if (filter.from && on < filter.from) return false;
      if (filter.to && on > filter.to) return false;
    }
    return true;
  });
}
