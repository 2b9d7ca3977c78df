import { EVIDENCE_FORMAT, type Evidence } from '../../audit/bundle/index.ts';
import type { Messages } from '../i18n/messages.ts';
import type { TimelineEntry } from './timeline.ts';
import { agencyName, dataTitle, titledText } from './timeline-pages.tsx';

/** One CSV field (RFC 4180), never read as a formula by a spreadsheet. */
function csvField(value: string): string {
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return /[",\r\n]/.test(safe) ? `"${safe.replaceAll('"', '""')}"` : safe;
}

/**
 * The timeline as CSV in the page's language: one line per access, times in ISO 8601 (UTC).
 * Starts with a byte order mark so spreadsheets read the umlauts.
 */
export function timelineCsv(t: Messages, entries: readonly TimelineEntry[]): string {
  const header = [
    t.csv.time,
    t.csv.agency,
    t.csv.data,
    t.csv.purpose,
    t.csv.legalBasis,
    t.csv.official,
    t.csv.case,
    t.csv.outcome,
    t.csv.check,
    t.csv.messageId,
  ];
  const rows = entries.map((entry) => [
    entry.time,
    agencyName(t, entry),
    dataTitle(t, entry),
    titledText(entry.purpose),
    entry.legalBasis || !entry.byEid ? titledText(entry.legalBasis) : t.timeline.byEid,
    entry.official ?? '',
    entry.issue ?? '',
    t.outcome[entry.outcome] ?? entry.outcome,
    t.verification[entry.check],
    entry.messageId,
  ]);
  return `\ufeff${[header, ...rows].map((row) => row.map(csvField).join(',')).join('\r\n')}\r\n`;
}

/** The timeline as JSON: the same fields as the page, and each entry's check. */
export function timelineJson(subject: string, fetchedAt: number, entries: readonly TimelineEntry[]) {
  return {
    subject,
    generated: new Date(fetchedAt).toISOString(),
    entries: entries.map((entry) => ({
      messageId: entry.messageId,
      time: entry.time,
      agency: entry.agency,
      data: entry.data,
      purpose: entry.purpose,
      legalBasis: entry.legalBasis,
      authorizedWithEid: entry.byEid,
      official: entry.official,
      issue: entry.issue,
      consentReference: entry.consentReference,
      outcome: entry.outcome,
      check: entry.check,
      records: entry.records.map(({ gateway, record }) => ({
        gateway: gateway.id,
        side: record.described.side,
        time: record.described.time,
        status: record.described.status,
        check: record.check.status,
        ...(record.check.status === 'failed' ? { problem: record.check.reason } : {}),
      })),
    })),
  };
}

/** The evidence file of an entry: each verified record's evidence, for `einmal audit verify-evidence`. */
export function entryEvidence(entry: TimelineEntry, now: number): Evidence | null {
  const items = entry.records.flatMap(({ record }) =>
    record.check.status === 'verified' ? [record.check.evidence] : [],
  );
  return items.length === 0 ? null : { format: EVIDENCE_FORMAT, created: new Date(now).toISOString(), items };
}
