import type { X509Certificate } from '@peculiar/x509';
import { Hono } from 'hono';
import { bodyLimit } from 'hono/body-limit';
import type { Kysely } from 'kysely';
import { z } from 'zod';
import { base64HashSchema, checkpointSchema, cosignCheckpoint } from '../audit/index.ts';
import { certificateDer } from '../certs/index.ts';
import { EinmalError, type Logger } from '../core/index.ts';
import { findGateway, listApprovedCas, listRevocations, memberPartOf, type RegistryDb } from './db/index.ts';
import type { DirectorySigner } from './directory-jws.ts';
import { registryErrorHandler, registryNotFound } from './http-errors.ts';
import { checkExtendsWitnessed, parseOrigin, verifySignedCheckpoint } from './witness-check.ts';
import {
  findWitnessedCheckpoint,
  saveWitnessedCheckpoint,
  type WitnessedCheckpoint,
} from './witness-store.ts';
import type { WitnessDb } from './witness-table.ts';

export interface WitnessRoutesDeps {
  readonly db: Kysely<RegistryDb>;
  /** The configuration anchor (federation root) checkpoint signers chain to. */
  readonly anchor: X509Certificate;
  /** The registry's directory-signing key and chain; the witness cosigns with it. */
  readonly signer: DirectorySigner;
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

/** What the witness answers: the checkpoint and its cosignature, both compact JWS. */
export interface CosignedCheckpoint {
  readonly checkpoint: string;
  readonly cosignature: string;
}

/**
 * The registry's witness (DESIGN.md §8, §11), mounted under `/witness` on the public listener:
 *
 * - `POST /checkpoints` `{checkpoint, consistencyProof, fromSize}`: verifies the checkpoint's
 *   signature (a trusted signing certificate of the member owning the registered gateway named by
 *   `origin`), checks it extends the witnessed checkpoint of that origin, stores it and answers
 *   `{checkpoint, cosignature}`. Refuses with `Witness.InvalidCheckpoint`, `Witness.UntrustedSigner`,
 *   `Witness.UnknownOrigin`, `Witness.ForeignSigner`, `Witness.Fork`, `Witness.LogShrunk` or
 *   `Witness.InconsistentCheckpoint`.
 * - `GET /checkpoints/:origin` (origin URL-encoded): the latest cosigned checkpoint of that origin.
 *
 * @example
 * publicRoutes.route('/witness', createWitnessRoutes({ db, anchor, signer, clock, log }));
 */
export function createWitnessRoutes(deps: WitnessRoutesDeps): Hono {
  // The witness's table sits next to the registry's tables in the same schema.
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
    const { gatewayId } = parseOrigin(checkpoint.origin);
    if (!(await findGateway(deps.db, gatewayId))) {
      throw new EinmalError('Witness.UnknownOrigin', { detail: { origin: checkpoint.origin } });
    }
    if (signer !== memberPartOf(gatewayId)) {
      throw new EinmalError('Witness.ForeignSigner', { detail: { origin: checkpoint.origin, signer } });
    }

    const accept = () =>
      db.transaction().execute(async (trx) => {
        const witnessed = await findWitnessedCheckpoint(trx, checkpoint.origin, { lock: true });
        checkExtendsWitnessed(witnessed, checkpoint, {
          fromSize: submission.fromSize,
          proof: submission.consistencyProof,
        });
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
        return (await saveWitnessedCheckpoint(trx, next, witnessed)) ? { next, witnessed } : undefined;
      });
    // A concurrent first submission for the same origin may have landed in between: check again.
    const accepted = (await accept()) ?? (await accept());
    if (!accepted)
      throw new EinmalError('Witness.InconsistentCheckpoint', { detail: 'concurrent submissions' });
    deps.log.info(
      { origin: checkpoint.origin, size: checkpoint.size, from: accepted.witnessed?.size ?? null },
      'checkpoint witnessed',
    );
    return c.json(view(accepted.next));
  });

  app.get('/checkpoints/:origin', async (c) => {
    const origin = c.req.param('origin');
    const parsed = checkpointSchema.shape.origin.safeParse(origin);
    const witnessed = parsed.success ? await findWitnessedCheckpoint(db, parsed.data) : undefined;
    if (!witnessed) throw new EinmalError('Witness.NotWitnessed', { detail: { origin } });
    return c.json(view(witnessed));
  });
  return app;
}

function view(witnessed: WitnessedCheckpoint): CosignedCheckpoint {
  return { checkpoint: witnessed.checkpoint, cosignature: witnessed.cosignature };
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
