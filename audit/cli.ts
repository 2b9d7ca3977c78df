import { readFile } from 'node:fs/promises';
import { z } from 'zod';
import type { CommandGroup, CommandInput } from '../cli/command.ts';
import {
  gatewayDatabaseOptions,
  requireGatewayDatabase,
  requireOption,
  requirePositional,
} from '../cli/command.ts';
import { EinmalError } from '../core/errors/index.ts';
import {
  createWitnessReader,
  describeFailure,
  exportBundle,
  readTrustedCheckpointFile,
  verifyBundles,
} from './bundle/index.ts';
import { verifyEvidenceCommand } from './evidence-command.ts';

const SCHEMA_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

async function readPem(path: string, what: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch {
    throw new EinmalError('Config.FileMissing', { message: `The ${what} '${path}' cannot be read` });
  }
}

async function runExport(input: CommandInput): Promise<number> {
  const schema = requireOption(input, 'schema');
  if (!SCHEMA_NAME.test(schema))
    throw new EinmalError('Cli.Usage', { message: `'${schema}' is not a schema name` });
  const tree = requireOption(input, 'tree');
  const out = requireOption(input, 'out');
  const location = requireGatewayDatabase(input);
  const caPath = input.options.ca as string | undefined;
  const caPem = caPath ? await readPem(caPath, 'CA certificate file') : undefined;
  // Loaded here, not at the top: `audit verify` works offline and needs no database driver.
  const { openDatabase } = await import('../core/database/index.ts');
  const database = await openDatabase(location);
  try {
    const started = performance.now();
    const includeUnwitnessed = input.options['include-unwitnessed'] === true;
    const { manifest, storedSize } = await exportBundle({
      db: database.db.withSchema(schema),
      tree,
      out,
      caPem,
      includeUnwitnessed,
      onProgress: (written) => {
        if (written % 1_000_000 === 0) process.stderr.write(`exported ${written} records\n`);
      },
    });
    const seconds = (performance.now() - started) / 1000;
    input.print(
      `exported ${manifest.records} records of tree '${tree}' (size ${manifest.treeSize}) to ${out} in ${seconds.toFixed(1)} s`,
    );
    if (!includeUnwitnessed && storedSize > manifest.treeSize) {
      input.print(
        `left out records ${manifest.treeSize}..${storedSize - 1}: past the latest witnessed checkpoint (--include-unwitnessed exports them; a verifier accepts them only as unverified)`,
      );
    }
    return 0;
  } finally {
    await database.close();
  }
}

async function runVerify(input: CommandInput): Promise<number> {
  const bundle = requirePositional(input, 0, 'BUNDLE');
  const peers = (input.options.peer as string[] | undefined) ?? [];
  const anchorPath = input.options.anchor as string | undefined;
  if (!anchorPath) {
    throw new EinmalError('Cli.Usage', {
      message:
        '--anchor is required: the federation root certificate every signature must chain to. Without it nothing in a bundle can be trusted, so no bundle is reported verified',
    });
  }
  const anchorPem = await readPem(anchorPath, 'anchor certificate file');
  const workersText = input.options.workers as string | undefined;
  const workers = z.coerce.number().int().min(0).max(256).optional().safeParse(workersText);
  if (!workers.success) {
    throw new EinmalError('Cli.Usage', { message: '--workers must be a whole number from 0 to 256' });
  }
  const trustedFiles = (input.options['trusted-checkpoint'] as string[] | undefined) ?? [];
  const trustedCheckpoints = await Promise.all(trustedFiles.map((path) => readTrustedCheckpointFile(path)));
  const witnessUrl = input.options.witness as string | undefined;
  const witness = witnessUrl ? createWitnessReader({ url: witnessUrl, anchorPem }) : undefined;
  const allowUnwitnessed = input.options['allow-unwitnessed'] === true;
  const report = await verifyBundles({
    bundles: [bundle, ...peers],
    anchorPem,
    trustedCheckpoints,
    ...(witness ? { witness } : {}),
    ...(workers.data !== undefined ? { workers: workers.data } : {}),
    allowUnwitnessed,
    onProgress: (p) => {
      const share = p.total > 0 ? ` (${((100 * p.records) / p.total).toFixed(0)}%)` : '';
      process.stderr.write(
        `${p.bundle}: ${p.records}/${p.total} records${share}, ${Math.round(p.recordsPerSecond)} records/s\n`,
      );
    },
  });
  let unverified = 0;
  let unanchored = 0;
  for (const b of report.bundles) {
    const trusted = b.trusted.map((t) => `; trusted checkpoint size ${t.size} (${t.source})`).join('');
    input.print(
      `${b.bundle}: log ${b.origin ?? b.tree ?? '?'}, ${b.records} records${b.pruned > 0 ? ` (${b.pruned} pruned past retention: leaf hashes only)` : ''}, ${b.checkpoints} checkpoints (${b.witnessed} witnessed), ${b.signatures} exchange signatures${trusted}`,
    );
    if (b.trusted.length === 0) {
      unanchored += 1;
      // A log cut back to an earlier witnessed checkpoint is consistent with itself: only a
      // checkpoint known to be recent shows it went on.
      input.print(
        `NOT CHECKED ${b.bundle}: no trusted recent checkpoint (--witness or --trusted-checkpoint), so nothing shows the log did not go on past its last checkpoint (a rollback or a cut would verify too)`,
      );
    }
    if (b.unwitnessedFrom !== null && allowUnwitnessed) {
      unverified += b.records - b.unwitnessedFrom;
      input.print(
        `UNVERIFIED ${b.bundle}: records ${b.unwitnessedFrom}..${b.records - 1} are past the last witnessed checkpoint; accepted because of --allow-unwitnessed, but nothing shows they were not changed`,
      );
    }
  }
  if (report.pairing) {
    input.print(
      `pairing: ${report.pairing.paired} exchanges paired, ${report.pairing.unpaired.length} consumer records unpaired`,
    );
  }
  for (const failure of report.failures) input.print(`FAIL ${describeFailure(failure)}`);
  if (report.failureCount > report.failures.length) {
    input.print(`... and ${report.failureCount - report.failures.length} more failures`);
  }
  const total = report.bundles.reduce((n, b) => n + b.records, 0);
  const rate = report.seconds > 0 ? Math.round(total / report.seconds) : total;
  const caveat = [
    ...(unverified > 0 ? [`; ${unverified} of them UNVERIFIED (past the last witnessed checkpoint)`] : []),
    ...(unanchored > 0
      ? [`; ${unanchored} of the logs NOT CHECKED against a trusted recent checkpoint`]
      : []),
  ].join('');
  input.print(
    report.ok
      ? `OK: verified ${total} records in ${report.seconds.toFixed(1)} s (${rate} records/s)${caveat}`
      : `FAILED: ${report.failureCount} failures`,
  );
  return report.ok ? 0 : 1;
}

