import type { KeyObject } from 'node:crypto';
import type { X509Certificate } from '@peculiar/x509';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { base64HashSchema, type Checkpoint, cosignCheckpoint } from '../audit/index.ts';
import { type CryptoKey, certificateDer } from '../certs/index.ts';
import { EinmalError, type Logger } from '../core/index.ts';
import { findGateway, listApprovedCas, listRevocations, type RegistryDb } from './db/index.ts';
import { registryErrorHandler, registryNotFound } from './http-errors.ts';
import { checkExtendsWitnessed, parseOrigin, verifySignedCheckpoint } from './witness-check.ts';
import { createWitnessReadRoutes } from './witness-reads.ts';
import {
  cosignedView,
  findWitnessedCheckpoint,
  recordFork,
  saveWitnessedCheckpoint,
  type WitnessedCheckpoint,
} from './witness-store.ts';
import type { WitnessDb } from './witness-table.ts';

export type { CosignedCheckpoint } from './witness-store.ts';

/** The witness's own key and certificate chain (signer first, profile `witness`; not the anchor). */
export interface WitnessSigner {
  readonly privateKey: KeyObject | CryptoKey;
  readonly chain: readonly X509Certificate[];
}

export interface WitnessRoutesDeps {
  readonly db: Kysely<RegistryDb>;
  /** The configuration anchor (federation root) checkpoint signers chain to. */
  readonly anchor: X509Certificate;
  /** The witness's key; every cosignature is made with it. */
  readonly signer: WitnessSigner;
  readonly clock: () => Date;
  readonly log: Logger;
}

const MAX_BODY_BYTES = 128 * 1024;

/** `POST /witness/checkpoints`: a signed checkpoint and the consistency proof from `fromSize`. */
export const checkpointSubmissionSchema = z.strictObject({
  checkpoint: z
    .string()
    .min(1)
    .max(64 * 1024),
  consistencyProof: z.array(base64HashSchema).max(64),
  fromSize: z.number().int().min(0).max(Number.MAX_SAFE_INTEGER),
});

/** A checkpoint submission. */
export type CheckpointSubmission = z.infer<typeof checkpointSubmissionSchema>;

/** Refusals that are evidence against the log itself, not a malformed or stale submission. */
const CONTRADICTIONS = new Set(['Witness.Fork', 'Witness.LogShrunk', 'Witness.InconsistentCheckpoint']);

/**
 * The registry's witness (DESIGN.md §8, §11), mounted under `/witness` on the public listener:
 *
 * - `POST /checkpoints` `{checkpoint, consistencyProof, fromSize}`: verifies the checkpoint's
 *   signature (a trusted signing certificate of the member owning the registered gateway named by
 *   `origin`), checks it extends the witnessed checkpoint of that origin, cosigns it with the
 *   witness key, keeps it and answers `{checkpoint, cosignature}`. The same size with the same root
 *   again answers the pair already witnessed. Refuses with `Witness.InvalidCheckpoint`,
 *   `Witness.UntrustedSigner`, `Witness.UnknownOrigin`, `Witness.ForeignSigner`, `Witness.Fork`,
 *   `Witness.LogShrunk` or `Witness.InconsistentCheckpoint`; a fork, a shrunk log and a proof from
 *   the witnessed size that does not verify are also recorded and served under `/forks`.
 * - the reads of {@link createWitnessReadRoutes}: latest, by size, history, forks.
 *
 * @example
 * publicRoutes.route('/witness', createWitnessRoutes({ db, anchor, signer, clock, log }));
 */
