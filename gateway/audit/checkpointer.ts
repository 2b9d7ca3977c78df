import type { Kysely } from 'kysely';
import { getConsistencyProof, getRoot, getTreeSize } from '../../audit/index.ts';
import type { ChainVerifier } from '../../certs/index.ts';
import { type Clock, EinmalError, isEinmalError, type Logger } from '../../core/index.ts';
import {
  type Checkpoint,
  createCheckpoint,
  hashToBase64,
  type RegistryRequest,
  type SigningIdentity,
  signCheckpoint,
} from '../../protocol/index.ts';
import type { GatewayDb } from '../db/tables.ts';
import { createWitnessClient, WitnessRefusal } from './witness-client.ts';

export interface CheckpointerOptions {
  readonly db: Kysely<GatewayDb>;
  /** This node's log tree (as the audit log writer names it). */
  readonly tree: string;
  /** The checkpoint `origin`: the gateway id, with `#node` when the node has its own name. */
  readonly origin: string;
  /** The member signing key and chain of the gateway's owner. */
  readonly signer: SigningIdentity;
  /** The federation's witness, from the current directory; `null` when it names none. */
  readonly witness: () => { readonly url: string } | null;
  readonly fetch: RegistryRequest;
  /** The federation's certificate checks: a cosignature counts only from a `witness` certificate. */
  readonly witnessCertificates: Pick<ChainVerifier, 'verify'>;
  readonly clock: Clock;
  readonly log: Logger;
  /** How often to look for growth (docs/protocol.md §11.2: a checkpoint at least every few seconds). */
  readonly intervalMs?: number | undefined;
  /** Timeout of one witness request. */
  readonly timeoutMs?: number | undefined;
}

/** What one round did. */
export interface CheckpointRound {
  /** The checkpoint signed in this round, if the log grew. */
  readonly signed?: Checkpoint;
  /** The size the witness has cosigned after this round, if any. */
  readonly witnessedSize?: number;
  /** The witness's refusal or the network failure of this round. */
  readonly error?: { readonly code: string; readonly message: string };
}

/**
 * Signs checkpoints of the node's Merkle log and has the registry's witness cosign them
 * (docs/protocol.md §11). Each round: if the log grew since the last checkpoint, read size and root, sign
 * `{origin, size, root, time}` and store it; then, if the newest checkpoint has no cosignature yet,
 * push it with a consistency proof from the size the witness holds and store the cosignature once
 * it checks out (a `witness` certificate over this checkpoint). Checkpoints signed while the
 * witness was away stay uncosigned: the next one covers their records. The size the witness holds
 * is asked for before the first push and after any failure, so a lost answer or a restart does
 * not leave the node proving from a size the witness has moved past. A witness that cannot be
 * reached or refuses is logged and tried again next round; exchanges never wait for it.
 *
 * @example
 * const checkpointer = createCheckpointer({ db, tree: nodeId, origin: gatewayId, signer,
 *   witness: () => directory.current()?.witness ?? null, fetch: registry.fetch,
 *   witnessCertificates: chainVerifier, clock: Date.now, log });
 * checkpointer.start();
 */
