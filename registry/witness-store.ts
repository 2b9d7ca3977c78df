import type { Kysely } from 'kysely';
import type { WitnessDb } from './witness-table.ts';

/** A checkpoint the witness countersigned, as stored and served. */
export interface WitnessedCheckpoint {
  readonly origin: string;
  readonly gatewayId: string;
  readonly size: number;
  readonly root: string;
  readonly time: Date;
  /** The gateway's checkpoint JWS. */
  readonly checkpoint: string;
  /** The witness's cosignature JWS. */
  readonly cosignature: string;
  readonly witnessedAt: Date;
}

/**
 * The latest witnessed checkpoint of `origin`, or `undefined`. With `lock`, the row stays locked
 * until the caller's transaction ends, so two submissions for one origin are checked one by one.
 */
export async function findWitnessedCheckpoint(
  db: Kysely<WitnessDb>,
  origin: string,
  options: { lock?: boolean } = {},
): Promise<WitnessedCheckpoint | undefined> {
  let query = db.selectFrom('witnessed_checkpoint').selectAll().where('origin', '=', origin);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  if (!row) return undefined;
  return {
    origin: row.origin,
    gatewayId: row.gateway_id,
    size: Number(row.size),
    root: row.root,
    time: new Date(row.time),
    checkpoint: row.checkpoint,
    cosignature: row.cosignature,
    witnessedAt: new Date(row.witnessed_at),
  };
}

/**
 * Stores `next` as the latest witnessed checkpoint of its origin. `previous` is what the caller
 * checked against; the first checkpoint of an origin is inserted only if no concurrent submission
 * got there first (`false` then, and the caller checks again).
 */
export async function saveWitnessedCheckpoint(
  db: Kysely<WitnessDb>,
  next: WitnessedCheckpoint,
  previous: WitnessedCheckpoint | undefined,
): Promise<boolean> {
  const row = {
    origin: next.origin,
    gateway_id: next.gatewayId,
    size: next.size,
    root: next.root,
    time: next.time,
    checkpoint: next.checkpoint,
    cosignature: next.cosignature,
    witnessed_at: next.witnessedAt,
  };
  if (previous) {
    await db.updateTable('witnessed_checkpoint').set(row).where('origin', '=', next.origin).execute();
    return true;
  }
  const inserted = await db
    .insertInto('witnessed_checkpoint')
    .values(row)
    .onConflict((oc) => oc.column('origin').doNothing())
    .returning('origin')
    .executeTakeFirst();
  return inserted !== undefined;
}
