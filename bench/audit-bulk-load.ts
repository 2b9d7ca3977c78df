import { type Kysely, sql } from 'kysely';
import { emptyRootHash, foldRight, leafHash, planAppend, type TreeTip } from '../audit/index.ts';
import { canonicalJson } from '../protocol/index.ts';
import type { AuditRecord } from '../schemas/index.ts';

/**
 * Fills a gateway log for the audit benchmark, not for production: the records and the tree nodes
 * they complete are computed here (canonical JSON, leaf hashes, and the node rows of `planAppend`,
 * the function the gateway's writer plans with) and stored with a few multi-row INSERTs per batch,
 * the bytes as one binary parameter each. It skips what makes the production writer safe among
 * concurrent writers (no head lock, no group commit, asynchronous commit): one loader owns the tree.
 * So a 10-million-record log takes minutes, not half an hour. The log it writes is the one the
 * writer would have written; `getRoot` from the store is checked against the loader's own root at
 * the end.
 */
export interface BulkLoader {
  /** Leaves appended so far. */
  readonly size: number;
  /** The root of the leaves appended so far, from the loader's own tip. */
  root(): Uint8Array;
  /** Appends records in one transaction: record rows, node rows and the tree head. */
  append(records: readonly AuditRecord[]): Promise<void>;
}

/** A loader for the empty tree `tree` in the gateway schema `schema` (tables of gateway migrations). */
export function createBulkLoader(db: Kysely<any>, schema: string, tree: string): BulkLoader {
  let tip: TreeTip = { size: 0, frontier: [] };
  const table = (name: string) => sql.id(schema, name);
  return {
    get size() {
      return tip.size;
    },
    root: () => (tip.size === 0 ? emptyRootHash() : foldRight(tip.frontier)),
    async append(records) {
      if (records.length === 0) return;
      const texts = records.map((r) => canonicalJson(r));
      const canonical = Buffer.from(texts.join(''), 'utf8');
      const lengths = texts.map((t) => Buffer.byteLength(t, 'utf8'));
      const offsets: number[] = [];
      let at = 0;
      for (const length of lengths) {
        offsets.push(at);
        at += length;
      }
      const leaves = texts.map((_, i) =>
        leafHash(canonical.subarray(offsets[i]!, offsets[i]! + lengths[i]!)),
      );
      const plan = planAppend(tree, tip, leaves);
      const hashes = Buffer.concat(plan.rows.map((row) => row.hash));
      const column = <T>(f: (r: AuditRecord) => T) => records.map(f);
      const first = tip.size;
      await db.transaction().execute(async (trx) => {
        // Bench only: the loader's transactions need not wait for the disk one by one.
        await sql`set local synchronous_commit = off`.execute(trx);
        await sql`insert into ${table('audit_record')}
            (tree, idx, log_time, message_id, side, client, service, subject, status, outcome, error_code, hidden_until, canonical)
          select ${tree}, ${first}::int8 + r.n - 1, r.log_time, r.message_id, r.side, r.client, r.service, r.subject,
            r.status, r.outcome, r.error_code, r.hidden_until, substring(${canonical}::bytea from r.offset_ + 1 for r.length_)
          from unnest(
            ${column((r) => r.logTime)}::timestamptz[], ${column((r) => r.messageId)}::text[],
            ${column((r) => r.side)}::text[], ${column((r) => r.client)}::text[], ${column((r) => r.service)}::text[],
            ${column((r) => r.subject)}::text[], ${column((r) => r.status)}::int4[], ${column((r) => r.outcome)}::text[],
            ${column((r) => r.errorCode)}::text[], ${column((r) => r.hiddenUntil)}::timestamptz[],
            ${offsets}::int4[], ${lengths}::int4[]
          ) with ordinality as r(log_time, message_id, side, client, service, subject, status, outcome, error_code,
            hidden_until, offset_, length_, n)`.execute(trx);
        await sql`insert into ${table('merkle_node')} (tree, level, idx, hash)
          select ${tree}, r.level, r.idx, substring(${hashes}::bytea from (r.n - 1)::int4 * 32 + 1 for 32)
          from unnest(${plan.rows.map((row) => row.level)}::int2[], ${plan.rows.map((row) => row.idx)}::int8[])
            with ordinality as r(level, idx, n)`.execute(trx);
        await sql`insert into ${table('tree_head')} (tree, size) values (${tree}, ${plan.tip.size})
          on conflict (tree) do update set size = excluded.size`.execute(trx);
      });
      tip = plan.tip;
    },
  };
}
