import { type Kysely, type Migration, sql } from 'kysely';
import { EinmalError } from '../core/errors/index.ts';
import { isHash, toPlainBytes } from '../protocol/index.ts';
import { emptyRootHash, foldRight, nodeHash } from './merkle.ts';
import { consistencyRanges, frontier, inclusionRanges, type NodeId, perfectSubtrees } from './merkle-plan.ts';

/**
 * The stored tree: every complete perfect subtree of every log tree, one row each (level 0 = the
 * leaves), like the tiles of a tiled transparency log. A proof or root then needs O(log n) rows,
 * never the leaves. Rows are only ever inserted.
 */
export interface MerkleNodeTable {
  tree: string;
  level: number;
  idx: number;
  hash: Uint8Array;
}

/** The size of each log tree; its row is also the writers' lock. */
export interface TreeHeadTable {
  tree: string;
  size: number;
}

/** Hand-written table types of the tree store. */
export interface AuditTreeTables {
  merkle_node: MerkleNodeTable;
  tree_head: TreeHeadTable;
}

/**
 * Migrations of the tree store, for `migrateToLatest(db, { schema, migrations: auditTreeMigrations })`.
 * Names start with `audit_tree_`; give the store its own schema, or merge these into a component's
 * set only if its own names sort after them.
 */
export const auditTreeMigrations: Record<string, Migration> = {
  audit_tree_0001_merkle_nodes: {
    async up(db: Kysely<any>) {
      await db.schema
        .createTable('tree_head')
        .addColumn('tree', 'text', (c) => c.primaryKey())
        .addColumn('size', 'int8', (c) => c.notNull().check(sql`size >= 0`))
        .execute();
      await db.schema
        .createTable('merkle_node')
        .addColumn('tree', 'text', (c) => c.notNull())
        .addColumn('level', 'int2', (c) => c.notNull().check(sql`level between 0 and 62`))
        .addColumn('idx', 'int8', (c) => c.notNull().check(sql`idx >= 0`))
        .addColumn('hash', 'bytea', (c) => c.notNull().check(sql`octet_length(hash) = 32`))
        .addPrimaryKeyConstraint('merkle_node_pkey', ['tree', 'level', 'idx'])
        .execute();
    },
  },
};

/**
 * What a writer needs to append without reading the store: the tree's size and the hashes of its
 * frontier (the perfect subtrees covering [0, size), left to right, as `frontier(size)` lists them).
 */
export interface TreeTip {
  readonly size: number;
  readonly frontier: readonly Uint8Array[];
}

/** Where appended leaves landed. */
export interface AppendResult {
  /** Index of the first appended leaf. */
  readonly firstIndex: number;
  /** Tree size after the append. */
  readonly size: number;
  /** The tree after the append, for the writer's next `planAppend`. */
  readonly tip: TreeTip;
}

/** The rows an append stores and the tree it leaves; see `planAppend`. */
export interface AppendPlan {
  readonly rows: readonly MerkleNodeTable[];
  readonly tip: TreeTip;
}

/** An inclusion proof read from the store, with the stored hash of the leaf it is for. */
export interface StoredInclusionProof {
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: Uint8Array;
  readonly proof: Uint8Array[];
}

/** Rows per INSERT statement: 3 parameters each, well below PostgreSQL's 65,535. */
const INSERT_CHUNK = 5_000;

/**
 * The nodes that appending `leafHashes` to the tree `tip` completes (level 0 = the leaves), and the
 * tree after it. Pure: a writer that is the tree's only appender keeps the returned tip and stores
 * the rows together with a head update conditional on the old size (the gateway's audit writer
 * does). The tip is checked by size only, so a writer must drop its tip when the database is
 * restored from a backup (restart the process).
 */
