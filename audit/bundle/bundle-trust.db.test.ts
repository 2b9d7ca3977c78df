import { KeyObject, randomUUID } from 'node:crypto';
import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCertificateDer, toPem } from '../../certs/index.ts';
import { commandGroups } from '../../cli/groups.ts';
import { runCli } from '../../cli/run.ts';
import {
  canonicalJson,
  cosignCheckpoint,
  createCheckpoint,
  digestEnvelope,
  hashToBase64,
  sha256Base64Url,
  signCheckpoint,
  signRequestClaims,
  signResponse,
} from '../../protocol/index.ts';
import type { AuditRecord } from '../../schemas/index.ts';
import {
  type BundleFixture,
  type ChainedKey,
  CONSUMER_TREE,
  createBundleFixture,
  EXCHANGES,
  PROVIDER_TREE,
} from '../../tests/support/audit-bundle.ts';
import { consistencyProof, leafHash, rootHash } from '../index.ts';
import { exportBundle } from './bundle-export.ts';
import { BUNDLE_FILES, type BundleCheckpoint } from './bundle-format.ts';
import { type BundleFailure, verifyBundles } from './bundle-verify.ts';
import type { TrustedCheckpoint } from './checkpoint-checks.ts';

const MUNICH_SIGNING = 'CN=DEMO/GOV/munich, O=DEMO/GOV/munich';

