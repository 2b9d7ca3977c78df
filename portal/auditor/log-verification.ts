import { createReadStream } from 'node:fs';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import {
  BUNDLE_FILES,
  checkWitnessedCheckpoint,
  createTreeBuilder,
  describeFailure,
  extractBundleArchive,
  hashFromBase64,
  hashToBase64,
  leafHash,
  verifyBundles,
} from '../../audit/index.ts';
import { isEinmalError, type Logger } from '../../core/index.ts';
import type { FederationView, PortalGateway } from '../federation/federation-view.ts';
import type { GatewayClient } from '../federation/gateway-client.ts';
import { randomToken } from '../session/session-store.ts';
import { auditorLogsSchema, witnessCheckpointSchema } from './auditor-answers.ts';

/** The steps of a log verification, in order. */
export type VerificationPhase = 'queued' | 'witness' | 'download' | 'verify' | 'compare' | 'done';

/** A log verification as the auditor follows it. */
export interface LogVerification {
  readonly id: string;
  /** Who started it (issuer and subject of the login); only they see it. */
  readonly owner: string;
  readonly gateway: PortalGateway;
  readonly tree: string;
  phase: VerificationPhase;
  bytes: number;
  records: { done: number; total: number };
  result?: {
    readonly ok: boolean;
    readonly records: number;
    /** The size of the witness's checkpoint the log was compared with. */
    readonly witnessedSize: number | null;
    readonly problems: readonly string[];
  };
}

export interface LogVerifications {
  /** Starts verifying one log tree of a gateway for the auditor with this token. */
  start(input: {
    readonly owner: string;
    readonly token: string;
    readonly view: FederationView;
    readonly gateway: PortalGateway;
    readonly tree: string;
  }): LogVerification;
  /** A verification by id, if `owner` started it. */
  get(id: string, owner: string): LogVerification | undefined;
}

/** Largest export bundle downloaded for a verification. */
const MAX_BUNDLE_BYTES = 8 * 1024 ** 3;
const MAX_KEPT = 200;

/** What went wrong, in words an auditor can act on. */
class Refusal extends Error {}

/**
 * "Verify this gateway's log" (DESIGN.md §9): for one log tree, (1) the witness's latest cosigned
 * checkpoint of it, checked against the anchor; (2) the gateway's export bundle, downloaded with
 * the auditor's own token; (3) the offline verifier over the bundle (records, signatures, chains,
 * checkpoints, consistency between them); (4) the root of the bundle's first records at the
 * witness's size must be the root the witness cosigned, so the log the gateway hands out is the
 * log the witness saw grow, not a rewritten or truncated one. Runs in the background, at most two
 * at a time, with progress.
 *
 * @example
 * const job = verifications.start({ owner, token, view, gateway, tree });
 * verifications.get(job.id, owner)?.phase; // 'download'
 */