export function planAppend(tree: string, tip: TreeTip, leafHashes: readonly Uint8Array[]): AppendPlan {
  for (const leaf of leafHashes) if (!isHash(leaf)) throw new TypeError('leaf hashes must be 32 bytes');
  const oldIds = frontier(tip.size);
  if (oldIds.length !== tip.frontier.length)
    throw new TypeError('the tip’s frontier does not match its size');
  const left = new Map(oldIds.map((id, i) => [nodeKey(id), tip.frontier[i]!]));
  const newSize = tip.size + leafHashes.length;
  const rows: MerkleNodeTable[] = [];
  const created = new Map<string, Uint8Array>();
  let start = tip.size;
  let level = 0;
  let hashes: readonly Uint8Array[] = leafHashes;
  // Level by level: `hashes` are the new complete nodes [start, start + hashes.length) of `level`.
  // A parent's left child is either new too or the old tree's frontier node at this level.
  while (hashes.length > 0) {
    for (let i = 0; i < hashes.length; i++) {
      rows.push({ tree, level, idx: start + i, hash: hashes[i]! });
      created.set(nodeKey({ level, index: start + i }), hashes[i]!);
    }
    const parentStart = Math.floor(start / 2);
    const parentEnd = Math.floor(newSize / 2 ** (level + 1));
    const parents: Uint8Array[] = [];
    for (let j = parentStart; j < parentEnd; j++) {
      const leftIndex = 2 * j;
      const leftHash =
        leftIndex >= start ? hashes[leftIndex - start] : left.get(nodeKey({ level, index: leftIndex }));
      const rightHash = hashes[leftIndex + 1 - start];
      if (!leftHash || !rightHash) {
        throw new EinmalError('Server.InternalError', {
          message: 'The stored audit tree is incomplete',
          detail: { tree, level, index: leftIndex, oldSize: tip.size },
        });
      }
      parents.push(nodeHash(leftHash, rightHash));
    }
    hashes = parents;
    start = parentStart;
    level += 1;
  }
  // A node of the new frontier is either new or, lying wholly in the old tree, on the old frontier.
  const next = frontier(newSize).map((id) => created.get(nodeKey(id)) ?? left.get(nodeKey(id))!);
  return { rows, tip: { size: newSize, frontier: next } };
}

/**
 * Appends leaf hashes to the log tree `tree` (e.g. the printed gateway node id) and stores every
 * perfect subtree they complete. Run it inside the transaction that stores the records, so records
 * and tree commit together; `db` is that transaction, scoped to the store's schema.
 *
 * Appends to one tree must be serialised: the caller's log writer runs one append transaction at a
 * time (group commit). As a safeguard the tree's head row is locked (`select ... for update`) first,
 * so a second writer waits for the first to commit and then continues from the new size.
 *
 * @example
 * await db.transaction().execute(async (trx) => {
 *   const { firstIndex } = await appendLeaves(trx.withSchema('audit_tree'), node, leaves);
 *   // store the records with leaf indices firstIndex, firstIndex + 1, ...
 * });
 */
export async function appendLeaves(
  db: Kysely<any>,
  tree: string,
  leafHashes: readonly Uint8Array[],
): Promise<AppendResult> {
  for (const leaf of leafHashes) if (!isHash(leaf)) throw new TypeError('leaf hashes must be 32 bytes');
  const store = db as Kysely<AuditTreeTables>;
  const oldSize = await lockTreeHead(store, tree);
  const ids = frontier(oldSize);
  const nodes = await readNodes(store, tree, ids);
  const stored = ids.map((id) => nodes.get(nodeKey(id)));
  if (stored.some((hash) => hash === undefined)) {
    throw new EinmalError('Server.InternalError', {
      message: 'The stored audit tree is incomplete',
      detail: { tree, oldSize },
    });
  }
  const plan = planAppend(tree, { size: oldSize, frontier: stored as Uint8Array[] }, leafHashes);
  for (let i = 0; i < plan.rows.length; i += INSERT_CHUNK) {
    await store
      .insertInto('merkle_node')
      .values(plan.rows.slice(i, i + INSERT_CHUNK))
      .execute();
  }
  if (plan.rows.length > 0) {
    await store.updateTable('tree_head').set({ size: plan.tip.size }).where('tree', '=', tree).execute();
  }
  return { firstIndex: oldSize, size: plan.tip.size, tip: plan.tip };
}

/** The committed size of the log tree `tree` (0 for a tree never appended to). */
export async function getTreeSize(db: Kysely<any>, tree: string): Promise<number> {
  const row = await (db as Kysely<AuditTreeTables>)
    .selectFrom('tree_head')
    .select('size')
    .where('tree', '=', tree)
    .executeTakeFirst();
  return row ? Number(row.size) : 0;
}

/**
 * The root (MTH, RFC 9162 §2.1.1) of the first `size` leaves of `tree`, from at most log2(size)
 * stored nodes read in one query. `Audit.RangeError` when the tree is smaller than `size`.
 *
 * @example
 * const root = await getRoot(db, node, await getTreeSize(db, node));
 */