export function createWitnessRoutes(deps: WitnessRoutesDeps): Hono {
  // The witness's tables sit next to the registry's tables in the same schema.
  const db = deps.db as unknown as Kysely<WitnessDb>;
  const witnessChain = deps.signer.chain.map((cert) => Buffer.from(certificateDer(cert)).toString('base64'));
  const app = new Hono();
  app.onError(registryErrorHandler(deps.log));
  app.notFound(registryNotFound(deps.log));
  app.use(
    '/checkpoints',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new EinmalError('Client.BodyTooLarge');
      },
    }),
  );

  app.post('/checkpoints', async (c) => {
    const submission = await readSubmission(() => c.req.text());
    const now = deps.clock();
    const { checkpoint, signer } = await verifySignedCheckpoint(submission.checkpoint, {
      anchor: deps.anchor,
      approvedCas: (await listApprovedCas(deps.db)).map((ca) => ca.certificate),
      revokedSerials: await listRevocations(deps.db),
      now,
    });
    const { gatewayId, member } = parseOrigin(checkpoint.origin);
    if (!(await findGateway(deps.db, gatewayId))) {
      throw new EinmalError('Witness.UnknownOrigin', { detail: { origin: checkpoint.origin } });
    }
    if (signer !== member) {
      throw new EinmalError('Witness.ForeignSigner', { detail: { origin: checkpoint.origin, signer } });
    }

    let contradicted: WitnessedCheckpoint | undefined;
    const accept = () =>
      db.transaction().execute(async (trx) => {
        const witnessed = await findWitnessedCheckpoint(trx, checkpoint.origin, { lock: true });
        if (witnessed && witnessed.size === checkpoint.size && witnessed.root === checkpoint.root) {
          return { next: witnessed, witnessed, repeated: true };
        }
        try {
          checkExtendsWitnessed(witnessed, checkpoint, {
            fromSize: submission.fromSize,
            proof: submission.consistencyProof,
          });
        } catch (error) {
          contradicted = witnessed;
          throw error;
        }
        const cosignature = await cosignCheckpoint({
          checkpoint,
          privateKey: deps.signer.privateKey,
          certificateChain: witnessChain,
        });
        const next: WitnessedCheckpoint = {
          origin: checkpoint.origin,
          gatewayId,
          size: checkpoint.size,
          root: checkpoint.root,
          time: new Date(checkpoint.time),
          checkpoint: submission.checkpoint,
          cosignature,
          witnessedAt: now,
        };
        return (await saveWitnessedCheckpoint(trx, next, witnessed))
          ? { next, witnessed, repeated: false }
          : undefined;
      });
    let accepted: Awaited<ReturnType<typeof accept>>;
    try {
      // A concurrent first submission for the same origin may have landed in between: check again.
      accepted = (await accept()) ?? (await accept());
    } catch (error) {
      if (contradicted && isContradiction(error, contradicted, submission)) {
        const refused = { checkpoint, gatewayId, submission, witnessed: contradicted, now, error };
        // The gateway hears of the refusal even when the evidence cannot be kept right now.
        await keepFork(db, deps.log, refused).catch((failure) =>
          deps.log.error(
            { err: failure, origin: checkpoint.origin },
            'a refused checkpoint could not be kept as a fork',
          ),
        );
      }
      throw error;
    }
    if (!accepted)
      throw new EinmalError('Witness.InconsistentCheckpoint', { detail: 'concurrent submissions' });
    if (!accepted.repeated) {
      deps.log.info(
        { origin: checkpoint.origin, size: checkpoint.size, from: accepted.witnessed?.size ?? null },
        'checkpoint witnessed',
      );
    }
    return c.json(cosignedView(accepted.next));
  });

  app.route('/', createWitnessReadRoutes({ db, log: deps.log }));
  return app;
}

/**
 * Whether a refusal shows the log is not the one witnessed: a fork, a shrunk log, or a proof from
 * the witnessed size that fails. A proof from another size only shows the gateway did not know
 * what was witnessed (e.g. it lost the answer), so it is refused without being kept.
 */
function isContradiction(
  error: unknown,
  witnessed: WitnessedCheckpoint,
  submission: CheckpointSubmission,
): error is EinmalError {
  if (!(error instanceof EinmalError) || !CONTRADICTIONS.has(error.code)) return false;
  return error.code !== 'Witness.InconsistentCheckpoint' || submission.fromSize === witnessed.size;
}

async function keepFork(
  db: Kysely<WitnessDb>,
  log: Logger,
  refused: {
    checkpoint: Checkpoint;
    gatewayId: string;
    submission: CheckpointSubmission;
    witnessed: WitnessedCheckpoint;
    now: Date;
    error: EinmalError;
  },
): Promise<void> {
  const { checkpoint, submission, witnessed } = refused;
  await recordFork(db, {
    origin: checkpoint.origin,
    gatewayId: refused.gatewayId,
    code: refused.error.code,
    size: checkpoint.size,
    root: checkpoint.root,
    time: new Date(checkpoint.time),
    checkpoint: submission.checkpoint,
    fromSize: submission.fromSize,
    consistencyProof: submission.consistencyProof,
    witnessed: { size: witnessed.size, root: witnessed.root },
    detectedAt: refused.now,
  });
  log.warn(
    { origin: checkpoint.origin, code: refused.error.code, size: checkpoint.size, witnessed: witnessed.size },
    'checkpoint contradicts the witnessed log; kept as a fork',
  );
}

async function readSubmission(text: () => Promise<string>): Promise<CheckpointSubmission> {
  let json: unknown;
  try {
    json = JSON.parse(await text());
  } catch (cause) {
    throw new EinmalError('Client.InvalidBody', { message: 'The body is not valid JSON', cause });
  }
  const parsed = checkpointSubmissionSchema.safeParse(json);
  if (!parsed.success) {
    throw new EinmalError('Client.InvalidBody', {
      detail: parsed.error.issues.map((issue) => `${issue.path.join('.')}: ${issue.message}`),
    });
  }
  return parsed.data;
}
