import type { Kysely } from 'kysely';
import { z } from 'zod';
import {
  type Checkpoint,
  createCheckpoint,
  getConsistencyProof,
  getRoot,
  getTreeSize,
  hashToBase64,
  signCheckpoint,
} from '../../audit/index.ts';
import { EinmalError, isEinmalError, type Logger } from '../../core/index.ts';
import { errorBodySchema } from '../../schemas/index.ts';
import type { GatewayDb } from '../db/tables.ts';
import type { RegistryRequest } from '../directory/index.ts';
import type { SigningIdentity } from '../exchange/envelopes.ts';

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
  readonly clock: () => number;
  readonly log: Logger;
  /** How often to look for growth (DESIGN.md §8: a checkpoint at least every few seconds). */
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

const cosignedSchema = z.strictObject({ checkpoint: z.string().min(1), cosignature: z.string().min(1) });

/**
 * Signs checkpoints of the node's Merkle log and has the registry's witness cosign them
 * (DESIGN.md §8). Each round: if the log grew since the last checkpoint, read size and root, sign
 * `{origin, size, root, time}` and store it; then, if the newest checkpoint has no cosignature yet,
 * push it with a consistency proof from the last witnessed size and store the cosignature.
 * A witness that cannot be reached or refuses is logged and tried again next round; exchanges
 * never wait for it.
 *
 * @example
 * const checkpointer = createCheckpointer({ db, tree: nodeId, origin: gatewayId, signer,
 *   witness: () => directory.current()?.witness ?? null, fetch: registry.fetch, clock: Date.now, log });
 * checkpointer.start();
 */
export function createCheckpointer(options: CheckpointerOptions) {
  const { db, tree, origin, log } = options;
  const intervalMs = options.intervalMs ?? 2_000;
  const timeoutMs = options.timeoutMs ?? 10_000;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<CheckpointRound> | undefined;

  async function signIfGrown(): Promise<Checkpoint | undefined> {
    const size = await getTreeSize(db, tree);
    const last = await db
      .selectFrom('checkpoint')
      .select('size')
      .where('tree', '=', tree)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (size === 0 || (last && Number(last.size) >= size)) return undefined;
    const checkpoint = createCheckpoint({
      origin,
      size,
      root: await getRoot(db, tree, size),
      now: new Date(options.clock()),
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

  async function pushToWitness(url: string): Promise<number | undefined> {
    const newest = await db
      .selectFrom('checkpoint')
      .select(['size', 'jws', 'cosignature'])
      .where('tree', '=', tree)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    if (!newest) return undefined;
    if (newest.cosignature) return Number(newest.size);
    const witnessed = await db
      .selectFrom('checkpoint')
      .select('size')
      .where('tree', '=', tree)
      .where('cosignature', 'is not', null)
      .orderBy('size', 'desc')
      .limit(1)
      .executeTakeFirst();
    const fromSize = witnessed ? Number(witnessed.size) : 0;
    const size = Number(newest.size);
    const proof = await getConsistencyProof(db, tree, fromSize, size);
    const response = await options.fetch(`${url.replace(/\/+$/, '')}/checkpoints`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', accept: 'application/json' },
      body: JSON.stringify({ checkpoint: newest.jws, consistencyProof: proof.map(hashToBase64), fromSize }),
      signal: AbortSignal.timeout(timeoutMs),
    });
    const text = await response.text();
    if (response.status !== 200) throw witnessRefusal(response.status, text);
    const answer = cosignedSchema.safeParse(parseJson(text));
    if (!answer.success || answer.data.checkpoint !== newest.jws) {
      throw new EinmalError('Server.InternalError', {
        message: 'The witness answered with something other than a cosignature of this checkpoint',
      });
    }
    await db
      .updateTable('checkpoint')
      .set({ cosignature: answer.data.cosignature })
      .where('tree', '=', tree)
      .where('size', '=', size)
      .execute();
    return size;
  }

  async function round(): Promise<CheckpointRound> {
    let signed: Checkpoint | undefined;
    try {
      signed = await signIfGrown();
      const witness = options.witness();
      if (!witness) return signed ? { signed } : {};
      const witnessedSize = await pushToWitness(witness.url);
      if (signed) log.debug({ origin, size: signed.size, witnessedSize }, 'checkpoint signed');
      return { ...(signed ? { signed } : {}), ...(witnessedSize === undefined ? {} : { witnessedSize }) };
    } catch (error) {
      const code =
        error instanceof WitnessRefusal ? error.code : isEinmalError(error) ? error.code : 'unreachable';
      log.warn({ err: error, origin, code }, 'checkpoint not witnessed; retrying next round');
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
  };
}

export type Checkpointer = ReturnType<typeof createCheckpointer>;

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** The witness refused a checkpoint; `code` is the X-Road error type it answered with. */
class WitnessRefusal extends Error {
  override readonly name = 'WitnessRefusal';
  constructor(
    readonly code: string,
    readonly status: number,
  ) {
    super(`the witness refused the checkpoint: ${code}`);
  }
}

function witnessRefusal(status: number, text: string): WitnessRefusal {
  const body = errorBodySchema.safeParse(parseJson(text));
  return new WitnessRefusal(body.success ? body.data.type : `HTTP ${status}`, status);
}