export function createLogVerifications(deps: {
  readonly client: GatewayClient;
  readonly log: Logger;
  readonly concurrency?: number;
}): LogVerifications {
  const jobs = new Map<string, LogVerification>();
  const concurrency = deps.concurrency ?? 2;
  let running = 0;
  const waiting: (() => void)[] = [];

  async function slot<T>(run: () => Promise<T>): Promise<T> {
    if (running >= concurrency) await new Promise<void>((resolve) => waiting.push(resolve));
    running += 1;
    try {
      return await run();
    } finally {
      running -= 1;
      waiting.shift()?.();
    }
  }

  async function witnessed(job: LogVerification, token: string, view: FederationView) {
    job.phase = 'witness';
    const logs = await deps.client.getJson(`${job.gateway.publicAddress}/audit/v1/logs`, token);
    const parsed = logs.ok ? auditorLogsSchema.safeParse(logs.body) : undefined;
    if (!parsed?.success) throw new Refusal('the gateway did not list its logs');
    const latest = parsed.data.logs.find((log) => log.tree === job.tree)?.checkpoint;
    if (!latest) throw new Refusal('the log has no witnessed checkpoint yet');
    const own = await checkWitnessedCheckpoint({
      ...latest,
      verifier: view.verifier,
      gateway: job.gateway.id,
    });
    const witnessUrl = view.directory.witness?.url;
    if (!witnessUrl) throw new Refusal('the directory names no witness');
    const origin = encodeURIComponent(own.checkpoint.origin);
    const answer = await deps.client.getJson(`${witnessUrl.replace(/\/+$/, '')}/checkpoints/${origin}`, null);
    const held = answer.ok ? witnessCheckpointSchema.safeParse(answer.body) : undefined;
    if (!held?.success) throw new Refusal('the witness did not answer with a checkpoint of this log');
    const checked = await checkWitnessedCheckpoint({
      jws: held.data.checkpoint,
      cosignature: held.data.cosignature,
      verifier: view.verifier,
      gateway: job.gateway.id,
    });
    if (checked.checkpoint.origin !== own.checkpoint.origin)
      throw new Refusal('the witness answered for another log');
    return checked.checkpoint;
  }

  async function run(job: LogVerification, token: string, view: FederationView): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'einmal-verify-'));
    try {
      const witness = await witnessed(job, token, view);

      job.phase = 'download';
      const query = new URLSearchParams({ tree: job.tree });
      const download = await deps.client.download(
        `${job.gateway.publicAddress}/audit/v1/bundle?${query}`,
        token,
      );
      if (!download.ok) throw new Refusal('the gateway did not hand out its export bundle');
      await extractBundleArchive(download.body.body, dir, {
        maxBytes: MAX_BUNDLE_BYTES,
        onProgress: (bytes) => {
          job.bytes = bytes;
        },
      });

      job.phase = 'verify';
      const manifest = JSON.parse(await readFile(join(dir, BUNDLE_FILES.manifest), 'utf8')) as {
        tree?: unknown;
        records?: unknown;
      };
      if (manifest.tree !== job.tree) throw new Refusal('the bundle is of another log');
      job.records = { done: 0, total: typeof manifest.records === 'number' ? manifest.records : 0 };
      const report = await verifyBundles({
        bundles: [dir],
        anchorPem: view.anchorPem,
        progressEvery: 1000,
        onProgress: (progress) => {
          job.records = { done: progress.records, total: progress.total };
        },
      });
      job.records = { done: job.records.total, total: job.records.total };

      job.phase = 'compare';
      const problems = report.failures.map(describeFailure);
      if (report.failureCount > report.failures.length) {
        problems.push(`... and ${report.failureCount - report.failures.length} more`);
      }
      const root = await rootOfFirst(join(dir, BUNDLE_FILES.records), witness.size);
      if (root === null) {
        problems.push(
          `the log holds fewer records than the ${witness.size} the witness has seen: it was truncated`,
        );
      } else if (root !== witness.root) {
        problems.push(
          `the log's first ${witness.size} records are not the ones the witness saw: it was rewritten`,
        );
      }
      const records = report.bundles.reduce((n, b) => n + b.records, 0);
      job.result = { ok: problems.length === 0, records, witnessedSize: witness.size, problems };
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  }

  return {
    start({ owner, token, view, gateway, tree }) {
      const job: LogVerification = {
        id: randomToken(),
        owner,
        gateway,
        tree,
        phase: 'queued',
        bytes: 0,
        records: { done: 0, total: 0 },
      };
      jobs.set(job.id, job);
      while (jobs.size > MAX_KEPT) jobs.delete(jobs.keys().next().value!);
      void slot(() => run(job, token, view))
        .catch((error: unknown) => {
          const problem =
            error instanceof Refusal || isEinmalError(error)
              ? error.message
              : 'the verification stopped unexpectedly';
          if (!(error instanceof Refusal) && !isEinmalError(error))
            deps.log.error({ err: error }, 'log verification failed');
          job.result = { ok: false, records: job.records.done, witnessedSize: null, problems: [problem] };
        })
        .finally(() => {
          job.phase = 'done';
          deps.log.info(
            { gateway: gateway.id, tree, ok: job.result?.ok ?? false },
            'log verification finished',
          );
        });
      return job;
    },
    get(id, owner) {
      const job = jobs.get(id);
      return job && job.owner === owner ? job : undefined;
    },
  };
}

/** The root (base64) of the first `size` leaves of a bundle's records file; `null` if it holds fewer. */
async function rootOfFirst(recordsFile: string, size: number): Promise<string | null> {
  const tree = createTreeBuilder();
  const lines = createInterface({
    input: createReadStream(recordsFile),
    crlfDelay: Number.POSITIVE_INFINITY,
  });
  try {
    for await (const line of lines) {
      if (tree.size >= size) break;
      const { leaf, canonical } = JSON.parse(line) as { leaf?: unknown; canonical?: unknown };
      if (typeof leaf === 'string') tree.append(hashFromBase64(leaf));
      else if (typeof canonical === 'string') tree.append(leafHash(new TextEncoder().encode(canonical)));
      else return null;
    }
  } finally {
    lines.close();
  }
  return tree.size === size ? hashToBase64(tree.root()) : null;
}
