import { type AuditRecordRow, encodeCursor, storedRecord } from '../audit/record-query.ts';

/**
 * A record as an auditor sees it: where it sits in the log, the record itself, any disclosure, and
 * the cursor that pages on after it (so a front end merging several gateways resumes exactly there).
 */
export function auditorView(row: AuditRecordRow) {
  return {
    tree: row.tree,
    leafIndex: Number(row.idx),
    record: storedRecord(row),
    /** When the subject may see it (after a disclosure, earlier than the record declares). */
    visibleFrom: row.hidden_until ? new Date(row.hidden_until).toISOString() : null,
    disclosure: row.disclosed_at
      ? { at: new Date(row.disclosed_at).toISOString(), reason: row.disclosure_reason }
      : null,
    cursor: encodeCursor(row),
  };
}
