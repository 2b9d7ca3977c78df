import type { Kysely, Selectable } from 'kysely';
import type { CosignedCheckpoint } from '../protocol/index.ts';
import type { RegistryDb, WitnessedCheckpointTable, WitnessForkTable } from './db/index.ts';

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

/** The cosigned pair of a witnessed checkpoint, as the witness serves it. */
export function cosignedView(witnessed: WitnessedCheckpoint): CosignedCheckpoint {
  return { checkpoint: witnessed.checkpoint, cosignature: witnessed.cosignature };
}

/** A refused checkpoint that contradicts the witnessed log of its origin. */
export interface RecordedFork {
  readonly id: number;
  readonly origin: string;
  readonly gatewayId: string;
  readonly code: string;
  readonly size: number;
  readonly root: string;
  readonly time: Date;
  readonly checkpoint: string;
  readonly fromSize: number;
  readonly consistencyProof: readonly string[];
  readonly witnessed: { readonly size: number; readonly root: string };
  readonly detectedAt: Date;
}

/** A page of rows and where the next page starts (`null` after the last). */
export interface Page<T> {
  readonly items: T[];
  readonly next: number | null;
}

const toWitnessed = (row: Selectable<WitnessedCheckpointTable>): WitnessedCheckpoint => ({
  origin: row.origin,
  gatewayId: row.gateway_id,
  size: Number(row.size),
  root: row.root,
  time: new Date(row.time),
  checkpoint: row.checkpoint,
  cosignature: row.cosignature,
  witnessedAt: new Date(row.witnessed_at),
});

const toFork = (row: Selectable<WitnessForkTable>): RecordedFork => ({
  id: Number(row.id),
  origin: row.origin,
  gatewayId: row.gateway_id,
  code: row.code,
  size: Number(row.size),
  root: row.root,
  time: new Date(row.time),
  checkpoint: row.checkpoint,
  fromSize: Number(row.from_size),
  consistencyProof:
    typeof row.consistency_proof === 'string' ? JSON.parse(row.consistency_proof) : row.consistency_proof,
  witnessed: { size: Number(row.witnessed_size), root: row.witnessed_root },
  detectedAt: new Date(row.detected_at),
});

/**
 * The latest witnessed checkpoint of `origin`, or `undefined`. With `lock`, the row stays locked
 * until the caller's transaction ends, so two submissions for one origin are checked one by one.
 */
export async function findWitnessedCheckpoint(
  db: Kysely<RegistryDb>,
  origin: string,
  options: { lock?: boolean } = {},
): Promise<WitnessedCheckpoint | undefined> {
  let query = db.selectFrom('witnessed_checkpoint').selectAll().where('origin', '=', origin);
  if (options.lock) query = query.forUpdate();
  const row = await query.executeTakeFirst();
  return row && toWitnessed(row);
}

/** The checkpoint of `origin` the witness cosigned at exactly `size`, or `undefined`. */
export async function findCheckpointAt(
  db: Kysely<RegistryDb>,
  origin: string,
  size: number,
): Promise<WitnessedCheckpoint | undefined> {
  const row = await db
    .selectFrom('witness_checkpoint')
    .selectAll()
    .where('origin', '=', origin)
    .where('size', '=', size)
    .executeTakeFirst();
  return row && toWitnessed(row);
}

/** The latest witnessed checkpoint of every log (origin) of one gateway, by origin. */
export async function listOriginsOf(
  db: Kysely<RegistryDb>,
  gatewayId: string,
): Promise<WitnessedCheckpoint[]> {
  const rows = await db
    .selectFrom('witnessed_checkpoint')
    .selectAll()
    .where('gateway_id', '=', gatewayId)
    .orderBy('origin')
    .execute();
  return rows.map(toWitnessed);
}

/** Cosigned checkpoints of `origin` with a size above `after`, smallest first. */
export async function listCheckpoints(
  db: Kysely<RegistryDb>,
  origin: string,
  page: { after: number; limit: number },
): Promise<Page<WitnessedCheckpoint>> {
  const rows = await db
    .selectFrom('witness_checkpoint')
    .selectAll()
    .where('origin', '=', origin)
    .where('size', '>', page.after)
    .orderBy('size')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit).map(toWitnessed);
  return { items, next: rows.length > page.limit ? items.at(-1)!.size : null };
}

/**
 * Stores `next` as the latest witnessed checkpoint of its origin and adds it to the origin's
 * history. `previous` is what the caller checked against; the first checkpoint of an origin is
 * inserted only if no concurrent submission got there first (`false` then, and the caller checks
 * again).
 */
export async function saveWitnessedCheckpoint(
  db: Kysely<RegistryDb>,
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
  } else {
    const inserted = await db
      .insertInto('witnessed_checkpoint')
      .values(row)
      .onConflict((oc) => oc.column('origin').doNothing())
      .returning('origin')
      .executeTakeFirst();
    if (!inserted) return false;
  }
  await db.insertInto('witness_checkpoint').values(row).execute();
  return true;
}

/** Records a refused checkpoint that contradicts the witnessed log; a repeat of one is kept once. */
export async function recordFork(db: Kysely<RegistryDb>, fork: Omit<RecordedFork, 'id'>): Promise<void> {
  await db
    .insertInto('witness_fork')
    .values({
      origin: fork.origin,
      gateway_id: fork.gatewayId,
      code: fork.code,
      size: fork.size,
      root: fork.root,
      time: fork.time,
      checkpoint: fork.checkpoint,
      from_size: fork.fromSize,
      consistency_proof: JSON.stringify(fork.consistencyProof),
      witnessed_size: fork.witnessed.size,
      witnessed_root: fork.witnessed.root,
      detected_at: fork.detectedAt,
    })
    .onConflict((oc) =>
      oc.columns(['origin', 'code', 'size', 'root', 'from_size', 'witnessed_size']).doNothing(),
    )
    .execute();
}

/** Recorded forks after id `after`, oldest first; of one origin when given. */
export async function listForks(
  db: Kysely<RegistryDb>,
  page: { origin?: string | undefined; after: number; limit: number },
): Promise<Page<RecordedFork>> {
  let query = db.selectFrom('witness_fork').selectAll().where('id', '>', String(page.after));
  if (page.origin !== undefined) query = query.where('origin', '=', page.origin);
  const rows = await query
    .orderBy('id')
    .limit(page.limit + 1)
    .execute();
  const items = rows.slice(0, page.limit).map(toFork);
  return { items, next: rows.length > page.limit ? items.at(-1)!.id : null };
}