/**
 * `einmal audit ...`: export a gateway node's log as a bundle, verify bundles offline, and verify
 * the portal's evidence files (docs/protocol.md §12.3).
 */
export const auditCommands: CommandGroup = {
  name: 'audit',
  summary: 'Export and verify tamper-evident audit log bundles',
  commands: [
    {
      name: 'export',
      summary: "Write a self-contained bundle of one gateway node's log (records, checkpoints, certificates)",
      options: {
        ...gatewayDatabaseOptions,
        schema: { type: 'string', description: "The gateway's schema, e.g. gw_munich", placeholder: 'NAME' },
        tree: { type: 'string', description: 'The log tree (gateway node id)', placeholder: 'ID' },
        out: {
          type: 'string',
          description: 'Bundle directory to create (must be empty)',
          placeholder: 'DIR',
        },
        ca: {
          type: 'string',
          description: 'PEM file of the federation CA chain to include',
          placeholder: 'PEM',
        },
        'include-unwitnessed': {
          type: 'boolean',
          description:
            'Also export records and checkpoints past the latest witnessed checkpoint (default: the bundle ends there)',
        },
      },
      run: runExport,
    },
    {
      name: 'verify',
      summary:
        'Verify bundles offline against the anchor: records, Merkle roots, owner and witness signatures, consistency, trusted checkpoints, pairing',
      args: 'BUNDLE',
      options: {
        peer: {
          type: 'string',
          multiple: true,
          description: "Another gateway's bundle, for consumer/provider pairing",
          placeholder: 'BUNDLE',
        },
        anchor: {
          type: 'string',
          description:
            'PEM file of the federation root certificate (required: every signature must chain to it)',
          placeholder: 'PEM',
        },
        'trusted-checkpoint': {
          type: 'string',
          multiple: true,
          description:
            "A checkpoint known to be recent: the witness's JSON {checkpoint, cosignature}; the bundle of its log must reach it",
          placeholder: 'FILE',
        },
        witness: {
          type: 'string',
          description:
            "The witness's URL (https://…/witness): its latest checkpoint of each bundle's log is trusted like --trusted-checkpoint",
          placeholder: 'URL',
        },
        'allow-unwitnessed': {
          type: 'boolean',
          description:
            'Accept checkpoints without a cosignature and records past the last witnessed checkpoint, reported as UNVERIFIED',
        },
        workers: {
          type: 'string',
          description:
            'Worker threads checking records, 0 for the main thread (default: one per 200,000 records, at most one per core)',
          placeholder: 'N',
        },
      },
      run: runVerify,
    },
    verifyEvidenceCommand,
  ],
};