export function createCheckpointer(options: CheckpointerOptions) {
  const { db, tree, origin, log } = options;
  const intervalMs = options.intervalMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<CheckpointRound> | undefined;
  /** The size the witness holds for this origin, as last learnt from it; unknown after a failure. */
  let witnessedSize: number | undefined;
  let syncedWith: string | undefined;
  /** Set while this node's log is behind, or differs from, what the witness cosigned. */
  let rollback: LogRollback | undefined;
  const witnessClient = createWitnessClient({
    fetch: options.fetch,
    certificates: options.witnessCertificates,
    clock: options.clock,
    timeoutMs,
  });

  async function signIfGrown(): Promise<Checkpoint | undefined> {
    const size = await getTreeSize(db, tree);
    const last = await db
      .selectFrom('checkpoint')
      .select(['size', 'time'])
      .where('tree', '=', tree)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (size === 0 || (last && Number(last.size) >= size)) return undefined;
    // Checkpoint times never go back, even when the clock steps back: verifiers and the witness
    // refuse a log whose checkpoints do.
    const lastTime = last ? new Date(last.time).getTime() : Number.NEGATIVE_INFINITY;
    const checkpoint = createCheckpoint({
      origin,
      size,
      root: await getRoot(db, tree, size),
      now: new Date(Math.max(options.clock(), lastTime)),
    });
    const jws = await signCheckpoint({
      checkpoint,
      privateKey: options.signer.privateKey,
      certificateChain: options.signer.x5c,
    });
    await db
      .insertInto('checkpoint')
      .values({ tree, size, root: checkpoint.root, time: new Date(checkpoint.time), jws, cosignature: null })
      .onConflict((oc) => oc.columns(['tree', 'size']).doNothing())
      .execute();
    return checkpoint;
  }

  /**
   * What the witness holds for this origin, asked before the first push and after any failure:
   * a cosignature whose answer was lost (a timeout, a restart) is stored now, and the next proof
   * starts from the size the witness really holds, not the one this node last heard of.
   */
  async function syncWithWitness(url: string): Promise<number> {
    const latest = await witnessClient.latest(url, origin);
    rollback = undefined;
    if (!latest) return 0;
    const { size, root } = latest.checkpoint;
    const treeSize = await getTreeSize(db, tree);
    if (size > treeSize) {
      rollback = { witnessedSize: size, treeSize, kind: 'behind' };
      return size;
    }
    if (hashToBase64(await getRoot(db, tree, size)) !== root) {
      rollback = { witnessedSize: size, treeSize, kind: 'diverged' };
      return size;
    }
    if (!latest.cosigned) {
      log.warn(
        { origin, witnessed: size },
        "the witness's latest cosignature is not a witness certificate's; not kept",
      );
      return size;
    }
    // The witness's pair for a size this node has signed replaces the row: the same size and root,
    // possibly signed at another time by a restarted node.
    await db
      .updateTable('checkpoint')
      .set({
        jws: latest.pair.checkpoint,
        time: new Date(latest.checkpoint.time),
        cosignature: latest.pair.cosignature,
      })
      .where('tree', '=', tree)
      .where('size', '=', size)
      .where('root', '=', root)
      .where((eb) => eb.or([eb('cosignature', 'is', null), eb('jws', '=', latest.pair.checkpoint)]))
      .execute();
    return size;
  }

  async function pushToWitness(url: string): Promise<number | undefined> {
    const newestRow = () =>
      db
        .selectFrom('checkpoint')
        .select(['size', 'jws', 'cosignature'])
        .where('tree', '=', tree)
        .orderBy('size', 'desc')
        .limit(1)
        .executeTakeFirst();
    let newest = await newestRow();
    if (!newest) return undefined;
    if (newest.cosignature) return Number(newest.size);
    if (witnessedSize === undefined || syncedWith !== url) {
      witnessedSize = await syncWithWitness(url);
      syncedWith = url;
      newest = (await newestRow())!;
      if (newest.cosignature) return Number(newest.size);
    }
    const size = Number(newest.size);
    const fromSize = witnessedSize;
    // A witness ahead of this node refuses the checkpoint as a shrunk log and keeps it as evidence.
    const proof = fromSize <= size ? await getConsistencyProof(db, tree, fromSize, size) : [];
    const answer = await witnessClient.submit(url, origin, {
      checkpoint: newest.jws,
      consistencyProof: proof.map(hashToBase64),
      fromSize,
    });
    if (answer.checkpoint.size !== size) {
      throw new EinmalError('Audit.InvalidCheckpoint', {
        message: `The witness answered with its checkpoint of size ${answer.checkpoint.size}, not ${size}`,
      });
    }
    // Usually the pair of this checkpoint; for a size the witness had already cosigned (same root,
    // another signing time), the pair it holds.
    const { numUpdatedRows } = await db
      .updateTable('checkpoint')
      .set({
        jws: answer.pair.checkpoint,
        time: new Date(answer.checkpoint.time),
        cosignature: answer.pair.cosignature,
      })
      .where('tree', '=', tree)
      .where('size', '=', size)
      .where('root', '=', answer.checkpoint.root)
      .executeTakeFirst();
    if (numUpdatedRows === 0n) {
      throw new EinmalError('Audit.InvalidCheckpoint', {
        message: `The witness answered with another root at size ${size}`,
      });
    }
    witnessedSize = size;
    return size;
  }

  async function round(): Promise<CheckpointRound> {
    let signed: Checkpoint | undefined;
    try {
      const witness = options.witness();
      // What the witness holds is known before anything is signed: a node whose database went back
      // (restored from an older backup) must not sign a checkpoint the witness would reject as a
      // shrunk or forked log, which would stand as signed evidence of a split view.
      // A witness that cannot be asked does not stop the node signing (its checkpoints wait for
      // the witness's return); one known to hold more than this node does.
      let unsynced: unknown;
      if (witness && (witnessedSize === undefined || syncedWith !== witness.url)) {
        try {
          witnessedSize = await syncWithWitness(witness.url);
          syncedWith = witness.url;
        } catch (error) {
          unsynced = error;
        }
      }
      if (rollback) throw rollbackError(rollback);
      signed = await signIfGrown();
      if (!witness) return signed ? { signed } : {};
      if (unsynced !== undefined) throw unsynced;
      const cosigned = await pushToWitness(witness.url);
      if (signed) log.debug({ origin, size: signed.size, witnessedSize: cosigned }, 'checkpoint signed');
      return {
        ...(signed ? { signed } : {}),
        ...(cosigned === undefined ? {} : { witnessedSize: cosigned }),
      };
    } catch (error) {
      // Whatever failed, the next round first asks the witness what it holds.
      witnessedSize = undefined;
      const code =
        error instanceof WitnessRefusal ? error.code : isEinmalError(error) ? error.code : 'unreachable';
      if (rollback) {
        log.error({ origin, code, ...rollback }, String((error as Error).message));
      } else {
        log.warn({ err: error, origin, code }, 'checkpoint not witnessed; retrying next round');
      }
      return { ...(signed ? { signed } : {}), error: { code, message: String((error as Error).message) } };
    }
  }

  function checkpointNow(): Promise<CheckpointRound> {
    running ??= round().finally(() => {
      running = undefined;
    });
    return running;
  }

  return {
    /** Starts the periodic rounds (the first one right away). */
    start(): void {
      if (timer) return;
      void checkpointNow();
      timer = setInterval(() => void checkpointNow(), intervalMs);
      timer.unref();
    },
    /** Stops the rounds and waits for one in progress. */
    async stop(): Promise<void> {
      if (timer) clearInterval(timer);
      timer = undefined;
      await running;
    },
    /** Runs one round now (coalesced with one in progress). */
    checkpointNow,
    /**
     * Whether this node's log went back behind what the witness cosigned (as last learnt from it):
     * the node then signs no checkpoint, and its readiness fails.
     */
    rollback: (): LogRollback | undefined => rollback,
  };
}

/** A log that went back: the size the witness cosigned, this node's size, and how it differs. */
export interface LogRollback {
  readonly witnessedSize: number;
  readonly treeSize: number;
  /** `behind`: fewer records than the witness cosigned; `diverged`: other records at its size. */
  readonly kind: 'behind' | 'diverged';
}

/** The refusal to sign, with what the operator should do (docs/operations/scaling-retention-keys.md). */
function rollbackError(rollback: LogRollback): EinmalError {
  const what =
    rollback.kind === 'behind'
      ? `this node's log has ${rollback.treeSize} records, but the witness cosigned ${rollback.witnessedSize}`
      : `this node's log holds other records than the ${rollback.witnessedSize} the witness cosigned`;
  return new EinmalError('Audit.LogBehindWitness', {
    message: `Refusing to sign a checkpoint: ${what}. The database was most likely restored from an older backup. Restore the newest backup or recover to the last commit so the log is whole again; if the records are lost for good, keep this database for the auditors and start the node under a new GATEWAY_NODE_ID (a new log tree). Checkpoints resume once the log matches the witness.`,
  });
}

export type Checkpointer = ReturnType<typeof createCheckpointer>;
