import { readFile } from 'node:fs/promises';
import { request } from 'node:https';
import { basename } from 'node:path';
import { z } from 'zod';
import { EinmalError } from '../core/index.ts';
import type { CosignedCheckpoint, TrustedCheckpoint } from './checkpoint-checks.ts';

const compactJws = z
  .string()
  .min(1)
  .max(64 * 1024);

/** What the witness serves for one checkpoint; other members (a history entry's `size`) are ignored. */
const cosignedCheckpointSchema = z.object({ checkpoint: compactJws, cosignature: compactJws });

/** Longest witness answer read: a checkpoint and a cosignature with their chains. */
const MAX_ANSWER_BYTES = 256 * 1024;

/**
 * Reads a trusted checkpoint from a file: the JSON the witness serves,
 * `{"checkpoint": JWS, "cosignature": JWS}`. Its signatures are checked by the verifier like every
 * other checkpoint's; the file only says which checkpoint the auditor holds to be recent.
 * Refuses with `Config.FileMissing` or `Audit.InvalidCheckpoint`.
 *
 * @example
 * const trusted = await readTrustedCheckpointFile('latest.json');
 */
export async function readTrustedCheckpointFile(path: string): Promise<TrustedCheckpoint> {
  let text: string;
  try {
    text = await readFile(path, 'utf8');
  } catch (cause) {
    throw new EinmalError('Config.FileMissing', {
      message: `The trusted checkpoint '${path}' cannot be read`,
      cause,
    });
  }
  const parsed = parseCosigned(text);
  if (!parsed) {
    throw new EinmalError('Audit.InvalidCheckpoint', {
      message: `The trusted checkpoint '${path}' is not the witness's JSON {"checkpoint": JWS, "cosignature": JWS}`,
    });
  }
  return { ...parsed, source: `file ${basename(path)}` };
}

/**
 * Asks a witness for the latest checkpoint it cosigned for a log, over HTTPS with only `anchorPem`
 * trusted for the server's certificate chain. `undefined` when the witness has witnessed none
 * (`Witness.NotWitnessed`); any other answer or a network failure throws an `Error` naming it.
 *
 * @example
 * const witness = createWitnessReader({ url: 'https://registry.example:4400/witness', anchorPem });
 * const latest = await witness.latest('DEMO/GOV/munich/gw1');
 */
export function createWitnessReader(options: { url: string; anchorPem: string; timeoutMs?: number }): {
  readonly source: string;
  latest(origin: string): Promise<CosignedCheckpoint | undefined>;
} {
  const base = new URL(options.url);
  if (base.protocol !== 'https:') {
    throw new EinmalError('Cli.Usage', { message: `The witness URL must be https: '${options.url}'` });
  }
  const root = base.href.replace(/\/+$/, '');
  return {
    source: `the witness at ${root}`,
    async latest(origin) {
      const { status, body } = await get(`${root}/checkpoints/${encodeURIComponent(origin)}`, options);
      if (status === 404 && errorType(body) === 'Witness.NotWitnessed') return undefined;
      if (status !== 200)
        throw new Error(`it answered HTTP ${status}${errorType(body) ? ` ${errorType(body)}` : ''}`);
      const parsed = parseCosigned(body);
      if (!parsed) throw new Error('it answered something other than a cosigned checkpoint');
      return parsed;
    },
  };
}

function parseCosigned(text: string): CosignedCheckpoint | undefined {
  try {
    const parsed = cosignedCheckpointSchema.safeParse(JSON.parse(text));
    return parsed.success
      ? { checkpoint: parsed.data.checkpoint, cosignature: parsed.data.cosignature }
      : undefined;
  } catch {
    return undefined;
  }
}

function errorType(body: string): string | undefined {
  try {
    const type = (JSON.parse(body) as { type?: unknown }).type;
    return typeof type === 'string' ? type : undefined;
  } catch {
    return undefined;
  }
}

function get(
  url: string,
  options: { anchorPem: string; timeoutMs?: number },
): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: 'GET',
        ca: options.anchorPem,
        headers: { accept: 'application/json' },
        timeout: options.timeoutMs ?? 10_000,
      },
      (res) => {
        const chunks: Buffer[] = [];
        let size = 0;
        res.on('data', (chunk: Buffer) => {
          size += chunk.length;
          if (size > MAX_ANSWER_BYTES) req.destroy(new Error('its answer is too large'));
          else chunks.push(chunk);
        });
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }),
        );
        res.on('error', reject);
      },
    );
    req.on('timeout', () => req.destroy(new Error('it did not answer in time')));
    req.on('error', reject);
    req.end();
  });
}