describe('offline verification trusts only the log owner, the witness and the anchor', () => {
  let fixture: BundleFixture;
  let anchorPem: string;
  let honest: string;

  beforeAll(async () => {
    fixture = await createBundleFixture();
    ({ anchorPem, consumerBundle: honest } = fixture);
  });
  afterAll(async () => {
    await fixture?.close();
  });

  const read = async (dir: string, file: string) => readFile(join(dir, file), 'utf8');
  const checkpointsOf = async (dir: string): Promise<BundleCheckpoint[]> =>
    JSON.parse(await read(dir, BUNDLE_FILES.checkpoints));
  const canonicalsOf = async (dir: string): Promise<string[]> =>
    (await read(dir, BUNDLE_FILES.records))
      .trimEnd()
      .split('\n')
      .map((line) => JSON.parse(line).canonical);

  /** The witness's JSON for the honest bundle's checkpoint of `size`, as a trusted checkpoint. */
  const trustedAt = async (size: number, source = 'file latest.json'): Promise<TrustedCheckpoint> => {
    const checkpoint = (await checkpointsOf(honest)).find((c) => c.size === size)!;
    return { checkpoint: checkpoint.jws, cosignature: checkpoint.cosignature!, source };
  };

  const copy = async (from: string) => {
    const dir = await mkdtemp(join(fixture.work, 'forged-'));
    await cp(from, dir, { recursive: true });
    return dir;
  };

  /**
   * What an operator with full control of its gateway can make of its log: records edited (leaves
   * recomputed), checkpoints at `sizes` re-signed with `signer` over the new roots, with proofs
   * between them, and cosigned with `cosigner`; the manifest and certificates to match.
   */
  async function forge(options: {
    records?: (canonicals: string[]) => string[];
    sizes?: (count: number) => number[];
    signer: ChainedKey;
    cosigner: ChainedKey | null;
    origin?: string;
  }): Promise<string> {
    const dir = await copy(honest);
    const canonicals = (options.records ?? ((c) => c))(await canonicalsOf(honest));
    const leaves = canonicals.map((c) => leafHash(Buffer.from(c)));
    await writeFile(
      join(dir, BUNDLE_FILES.records),
      canonicals
        .map(
          (canonical, index) =>
            `${JSON.stringify({ index, canonical, leaf: hashToBase64(leaves[index]!) })}\n`,
        )
        .join(''),
    );
    const sizes = (options.sizes ?? ((n) => [8, 16, 24].filter((s) => s <= n)))(leaves.length);
    const checkpoints: BundleCheckpoint[] = [];
    let previous = 0;
    for (const size of sizes) {
      const checkpoint = createCheckpoint({
        origin: options.origin ?? CONSUMER_TREE,
        size,
        root: rootHash(leaves.slice(0, size)),
        now: new Date(),
      });
      const sign = (key: ChainedKey) => ({
        checkpoint,
        privateKey: key.credential.keys.privateKey,
        certificateChain: key.chain,
      });
      checkpoints.push({
        size,
        root: checkpoint.root,
        time: checkpoint.time,
        jws: await signCheckpoint(sign(options.signer)),
        cosignature: options.cosigner ? await cosignCheckpoint(sign(options.cosigner)) : null,
        consistency: consistencyProof(leaves.slice(0, size), previous, size).map(hashToBase64),
      });
      previous = size;
    }
    await writeFile(join(dir, BUNDLE_FILES.checkpoints), JSON.stringify(checkpoints));
    const manifest = JSON.parse(await read(dir, BUNDLE_FILES.manifest));
    await writeFile(
      join(dir, BUNDLE_FILES.manifest),
      JSON.stringify({ ...manifest, records: leaves.length, treeSize: leaves.length }),
    );
    const keysPem = [options.signer, ...(options.cosigner ? [options.cosigner] : [])]
      .map((key) => toPem(parseCertificateDer(Buffer.from(key.chain[0]!, 'base64'))))
      .join('');
    await writeFile(
      join(dir, BUNDLE_FILES.certificates),
      `${await read(dir, BUNDLE_FILES.certificates)}${keysPem}`,
    );
    return dir;
  }

  const verify = (dir: string, trusted: TrustedCheckpoint[] = [], allowUnwitnessed = false) =>
    verifyBundles({ bundles: [dir], anchorPem, trustedCheckpoints: trusted, allowUnwitnessed });

  const failuresOf = async (dir: string, trusted: TrustedCheckpoint[] = []): Promise<BundleFailure[]> => {
    const report = await verify(dir, trusted);
    expect(report.ok).toBe(false);
    return report.failures;
  };

  async function cli(...argv: string[]) {
    const out: string[] = [];
    const err: string[] = [];
    const code = await runCli(['audit', ...argv], commandGroups, {
      out: (l) => out.push(l),
      err: (l) => err.push(l),
    });
    return { code, out, err };
  }

  it('verifies the honest bundle, alone and against its latest witnessed checkpoint', async () => {
    const report = await verify(honest, [await trustedAt(24)]);
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    expect(report.bundles[0]).toMatchObject({
      origin: CONSUMER_TREE,
      records: EXCHANGES,
      witnessed: 3,
      trusted: [{ size: 24, source: 'file latest.json' }],
      unwitnessedFrom: null,
    });

    const anchor = join(fixture.work, 'root.pem');
    const latest = join(fixture.work, 'latest.json');
    await writeFile(anchor, anchorPem);
    const trusted = await trustedAt(24);
    await writeFile(
      latest,
      JSON.stringify({ checkpoint: trusted.checkpoint, cosignature: trusted.cosignature }),
    );
    const { code, out } = await cli('verify', honest, '--anchor', anchor, '--trusted-checkpoint', latest);
    expect(code).toBe(0);
    expect(out[0]).toBe(
      `munich: log ${CONSUMER_TREE}, 24 records, 3 checkpoints (3 witnessed), 48 exchange signatures; trusted checkpoint size 24 (file latest.json)`,
    );
    expect(out.at(-1)).toMatch(/^OK: verified 24 records/);
  });

  it('refuses a deleted record with roots, proofs and checkpoints recomputed and cosignatures forged with the owner’s key', async () => {
    const dir = await forge({
      records: (canonicals) => canonicals.filter((_, i) => i !== 5),
      signer: fixture.keys.munich,
      cosigner: fixture.keys.munich,
    });
    const failures = await failuresOf(dir);
    // Every record, root and proof is consistent: only the trust rules catch it.
    expect(failures.filter((f) => f.check === 'record')).toEqual([]);
    expect(failures.filter((f) => f.check === 'checkpoint')).toEqual(
      [8, 16].map((size) => ({
        bundle: expect.any(String),
        check: 'checkpoint',
        size,
        message: `witness cosignature: the signer's certificate (${MUNICH_SIGNING}) was not issued for witness (Pki.WrongUsage); only the registry's witness certificate counts`,
      })),
    );
    expect(failures).toContainEqual(
      expect.objectContaining({
        check: 'bundle',
        message: expect.stringMatching(
          /^records 0\.\.22 are past the last witnessed checkpoint \(there is none\)/,
        ),
      }),
    );
    // Given the witness's latest checkpoint, the missing record shows at once.
    expect(await failuresOf(dir, [await trustedAt(24)])).toContainEqual({
      bundle: expect.any(String),
      check: 'trusted',
      size: 24,
      message: expect.stringMatching(
        /^the bundle ends after 23 records, before the trusted checkpoint's size 24/,
      ),
    });
    // Nor does the registry's directory-signing key pass as the witness.
    const byDirectory = await forge({
      records: (canonicals) => canonicals.filter((_, i) => i !== 5),
      signer: fixture.keys.munich,
      cosigner: fixture.keys.directory,
    });
    expect(await failuresOf(byDirectory)).toContainEqual(
      expect.objectContaining({
        check: 'checkpoint',
        size: 8,
        message: expect.stringContaining('was not issued for witness (Pki.WrongUsage)'),
      }),
    );
  });

  it('refuses checkpoints signed by another member, even when the witness cosigned them', async () => {
    const dir = await forge({ signer: fixture.keys.residents, cosigner: fixture.keys.witness });
    const failures = await failuresOf(dir);
    expect(failures.filter((f) => f.check === 'checkpoint')).toEqual(
      [8, 16, 24].map((size) => ({
        bundle: expect.any(String),
        check: 'checkpoint',
        size,
        message: `checkpoint signature: signed by member DEMO/GOV/residents-office; only a signing certificate of DEMO/GOV/munich, the member of gateway ${CONSUMER_TREE}, counts`,
      })),
    );
  });

  it('refuses checkpoints of another log, and a signer with no signing certificate', async () => {
    const other = await forge({
      signer: fixture.keys.residents,
      cosigner: fixture.keys.witness,
      origin: PROVIDER_TREE,
    });
    expect(await failuresOf(other)).toContainEqual(
      expect.objectContaining({
        check: 'checkpoint',
        size: 8,
        message: `signed for log '${PROVIDER_TREE}', not this bundle's log '${CONSUMER_TREE}'`,
      }),
    );
    const byWitness = await forge({ signer: fixture.keys.witness, cosigner: fixture.keys.witness });
    expect(await failuresOf(byWitness)).toContainEqual(
      expect.objectContaining({
        check: 'checkpoint',
        size: 8,
        message: expect.stringContaining('was not issued for signing (Pki.WrongUsage)'),
      }),
    );
  });

  it('refuses exchanges logged with an envelope the wrong member signed, or other than signed, although witnessed', async () => {
    // What the log's owner can write before its checkpoint is cosigned: the witness sees only roots.
    const record = JSON.parse((await canonicalsOf(honest))[0]!) as AuditRecord;
    const claims = JSON.parse(Buffer.from(record.requestSignature!.split('.')[1]!, 'base64url').toString());
    const signer = (key: ChainedKey, member: string) => ({
      member,
      privateKey: KeyObject.from(key.credential.keys.privateKey),
      x5c: key.chain,
    });
    const munich = signer(fixture.keys.munich, 'DEMO/GOV/munich');
    const residents = signer(fixture.keys.residents, 'DEMO/GOV/residents-office');
    const exchange = (
      requestSigner: typeof munich,
      responseSigner: typeof munich,
      edit: (r: AuditRecord) => AuditRecord = (r) => r,
    ) => {
      const id = randomUUID();
      const requestJws = signRequestClaims({ ...claims, id }, requestSigner);
      const response = signResponse(
        {
          id,
          request: digestEnvelope(requestJws),
          status: 200,
          body: Buffer.from('{}'),
          now: Date.parse(record.logTime),
        },
        responseSigner,
      );
      return canonicalJson(
        edit({
          ...record,
          messageId: id,
          requestSignature: requestJws,
          requestDigest: sha256Base64Url(requestJws),
          responseSignature: response.jws,
          responseDigest: sha256Base64Url(response.jws),
        }),
      );
    };
    const fabricated = [
      // an answer the consumer's operator signed itself, for an exchange that never took place
      exchange(munich, munich),
      // a request the provider's operator signed itself in the client's name
      exchange(residents, residents),
      // a real exchange logged under another citizen, for another purpose, hidden
      exchange(munich, residents, (r) => ({ ...r, subject: 'DE99999' })),
      exchange(munich, residents, (r) => ({
        ...r,
        purpose: 'traffic-offence',
        hiddenUntil: '2030-01-01T00:00:00.000Z',
      })),
      // a successful exchange kept without its envelopes, or with another status than answered
      exchange(munich, residents, (r) => ({
        ...r,
        requestSignature: null,
        requestDigest: null,
        responseSignature: null,
        responseDigest: null,
      })),
      exchange(munich, residents, (r) => ({ ...r, status: 204 })),
    ];
    const dir = await forge({
      records: (canonicals) => [...canonicals, ...fabricated],
      sizes: (n) => [8, 16, 24, n],
      signer: fixture.keys.munich,
      cosigner: fixture.keys.witness,
    });
    const failures = await failuresOf(dir);
    expect(failures.map((f) => [f.check, f.index, f.field, f.message])).toEqual([
      [
        'record',
        24,
        'responseSignature',
        "signed by member DEMO/GOV/munich, not by the service's member DEMO/GOV/residents-office",
      ],
      [
        'record',
        25,
        'requestSignature',
        "signed by member DEMO/GOV/residents-office, not by the client's member DEMO/GOV/munich",
      ],
      ['record', 26, 'subject', "differs from the signed request's 'subject'"],
      ['record', 27, 'purpose', "differs from the signed request's 'purpose'"],
      ['record', 27, 'hiddenUntil', "differs from the signed request's 'hiddenUntil'"],
      ['record', 28, 'requestSignature', 'a successful exchange without its signed request'],
      ['record', 28, 'responseSignature', 'a successful exchange without its signed response'],
      ['record', 29, 'status', "differs from the signed response's 'status'"],
    ]);
  });

  it('refuses records appended after the last checkpoint, unless allowed as unverified', async () => {
    const dir = await copy(honest);
    const canonicals = await canonicalsOf(honest);
    // Copies of signed exchanges at another time (no signature covers the log time).
    const extra = [3, 4].map((i) =>
      canonicals[i]!.replace(/"logTime":"[^"]+"/, `"logTime":"${new Date().toISOString()}"`),
    );
    await writeFile(
      join(dir, BUNDLE_FILES.records),
      `${await read(dir, BUNDLE_FILES.records)}${extra
        .map((canonical, i) =>
          JSON.stringify({
            index: EXCHANGES + i,
            canonical,
            leaf: hashToBase64(leafHash(Buffer.from(canonical))),
          }),
        )
        .join('\n')}\n`,
    );
    const manifest = JSON.parse(await read(dir, BUNDLE_FILES.manifest));
    await writeFile(
      join(dir, BUNDLE_FILES.manifest),
      JSON.stringify({ ...manifest, records: EXCHANGES + 2 }),
    );
    expect(await failuresOf(dir)).toEqual([
      {
        bundle: expect.any(String),
        check: 'bundle',
        message:
          'records 24..25 are past the last witnessed checkpoint (size 24): nothing shows they are the records the log held; export up to the last witnessed checkpoint, give a newer trusted checkpoint, or allow them as unverified',
      },
    ]);

    const allowed = await verify(dir, [], true);
    expect(allowed.ok).toBe(true);
    expect(allowed.bundles[0]!.unwitnessedFrom).toBe(24);
    await writeFile(join(fixture.work, 'root.pem'), anchorPem);
    const { code, out } = await cli(
      'verify',
      dir,
      '--anchor',
      join(fixture.work, 'root.pem'),
      '--allow-unwitnessed',
    );
    expect(code).toBe(0);
    expect(out).toContain(
      `UNVERIFIED ${dir.split('/').at(-1)}: records 24..25 are past the last witnessed checkpoint; accepted because of --allow-unwitnessed, but nothing shows they were not changed`,
    );
    expect(out.at(-1)).toMatch(
      /^OK: verified 26 records .*; 2 of them UNVERIFIED \(past the last witnessed checkpoint\); 1 of the logs NOT CHECKED against a trusted recent checkpoint$/,
    );
  });

  it('refuses a dropped last checkpoint with the uncovered tail edited', async () => {
    const dir = await copy(honest);
    await writeFile(
      join(dir, BUNDLE_FILES.checkpoints),
      JSON.stringify((await checkpointsOf(honest)).filter((c) => c.size !== 24)),
    );
    const lines = (await read(dir, BUNDLE_FILES.records)).trimEnd().split('\n');
    const edited = JSON.parse(lines[20]!);
    edited.canonical = edited.canonical.replace('clerk-7', 'clerk-9');
    edited.leaf = hashToBase64(leafHash(Buffer.from(edited.canonical)));
    lines[20] = JSON.stringify(edited);
    await writeFile(join(dir, BUNDLE_FILES.records), `${lines.join('\n')}\n`);

    const edit = expect.objectContaining({
      check: 'record',
      index: 20,
      field: 'userId',
      message: "differs from the signed request's 'userId'",
    });
    expect(await failuresOf(dir)).toEqual([
      edit,
      expect.objectContaining({
        check: 'bundle',
        message: expect.stringMatching(
          /^records 16\.\.23 are past the last witnessed checkpoint \(size 16\)/,
        ),
      }),
    ]);
    expect(await failuresOf(dir, [await trustedAt(24)])).toEqual([
      edit,
      {
        bundle: expect.any(String),
        check: 'trusted',
        size: 24,
        message: expect.stringMatching(
          /^the records 0\.\.23 have root \S+, not the trusted checkpoint's root \(a record was changed/,
        ),
      },
    ]);
  });

  it('refuses a rollback to an earlier checkpoint given a trusted newer one', async () => {
    const dir = join(fixture.work, 'rolled-back');
    await exportBundle({ db: fixture.db, tree: CONSUMER_TREE, out: dir, upTo: 16 });
    // On its own, a bundle cut at an earlier witnessed checkpoint looks honest ...
    const alone = await verify(dir);
    expect(alone.ok).toBe(true);
    expect(alone.bundles[0]).toMatchObject({ records: 16, checkpoints: 2, trusted: [] });
    // ... and the command line says what was not checked.
    await writeFile(join(fixture.work, 'root.pem'), anchorPem);
    const { code, out } = await cli('verify', dir, '--anchor', join(fixture.work, 'root.pem'));
    expect(code).toBe(0);
    expect(out).toContain(
      'NOT CHECKED rolled-back: no trusted recent checkpoint (--witness or --trusted-checkpoint), so nothing shows the log did not go on past its last checkpoint (a rollback or a cut would verify too)',
    );
    expect(out.at(-1)).toMatch(
      /^OK: verified 16 records .*; 1 of the logs NOT CHECKED against a trusted recent checkpoint$/,
    );
    // ... but not against the witness's newer checkpoint.
    expect(await failuresOf(dir, [await trustedAt(24)])).toEqual([
      {
        bundle: 'rolled-back',
        check: 'trusted',
        size: 24,
        message:
          "the bundle ends after 16 records, before the trusted checkpoint's size 24: records were removed at the end, or the bundle was cut at an earlier checkpoint (a rollback, or an export older than the trusted checkpoint)",
      },
    ]);
  });

  it('refuses a trusted checkpoint whose cosignature is not the witness’s, or of a log no bundle holds', async () => {
    const trusted = await trustedAt(24);
    const claim = JSON.parse(Buffer.from(trusted.checkpoint.split('.')[1]!, 'base64url').toString());
    const forgedCosignature = await cosignCheckpoint({
      checkpoint: claim,
      privateKey: fixture.keys.munich.credential.keys.privateKey,
      certificateChain: fixture.keys.munich.chain,
    });
    expect(await failuresOf(honest, [{ ...trusted, cosignature: forgedCosignature }])).toEqual([
      {
        bundle: 'munich',
        check: 'trusted',
        size: 24,
        message: `witness cosignature: the signer's certificate (${MUNICH_SIGNING}) was not issued for witness (Pki.WrongUsage); only the registry's witness certificate counts (from file latest.json)`,
      },
    ]);
    const provider = (await checkpointsOf(fixture.providerBundle)).at(-1)!;
    const report = await verify(honest, [
      { checkpoint: provider.jws, cosignature: provider.cosignature!, source: 'file provider.json' },
    ]);
    expect(report.failures).toEqual([
      {
        bundle: 'file provider.json',
        check: 'trusted',
        size: 0,
        message: `it is a checkpoint of log '${PROVIDER_TREE}', and no bundle holds that log`,
      },
    ]);
  });

  it('names an unreadable trusted checkpoint and an unreachable witness, and reports no success', async () => {
    const anchor = join(fixture.work, 'root.pem');
    await writeFile(anchor, anchorPem);
    const garbage = join(fixture.work, 'garbage.json');
    await writeFile(garbage, '{"checkpoint": 1}');
    for (const [file, expected] of [
      [garbage, "einmal: Audit.InvalidCheckpoint: The trusted checkpoint '"],
      [join(fixture.work, 'missing.json'), "einmal: Config.FileMissing: The trusted checkpoint '"],
    ] as const) {
      const { code, err } = await cli('verify', honest, '--anchor', anchor, '--trusted-checkpoint', file);
      expect(code).toBe(1);
      expect(err[0]).toContain(expected);
    }
    const plain = await cli('verify', honest, '--anchor', anchor, '--witness', 'http://127.0.0.1:9/witness');
    expect([plain.code, plain.err]).toEqual([
      2,
      ["einmal: Cli.Usage: The witness URL must be https: 'http://127.0.0.1:9/witness'"],
    ]);
    const down = await cli('verify', honest, '--anchor', anchor, '--witness', 'https://127.0.0.1:9/witness');
    expect(down.code).toBe(1);
    expect(down.out).toContainEqual(
      expect.stringMatching(
        new RegExp(
          `^FAIL munich: bundle: the witness at https://127\\.0\\.0\\.1:9/witness cannot be asked for the latest checkpoint of '${CONSUMER_TREE}': `,
        ),
      ),
    );
    expect(down.out.at(-1)).toMatch(/^FAILED: 1 failures$/);
  });

  it('reports nothing as verified without an anchor', async () => {
    const report = await verifyBundles({ bundles: [honest], anchorPem: undefined });
    expect(report.ok).toBe(false);
    expect(report.failures).toEqual([
      {
        bundle: 'munich',
        check: 'bundle',
        message: 'no trust anchor given: without the federation root certificate no signature can be trusted',
      },
    ]);
    const { code, out, err } = await cli('verify', honest);
    expect(code).toBe(2);
    expect(out.some((line) => line.startsWith('OK'))).toBe(false);
    expect(err).toEqual([
      expect.stringMatching(/^einmal: Cli\.Usage: --anchor is required: the federation root certificate/),
    ]);
  });

  it('exports up to the latest witnessed checkpoint by default, and the unwitnessed tail only when asked', async () => {
    await fixture.logExchanges(3);
    await fixture.signCheckpointFor(CONSUMER_TREE, { witnessed: false });
    await fixture.logExchanges(2);
    const cut = join(fixture.work, 'cut');
    const { manifest, storedSize } = await exportBundle({ db: fixture.db, tree: CONSUMER_TREE, out: cut });
    expect([manifest.records, manifest.treeSize, storedSize]).toEqual([24, 24, 29]);
    expect((await checkpointsOf(cut)).map((c) => c.size)).toEqual([8, 16, 24]);
    expect((await verify(cut, [await trustedAt(24)])).ok).toBe(true);

    const full = join(fixture.work, 'full');
    await exportBundle({ db: fixture.db, tree: CONSUMER_TREE, out: full, includeUnwitnessed: true });
    expect((await checkpointsOf(full)).map((c) => [c.size, c.cosignature !== null])).toEqual([
      [8, true],
      [16, true],
      [24, true],
      [27, false],
    ]);
    expect(await failuresOf(full)).toEqual([
      expect.objectContaining({ check: 'checkpoint', size: 27, message: 'no witness cosignature' }),
      expect.objectContaining({
        check: 'bundle',
        message: expect.stringMatching(/^records 24\.\.28 are past/),
      }),
    ]);
    const allowed = await verify(full, [], true);
    expect(allowed.ok).toBe(true);
    expect(allowed.bundles[0]).toMatchObject({ records: 29, unwitnessedFrom: 24 });
  });
});
