import { z } from 'zod';
import type { ChainVerifier } from '../../certs/index.ts';
import { type Clock, EinmalError } from '../../core/index.ts';
import {
  type Checkpoint,
  type CosignedCheckpoint,
  canonicalJson,
  checkpointCertificates,
  cosignedCheckpointSchema,
  type RegistryRequest,
  verifyCheckpoint,
  verifyCosignature,
} from '../../protocol/index.ts';

/** The `type` of an X-Road error body, all a refusal needs to be told apart. */
const errorTypeSchema = z.object({ type: z.string().max(200) });

/** The witness refused a checkpoint; `code` is the X-Road error type it answered with. */
export class WitnessRefusal extends Error {
  override readonly name = 'WitnessRefusal';
  constructor(
    readonly code: string,
    readonly status: number,
  ) {
    super(`the witness refused the checkpoint: ${code}`);
  }
}

export interface WitnessClientOptions {
  readonly fetch: RegistryRequest;
  /** Checks the witness's certificate (profile `witness`) against the federation's current trust. */
  readonly certificates: Pick<ChainVerifier, 'verify'>;
  readonly clock: Clock;
  readonly timeoutMs: number;
}

/**
 * The gateway's side of the witness protocol (docs/protocol.md §11.3): submit a checkpoint, ask for the
 * latest one witnessed for an origin, and check that what comes back is cosigned by a certificate
 * issued for the `witness` profile under the federation's anchor, over the expected checkpoint.
 *
 * @example
 * const witness = createWitnessClient({ fetch, certificates, clock, timeoutMs: 10_000 });
 * const latest = await witness.latest(url, origin);
 */
export function createWitnessClient(options: WitnessClientOptions) {
  const request = async (url: string, init: { method?: string; body?: string }) => {
    const response = await options.fetch(url, {
      ...init,
      headers: { accept: 'application/json', ...(init.body ? { 'content-type': 'application/json' } : {}) },
      signal: AbortSignal.timeout(options.timeoutMs),
    });
    return { status: response.status, text: await response.text() };
  };

  /** The checkpoint a cosigned pair covers, once the cosignature is the witness's over it. */
  async function checkCosigned(pair: CosignedCheckpoint, origin: string): Promise<Checkpoint> {
    const witnessDer = checkpointCertificates(pair.cosignature)[0]!;
    options.certificates.verify(Buffer.from(witnessDer, 'base64'), {
      usage: 'witness',
      at: new Date(options.clock()),
    });
    const cosigned = await verifyCosignature(pair.cosignature, { certificate: witnessDer });
    const signed = await verifyCheckpoint(pair.checkpoint, {
      certificate: checkpointCertificates(pair.checkpoint)[0]!,
    });
    if (canonicalJson(signed) !== canonicalJson(cosigned) || signed.origin !== origin) {
      throw new EinmalError('Audit.InvalidCheckpoint', {
        message: 'The witness answered with a cosignature over another checkpoint',
      });
    }
    return signed;
  }

  const base = (url: string) => url.replace(/\/+$/, '');

  return {
    checkCosigned,

    /** Submits `checkpoint` with the consistency proof from `fromSize`; the verified answer. */
    async submit(
      url: string,
      origin: string,
      body: { checkpoint: string; consistencyProof: string[]; fromSize: number },
    ): Promise<{ pair: CosignedCheckpoint; checkpoint: Checkpoint }> {
      const answer = await request(`${base(url)}/checkpoints`, {
        method: 'POST',
        body: JSON.stringify(body),
      });
      if (answer.status !== 200) throw refusal(answer.status, answer.text);
      const pair = parseCosigned(answer.text);
      return { pair, checkpoint: await checkCosigned(pair, origin) };
    },

    /**
     * The latest checkpoint the witness holds for `origin`; `undefined` when none. `cosigned` says
     * whether its cosignature checks out; a pair that does not (e.g. cosigned with a key that was
     * not a witness certificate) still tells which size the witness holds, but is never stored.
     */
    async latest(
      url: string,
      origin: string,
    ): Promise<{ pair: CosignedCheckpoint; checkpoint: Checkpoint; cosigned: boolean } | undefined> {
      const answer = await request(`${base(url)}/checkpoints/${encodeURIComponent(origin)}`, {});
      if (answer.status === 404 && errorType(answer.text) === 'Witness.NotWitnessed') return undefined;
      if (answer.status !== 200) throw refusal(answer.status, answer.text);
      const pair = parseCosigned(answer.text);
      try {
        return { pair, checkpoint: await checkCosigned(pair, origin), cosigned: true };
      } catch {
        const checkpoint = await verifyCheckpoint(pair.checkpoint, {
          certificate: checkpointCertificates(pair.checkpoint)[0]!,
        });
        if (checkpoint.origin !== origin) {
          throw new EinmalError('Audit.InvalidCheckpoint', {
            message: 'The witness answered with a checkpoint of another log',
          });
        }
        return { pair, checkpoint, cosigned: false };
      }
    },
  };
}

export type WitnessClient = ReturnType<typeof createWitnessClient>;

function parseCosigned(text: string): CosignedCheckpoint {
  const parsed = cosignedCheckpointSchema.safeParse(parseJson(text));
  if (!parsed.success) {
    throw new EinmalError('Audit.InvalidCheckpoint', {
      message: 'The witness answered with something other than a cosigned checkpoint',
    });
  }
  return parsed.data;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

function errorType(text: string): string | undefined {
  const body = errorTypeSchema.safeParse(parseJson(text));
  return body.success ? body.data.type : undefined;
}

function refusal(status: number, text: string): WitnessRefusal {
  return new WitnessRefusal(errorType(text) ?? `HTTP ${status}`, status);
}