export async function getRoot(db: Kysely<any>, tree: string, size: number): Promise<Uint8Array> {
  checkCount(size, 'size');
  if (size === 0) return emptyRootHash();
  const ids = frontier(size);
  const nodes = await readNodes(db as Kysely<AuditTreeTables>, tree, ids);
  return foldRight(ids.map((id) => requireNode(nodes, id, size)));
}

/**
 * The inclusion proof (RFC 9162 §2.1.3) of leaf `leafIndex` in the tree of `size` leaves, with the
 * stored leaf hash; one query. `Audit.RangeError` when the index or size is out of range.
 *
 * @example
 * const { proof, leafHash } = await getInclusionProof(db, node, record.leafIndex, checkpoint.size);
 */
export async function getInclusionProof(
  db: Kysely<any>,
  tree: string,
  leafIndex: number,
  size: number,
): Promise<StoredInclusionProof> {
  const [proof] = await getInclusionProofs(db, tree, [leafIndex], size);
  return proof!;
}

/**
 * Inclusion proofs for several leaves against the same tree size, from one query (a page of a
 * citizen's records). With a `cache` (one per process, see `createProofCache`) the upper tree
 * levels and the right edge of the checkpoint's tree are read once and served from memory to every
 * later proof; only each leaf's own lower subtree is read. The proofs are the same either way.
 */
export async function getInclusionProofs(
  db: Kysely<any>,
  tree: string,
  leafIndices: readonly number[],
  size: number,
  cache?: ProofCache,
): Promise<StoredInclusionProof[]> {
  const plans = leafIndices.map((leafIndex) => {
    const leaf: NodeId = { level: 0, index: leafIndex };
    const ranges = inclusionRanges(leafIndex, size);
    return { leafIndex, leaf, ranges, parts: ranges.map(perfectSubtrees) };
  });
  const edge = cache?.edgeOf(tree, size);
  const known = new Map<string, Uint8Array>();
  const wanted: NodeId[] = [];
  const want = (id: NodeId) => {
    const key = nodeKey(id);
    if (known.has(key)) return;
    const cached = cache?.node(tree, id);
    if (cached) known.set(key, cached);
    else wanted.push(id);
  };
  // The leaf and its proof together cover [0, size), so their nodes exist only if the tree does.
  for (const plan of plans) {
    want(plan.leaf);
    plan.parts.forEach((part, i) => {
      // A part of several subtrees is the tree's right edge: the same for every proof of this size.
      if (part.length > 1 && edge?.has(plan.ranges[i]!.start)) return;
      for (const id of part) want(id);
    });
  }
  const nodes = await readNodes(db as Kysely<AuditTreeTables>, tree, wanted);
  for (const [key, hash] of nodes) known.set(key, hash);
  for (const id of wanted) {
    const hash = nodes.get(nodeKey(id));
    if (hash) cache?.keep(tree, id, hash);
  }
  return plans.map((plan) => ({
    leafIndex: plan.leafIndex,
    treeSize: size,
    leafHash: requireNode(known, plan.leaf, size),
    proof: plan.parts.map((part, i) => {
      if (part.length === 1) return requireNode(known, part[0]!, size);
      const start = plan.ranges[i]!.start;
      const folded = edge?.get(start) ?? foldRight(part.map((id) => requireNode(known, id, size)));
      edge?.set(start, folded);
      return folded;
    }),
  }));
}

/**
 * Tree hashes a process keeps between proofs: the stored nodes of the upper levels (a node never
 * changes once stored, so these hold for every later checkpoint too) and, per tree, the folded
 * right-edge hashes of the latest checkpoint size asked for. Bounded; when full it starts over.
 * Hold one per process and database: like a writer's tip it assumes the store is never rolled back
 * (restart the process after restoring the database from a backup).
 */
export interface ProofCache {
  /** A stored node, if it is cached. */
  node(tree: string, id: NodeId): Uint8Array | undefined;
  /** Remembers a node read from the store, if it is on a cached level. */
  keep(tree: string, id: NodeId, hash: Uint8Array): void;
  /** The right-edge hashes of `tree` at `size`, by the start of their leaf range. */
  edgeOf(tree: string, size: number): Map<number, Uint8Array>;
}

export interface ProofCacheOptions {
  /** The lowest level kept: a level-L node covers 2^L leaves. Default 8 (256 leaves). */
  readonly minLevel?: number;
  /** Nodes kept at most (32 bytes each plus a key). Default 200,000. */
  readonly maxNodes?: number;
}

