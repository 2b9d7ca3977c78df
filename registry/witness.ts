import type { KeyObject } from 'node:crypto';
import type { Socket } from 'node:net';
import type { X509Certificate } from '@peculiar/x509';
import { type Context, Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import {
  type CryptoKey,
  certificateDer,
  type PresentedCertificate,
  presentedCertificateOf,
} from '../certs/index.ts';
import { type Clock, EinmalError, errorHandlers, type Logger } from '../core/index.ts';
import {
  type Checkpoint,
  type CheckpointSubmission,
  checkpointSubmissionSchema,
  cosignCheckpoint,
} from '../protocol/index.ts';
import {
  findGateway,
  type Gateway,
  listApprovedCas,
  listRevocations,
  type RegistryDb,
  type Revocation,
} from './db/index.ts';
import { checkExtendsWitnessed, parseOrigin, verifySignedCheckpoint } from './witness-check.ts';
import { createWitnessReadRoutes } from './witness-reads.ts';
import {
  cosignedView,
  findCheckpointAt,
  findWitnessedCheckpoint,
  recordFork,
  saveWitnessedCheckpoint,
  type WitnessedCheckpoint,
} from './witness-store.ts';

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
  readonly clock: Clock;
  readonly log: Logger;
  /**
   * The TLS client certificate a submission came with (default: read from the Node socket of the
   * request). Only the origin gateway may submit its checkpoints.
   */
  readonly submitterOf?: ((c: Context) => PresentedCertificate | null) | undefined;
}

/** The certificate on the Node socket a request came in on (`@hono/node-server` bindings). */
const socketCertificate = (c: Context): PresentedCertificate | null =>
  presentedCertificateOf((c.env as { incoming?: { socket?: Socket } } | undefined)?.incoming?.socket);

/**
 * Refuses a submission that did not come over TLS with an unrevoked authentication certificate the
 * registry holds for the origin's gateway. A checkpoint is public once signed (gateways serve them),
 * so without this anyone could send one with a bad proof, or an old one, and have an honest log
 * recorded as forked. With it, a contradiction comes from the gateway itself and is evidence.
 */
function checkSubmitter(
  presented: PresentedCertificate | null,
  gateway: Gateway,
  revocations: readonly Revocation[],
): void {
  const refuse = (reason: string) =>
    new EinmalError('Witness.NotOriginGateway', { detail: { gateway: gateway.id, reason } });
  if (!presented) throw refuse('no client certificate');
  if (!gateway.authCertificateFingerprints.includes(presented.fingerprint)) {
    throw refuse('not an authentication certificate of the gateway');
  }
  if (
    revocations.some((r) => r.serialNumber.toLowerCase().replace(/^0+(?=.)/, '') === presented.serialNumber)
  ) {
    throw refuse('revoked authentication certificate');
  }
}

const MAX_BODY_BYTES = 128 * 1024;

/** Refusals that are evidence against the log itself, not a malformed or stale submission. */
const CONTRADICTIONS = new Set(['Witness.Fork', 'Witness.LogShrunk', 'Witness.InconsistentCheckpoint']);

/**
 * The registry's witness (docs/protocol.md §11.3), mounted under `/witness` on the public listener:
 *
 * - `POST /checkpoints` `{checkpoint, consistencyProof, fromSize}`, only over TLS with the origin
 *   gateway's authentication certificate (`Witness.NotOriginGateway` otherwise): verifies the checkpoint's
 *   signature (a trusted signing certificate of the member owning the registered gateway named by
 *   `origin`), checks it extends the witnessed checkpoint of that origin, cosigns it with the
 *   witness key, keeps it and answers `{checkpoint, cosignature}`. The same size with the same root
 *   again answers the pair already witnessed. Refuses with `Witness.InvalidCheckpoint`,
 *   `Witness.UntrustedSigner`, `Witness.UnknownOrigin`, `Witness.ForeignSigner`, `Witness.Fork`,
 *   `Witness.LogShrunk` or `Witness.InconsistentCheckpoint`; a fork, a shrunk log (not an old
 *   checkpoint sent again) and a proof from the witnessed size that does not verify are also
 *   recorded and served under `/forks`.
 * - the reads of {@link createWitnessReadRoutes}: latest, by size, history, forks.
 *
 * @example
 * publicRoutes.route('/witness', createWitnessRoutes({ db, anchor, signer, clock, log }));
 */
