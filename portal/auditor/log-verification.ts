import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import {
  BUNDLE_FILES,
  createWitnessReader,
  describeFailure,
  extractBundleArchive,
  type TrustedCheckpoint,
  verifyBundles,
} from '../../audit/bundle/index.ts';
import { isEinmalError, type Logger } from '../../core/index.ts';
import { type CosignedCheckpoint, logOrigin } from '../../protocol/index.ts';
import type { FederationView, PortalGateway } from '../federation/federation-view.ts';
import type { GatewayClient } from '../federation/gateway-client.ts';
import { randomToken } from '../session/session-store.ts';

/** The steps of a log verification, in order. */
export type VerificationPhase = 'queued' | 'witness' | 'download' | 'verify' | 'done';

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
    /** The size of the witness's checkpoint the log was verified against. */
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
 * "Verify this gateway's log" (docs/protocol.md §12): for one log tree, (1) the witness's latest cosigned
 * checkpoint of it, asked before the download so that the bundle reaches it; (2) the gateway's
 * export bundle, downloaded with the auditor's own token; (3) the offline verifier over the bundle
 * with the witness's checkpoint as the trusted checkpoint, exactly as
 * `einmal audit verify --witness` does: records, signatures, chains, checkpoints and consistency
 * between them by the trust rules against the anchor, and the bundle must reach the witness's
 * checkpoint and reproduce its root, so the log the gateway hands out is the log the witness saw
 * grow, not a rewritten, truncated or rolled-back one. Runs in the background, at most two at a
 * time, with progress.
 *
 * @example
 * const job = verifications.start({ owner, token, view, gateway, tree });
 * verifications.get(job.id, owner)?.phase; // 'download'
 */
export function createLogVerifications(deps: {
  readonly client: GatewayClient;
  readonly log: Logger;
  /** How long the witness may take to answer. */
  readonly witnessTimeoutMs?: number;
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

  /** The witness's latest cosigned checkpoint of the job's log, as the trusted checkpoint. */
  async function witnessed(job: LogVerification, view: FederationView): Promise<TrustedCheckpoint> {
    job.phase = 'witness';
    const url = view.directory.witness?.url;
    if (!url) throw new Refusal('the directory names no witness');
    const witness = createWitnessReader({
      url,
      anchorPem: view.anchorPem,
      ...(deps.witnessTimeoutMs ? { timeoutMs: deps.witnessTimeoutMs } : {}),
    });
    let latest: CosignedCheckpoint | undefined;
    try {
      latest = await witness.latest(logOrigin(job.gateway.id, job.tree));
    } catch (error) {
      throw new Refusal(
        `${witness.source} cannot be asked for its latest checkpoint: ${(error as Error).message}`,
      );
    }
    if (!latest) throw new Refusal('the witness has not cosigned a checkpoint of this log yet');
    return { ...latest, source: witness.source };
  }

  async function run(job: LogVerification, token: string, view: FederationView): Promise<void> {
    const dir = await mkdtemp(join(tmpdir(), 'einmal-verify-'));
    try {
      const trusted = await witnessed(job, view);

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
        trustedCheckpoints: [trusted],
        progressEvery: 1000,
        onProgress: (progress) => {
          job.records = { done: progress.records, total: progress.total };
        },
      });
      job.records = { done: job.records.total, total: job.records.total };
      const problems = report.failures.map(describeFailure);
      if (report.failureCount > report.failures.length) {
        problems.push(`... and ${report.failureCount - report.failures.length} more`);
      }
      const summary = report.bundles[0];
      job.result = {
        ok: report.ok,
        records: summary?.records ?? 0,
        witnessedSize: summary?.trusted[0]?.size ?? null,
        problems,
      };
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