/**
 * A {@link ProofCache}. At the default level 8 a tree of 10 million leaves has about 78,000 such
 * nodes (a few MB), and a proof then reads only the leaf and its eight lowest siblings.
 *
 * @example
 * const cache = createProofCache();
 * const proofs = await getInclusionProofs(db, tree, indices, checkpoint.size, cache);
 */
export function createProofCache(options: ProofCacheOptions = {}): ProofCache {
  const minLevel = options.minLevel ?? 8;
  const maxNodes = options.maxNodes ?? 200_000;
  const nodes = new Map<string, Uint8Array>();
  const edges = new Map<string, { size: number; hashes: Map<number, Uint8Array> }>();
  const key = (tree: string, id: NodeId) => `${tree}\n${id.level}:${id.index}`;
  return {
    node: (tree, id) => (id.level >= minLevel ? nodes.get(key(tree, id)) : undefined),
    keep(tree, id, hash) {
      if (id.level < minLevel) return;
      if (nodes.size >= maxNodes) nodes.clear();
      nodes.set(key(tree, id), hash);
    },
    edgeOf(tree, size) {
      let edge = edges.get(tree);
      if (edge?.size !== size) {
        edge = { size, hashes: new Map() };
        edges.set(tree, edge);
      }
      return edge.hashes;
    },
  };
}

/**
 * The consistency proof (RFC 9162 §2.1.4) from the tree of `oldSize` leaves to the tree of
 * `newSize` leaves; one query. `Audit.RangeError` unless 0 ≤ oldSize ≤ newSize ≤ the tree's size.
 *
 * @example
 * const proof = await getConsistencyProof(db, node, witnessed.size, next.size);
 */
export async function getConsistencyProof(
  db: Kysely<any>,
  tree: string,
  oldSize: number,
  newSize: number,
): Promise<Uint8Array[]> {
  const parts = consistencyRanges(oldSize, newSize).map(perfectSubtrees);
  if (newSize === 0) return [];
  // The last node of the new tree's frontier ends at newSize: it exists only if the tree does.
  const last = frontier(newSize).at(-1)!;
  const nodes = await readNodes(db as Kysely<AuditTreeTables>, tree, [last, ...parts.flat()]);
  requireNode(nodes, last, newSize);
  return parts.map((part) => foldRight(part.map((id) => requireNode(nodes, id, newSize))));
}

async function lockTreeHead(store: Kysely<AuditTreeTables>, tree: string): Promise<number> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const row = await store
      .selectFrom('tree_head')
      .select('size')
      .where('tree', '=', tree)
      .forUpdate()
      .executeTakeFirst();
    if (row) return Number(row.size);
    await store
      .insertInto('tree_head')
      .values({ tree, size: 0 })
      .onConflict((c) => c.column('tree').doNothing())
      .execute();
  }
  throw new EinmalError('Server.InternalError', { message: 'The audit tree head cannot be locked' });
}

/** Reads the given nodes of one tree in a single query. */
async function readNodes(
  store: Kysely<AuditTreeTables>,
  tree: string,
  ids: readonly NodeId[],
): Promise<Map<string, Uint8Array>> {
  const nodes = new Map<string, Uint8Array>();
  const wanted = new Map<string, NodeId>();
  for (const id of ids) wanted.set(nodeKey(id), id);
  if (wanted.size === 0) return nodes;
  const levels = [...wanted.values()].map((id) => id.level);
  const indices = [...wanted.values()].map((id) => id.index);
  // One indexed lookup per wanted node. Two typed array parameters rather than a row-value IN
  // list: PGlite returns wrong results for long lists of untyped row parameters.
  const rows = await store
    .selectFrom('merkle_node')
    .select(['level', 'idx', 'hash'])
    .where('tree', '=', tree)
    .where(sql<boolean>`(level, idx) in (select * from unnest(${levels}::int2[], ${indices}::int8[]))`)
    .execute();
  for (const row of rows) {
    nodes.set(nodeKey({ level: Number(row.level), index: Number(row.idx) }), toPlainBytes(row.hash));
  }
  return nodes;
}

function requireNode(nodes: Map<string, Uint8Array>, id: NodeId, size: number): Uint8Array {
  const hash = nodes.get(nodeKey(id));
  if (!hash) throw new EinmalError('Audit.RangeError', { detail: { size, missing: id } });
  return hash;
}

function nodeKey(id: NodeId): string {
  return `${id.level}:${id.index}`;
}

function checkCount(value: number, name: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new EinmalError('Audit.RangeError', { detail: `${name} must be a non-negative integer` });
  }
}