export function createWitnessRoutes(deps: WitnessRoutesDeps): Hono {
  // The witness's tables sit next to the registry's tables in the same schema.
  const db = deps.db;
  const witnessChain = deps.signer.chain.map((cert) => Buffer.from(certificateDer(cert)).toString('base64'));
  const app = new Hono();
  const errors = errorHandlers({ log: deps.log, pathInLog: (path) => path });
  app.onError(errors.onError);
  app.notFound(errors.notFound);
  app.use(
    '/checkpoints',
    bodyLimit({
      maxSize: MAX_BODY_BYTES,
      onError: () => {
        throw new EinmalError('Client.BodyTooLarge');
      },
    }),
  );

  const submitterOf = deps.submitterOf ?? socketCertificate;

  app.post('/checkpoints', async (c) => {
    const presented = submitterOf(c);
    if (!presented) {
      throw new EinmalError('Witness.NotOriginGateway', { detail: { reason: 'no client certificate' } });
    }
    const submission = await readSubmission(() => c.req.text());
    const now = new Date(deps.clock());
    const revocations = await listRevocations(deps.db);
    const { checkpoint, signer } = await verifySignedCheckpoint(submission.checkpoint, {
      anchor: deps.anchor,
      approvedCas: (await listApprovedCas(deps.db)).map((ca) => ca.certificate),
      revokedSerials: revocations,
      now,
    });
    const { gatewayId, member } = parseOrigin(checkpoint.origin);
    const gateway = await findGateway(deps.db, gatewayId);
    if (!gateway) {
      throw new EinmalError('Witness.UnknownOrigin', { detail: { origin: checkpoint.origin } });
    }
    checkSubmitter(presented, gateway, revocations);
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
      if (contradicted && error instanceof EinmalError && CONTRADICTIONS.has(error.code)) {
        const refused = { checkpoint, gatewayId, submission, witnessed: contradicted, now, error };
        // The gateway hears of the refusal even when the evidence cannot be kept right now.
        await keepIfContradiction(db, deps.log, refused).catch((failure) =>
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

/** A checkpoint refused with one of {@link CONTRADICTIONS}, and what it was checked against. */
interface RefusedCheckpoint {
  readonly checkpoint: Checkpoint;
  readonly gatewayId: string;
  readonly submission: CheckpointSubmission;
  readonly witnessed: WitnessedCheckpoint;
  readonly now: Date;
  readonly error: EinmalError;
}

/**
 * Keeps a refusal as a fork when it shows the log is not the one witnessed: a fork, a shrunk log,
 * or a proof from the witnessed size that fails. A proof from another size only shows the gateway
 * did not know what was witnessed (e.g. it lost the answer). A smaller checkpoint contradicts the
 * witnessed one only if it is dated no earlier, or the witness cosigned another root at its size:
 * every checkpoint ever signed is served publicly, so anyone can send an old one again, and that
 * shows nothing about the log.
 */
async function keepIfContradiction(
  db: Kysely<RegistryDb>,
  log: Logger,
  refused: RefusedCheckpoint,
): Promise<void> {
  const { checkpoint, submission, witnessed, error } = refused;
  if (error.code === 'Witness.InconsistentCheckpoint' && submission.fromSize !== witnessed.size) return;
  if (error.code === 'Witness.LogShrunk') {
    const cosigned = await findCheckpointAt(db, checkpoint.origin, checkpoint.size);
    const contradicts = cosigned
      ? cosigned.root !== checkpoint.root
      : Date.parse(checkpoint.time) >= witnessed.time.getTime();
    if (!contradicts) return;
  }
  await keepFork(db, log, refused);
}

async function keepFork(db: Kysely<RegistryDb>, log: Logger, refused: RefusedCheckpoint): Promise<void> {
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
