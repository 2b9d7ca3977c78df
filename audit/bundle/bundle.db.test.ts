import { cp, mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { Kysely } from 'kysely';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandGroups } from '../../cli/groups.ts';
import { runCli } from '../../cli/run.ts';
import { hashToBase64, signCheckpoint } from '../../protocol/index.ts';
import {
  type BundleFixture,
  CONSUMER_TREE,
  createBundleFixture,
  EXCHANGES,
} from '../../tests/support/audit-bundle.ts';
import { createTestPki } from '../../tests/support/directory-fixture.ts';
import { leafHash } from '../index.ts';
import { exportBundle } from './bundle-export.ts';
import { type BundleFailure, verifyBundles } from './bundle-verify.ts';

describe('audit bundles: export and offline verification', () => {
  let fixture: BundleFixture;
  let db: Kysely<any>;
  let work: string;
  let anchorPem: string;
  let consumerBundle: string;
  let providerBundle: string;

  beforeAll(async () => {
    fixture = await createBundleFixture();
    ({ db, work, anchorPem, consumerBundle, providerBundle } = fixture);
  });

  afterAll(async () => {
    await fixture?.close();
  });

  /** A copy of a bundle with `records.ndjson` lines changed by `edit`. */
  async function tamperedLines(from: string, edit: (lines: string[]) => string[]): Promise<string> {
    const dir = await mkdtemp(join(work, 'tampered-'));
    await cp(from, dir, { recursive: true });
    const path = join(dir, 'records.ndjson');
    const lines = (await readFile(path, 'utf8')).trimEnd().split('\n');
    await writeFile(path, `${edit(lines).join('\n')}\n`);
    return dir;
  }

  async function tamperedCheckpoints(from: string, edit: (checkpoints: any[]) => void): Promise<string> {
    const dir = await mkdtemp(join(work, 'tampered-'));
    await cp(from, dir, { recursive: true });
    const path = join(dir, 'checkpoints.json');
    const checkpoints = JSON.parse(await readFile(path, 'utf8'));
    edit(checkpoints);
    await writeFile(path, JSON.stringify(checkpoints));
    return dir;
  }

  const failuresOf = async (dir: string): Promise<BundleFailure[]> => {
    const report = await verifyBundles({ bundles: [dir], anchorPem });
    expect(report.ok).toBe(false);
    return report.failures;
  };

  it('verifies the untouched bundles, their signatures, checkpoints and pairing', async () => {
    const report = await verifyBundles({ bundles: [consumerBundle, providerBundle], anchorPem });
    expect(report.failures).toEqual([]);
    expect(report.ok).toBe(true);
    const [consumer, provider] = report.bundles;
    expect(consumer).toMatchObject({
      records: EXCHANGES,
      checkpoints: 3,
      witnessed: 3,
      signatures: 2 * EXCHANGES,
    });
    expect(provider).toMatchObject({ records: EXCHANGES + 3, checkpoints: 3, witnessed: 3 });
    expect(report.pairing).toEqual({ paired: EXCHANGES, unpaired: [] });
  });

  it('prints OK from the CLI and exits 0; FAILED and exit 1 for a tampered bundle', async () => {
    const anchorPath = join(work, 'root.pem');
    await writeFile(anchorPath, anchorPem);
    const out: string[] = [];
    const io = { out: (l: string) => out.push(l), err: () => {} };
    const ok = await runCli(
      ['audit', 'verify', consumerBundle, '--peer', providerBundle, '--anchor', anchorPath],
      commandGroups,
      io,
    );
    expect(ok).toBe(0);
    expect(out.at(-1)).toMatch(/^OK: verified 51 records/);
    const bad = await tamperedLines(consumerBundle, (lines) => lines.filter((_, i) => i !== 4));
    out.length = 0;
    expect(await runCli(['audit', 'verify', bad, '--anchor', anchorPath], commandGroups, io)).toBe(1);
    expect(out).toContain(
      `FAIL ${bad.split('/').at(-1)}: record 5 (line 5) index: record 4 is missing before this record (removed)`,
    );
    expect(out.at(-1)).toMatch(/^FAILED: /);
  });

  it('names a record changed by one byte', async () => {
    const dir = await tamperedLines(consumerBundle, (lines) =>
      lines.map((l, i) => (i === 9 ? l.replace('permit-9', 'permit-8') : l)),
    );
    const failures = await failuresOf(dir);
    expect(failures).toContainEqual(
      expect.objectContaining({ check: 'record', index: 9, field: 'canonical' }),
    );
    expect(failures.every((f) => f.index === 9)).toBe(true);
  });

  it('names a record whose text is valid but not canonical JSON', async () => {
    const dir = await tamperedLines(consumerBundle, (lines) =>
      lines.map((l, i) => {
        if (i !== 2) return l;
        const entry = JSON.parse(l);
        const canonical = entry.canonical.replace('"status":200', '"status":200.0');
        return JSON.stringify({ ...entry, canonical, leaf: hashToBase64(leafHash(Buffer.from(canonical))) });
      }),
    );
    const failures = await failuresOf(dir);
    expect(failures).toContainEqual(
      expect.objectContaining({ index: 2, field: 'canonical', message: 'not canonical JSON (RFC 8785)' }),
    );
  });

  it('names a removed, a reordered and an inserted record', async () => {
    const removed = await failuresOf(await tamperedLines(consumerBundle, (l) => l.filter((_, i) => i !== 3)));
    expect(removed[0]).toMatchObject({
      index: 4,
      field: 'index',
      message: expect.stringContaining('record 3 is missing'),
    });

    const swapped = await failuresOf(
      await tamperedLines(consumerBundle, (l) => [...l.slice(0, 10), l[11]!, l[10]!, ...l.slice(12)]),
    );
    expect(swapped.filter((f) => f.field === 'index').map((f) => f.index)).toEqual([11, 10]);
    expect(swapped).toContainEqual(expect.objectContaining({ check: 'checkpoint', size: 16 }));

    const inserted = await failuresOf(
      await tamperedLines(consumerBundle, (l) => [...l.slice(0, 6), l[2]!, ...l.slice(6)]),
    );
    expect(inserted[0]).toMatchObject({
      line: 7,
      index: 2,
      field: 'index',
      message: expect.stringContaining('inserted'),
    });
  });

  it('reports the same failures, in the same order, on worker threads as on the calling thread', async () => {
    const dir = await tamperedLines(consumerBundle, (l) => {
      const changed = [...l];
      const lowerCase = JSON.parse(changed[5]!);
      lowerCase.canonical = lowerCase.canonical.replace('"method":"GET"', '"method":"get"');
      changed[5] = JSON.stringify(lowerCase);
      // A removed, a repeated and a broken line, a CRLF line end and a signature cut short.
      const signature = JSON.parse(changed[8]!);
      signature.canonical = signature.canonical.replace(
        /"requestSignature":"([^"]*?)[A-Za-z0-9_-]{4}"/,
        '"requestSignature":"$1AAAA"',
      );
      changed[8] = JSON.stringify(signature);
      return [
        ...changed.slice(0, 3),
        ...changed.slice(4, 10),
        changed[2]!,
        'not json',
        `${changed[10]!}\r`,
        ...changed.slice(11),
      ];
    });
    const inProcess = await verifyBundles({ bundles: [dir, providerBundle], anchorPem, workers: 0 });
    const threaded = await verifyBundles({ bundles: [dir, providerBundle], anchorPem, workers: 2 });
    expect(inProcess.failures.length).toBeGreaterThan(5);
    expect(inProcess.failures).toContainEqual(expect.objectContaining({ index: 5, field: 'method' }));
    expect(inProcess.failures).toContainEqual(
      expect.objectContaining({ index: 8, field: 'requestSignature' }),
    );
    expect(inProcess.failures).toContainEqual(
      expect.objectContaining({ line: 11, message: expect.stringContaining('not a record line') }),
    );
    expect(threaded.failures).toEqual(inProcess.failures);
    expect(threaded.bundles).toEqual(inProcess.bundles);
    expect(threaded.pairing).toEqual(inProcess.pairing);
  });

  it('names a line of 40 MB as too long and reads on, holding no more than the line limit of it', async () => {
    const huge = 'x'.repeat(40 << 20);
    for (const end of ['\n', '\r']) {
      const dir = await tamperedLines(consumerBundle, (l) => [...l.slice(0, 4), huge, ...l.slice(4)]);
      const path = join(dir, 'records.ndjson');
      if (end === '\r') await writeFile(path, (await readFile(path, 'utf8')).replaceAll('\n', '\r'));
      const before = process.memoryUsage().arrayBuffers;
      const failures = await failuresOf(dir);
      expect(failures[0]).toMatchObject({ line: 5, message: 'the line is too long' });
      // The records after it are read and checked: only the count is off by the one extra line.
      expect(failures.filter((f) => f.check === 'record')).toHaveLength(1);
      expect(failures).toContainEqual(
        expect.objectContaining({
          message: `the manifest lists ${EXCHANGES} records, the bundle holds ${EXCHANGES + 1}`,
        }),
      );
      expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 << 20);
    }
  });

  it('detects a record rewritten together with its leaf hash through the signed roots', async () => {
    const dir = await tamperedLines(consumerBundle, (lines) =>
      lines.map((l, i) => {
        if (i !== 12) return l;
        const entry = JSON.parse(l);
        const canonical = entry.canonical.replace('clerk-7', 'clerk-9');
        return JSON.stringify({ ...entry, canonical, leaf: hashToBase64(leafHash(Buffer.from(canonical))) });
      }),
    );
    const failures = await failuresOf(dir);
    // The signed request names the official, so the record check sees it; the roots see any change.
    expect(failures.map((f) => [f.check, f.size ?? f.field])).toEqual([
      ['record', 'userId'],
      ['checkpoint', 16],
      ['checkpoint', 24],
    ]);
  });

  it('refuses a forged checkpoint root, a checkpoint signed outside the federation, and a stripped cosignature', async () => {
    const forgedRoot = await failuresOf(
      await tamperedCheckpoints(consumerBundle, (c) => {
        c[1].root = c[0].root;
      }),
    );
    expect(forgedRoot).toContainEqual(expect.objectContaining({ check: 'checkpoint', size: 16 }));

    const outsider = await createTestPki('OTHER');
    const rogue = await outsider.issue({
      profile: 'signing',
      subject: 'CN=rogue',
      member: 'DEMO/GOV/munich',
    });
    const original = JSON.parse(await readFile(join(consumerBundle, 'checkpoints.json'), 'utf8'));
    const rogueJws = await signCheckpoint({
      checkpoint: JSON.parse(Buffer.from(original[2].jws.split('.')[1], 'base64url').toString()),
      privateKey: rogue.keys.privateKey,
      certificateChain: [Buffer.from(rogue.certificate.rawData).toString('base64')],
    });
    const forged = await failuresOf(
      await tamperedCheckpoints(consumerBundle, (c) => {
        c[2].jws = rogueJws;
      }),
    );
    expect(forged).toEqual([
      expect.objectContaining({
        check: 'checkpoint',
        size: 24,
        message: expect.stringContaining('does not chain to the anchor (Pki.UntrustedChain)'),
      }),
      // Without that checkpoint, nothing witnessed covers the last eight records.
      expect.objectContaining({
        check: 'bundle',
        message: expect.stringMatching(
          /^records 16\.\.23 are past the last witnessed checkpoint \(size 16\)/,
        ),
      }),
    ]);

    const stripped = await failuresOf(
      await tamperedCheckpoints(consumerBundle, (c) => {
        c[0].cosignature = null;
      }),
    );
    expect(stripped).toEqual([
      expect.objectContaining({ check: 'checkpoint', size: 8, message: 'no witness cosignature' }),
    ]);
  });

  it('reports a consumer record whose provider record is missing from the peer bundle', async () => {
    const peer = await tamperedLines(providerBundle, (lines) => lines.filter((_, i) => i !== 0));
    const report = await verifyBundles({ bundles: [consumerBundle, peer], anchorPem });
    expect(report.pairing?.unpaired).toEqual([
      expect.objectContaining({
        bundle: 'munich',
        index: 0,
        reason: 'no provider record with this message id',
      }),
    ]);
  });

  it('names a record changed in the database', async () => {
    const row = await db
      .selectFrom('audit_record')
      .select('canonical')
      .where('tree', '=', CONSUMER_TREE)
      .where('idx', '=', 5)
      .executeTakeFirstOrThrow();
    const changed = Buffer.from(row.canonical).toString('utf8').replace('"status":200', '"status":204');
    await db
      .updateTable('audit_record')
      .set({ canonical: Buffer.from(changed) })
      .where('tree', '=', CONSUMER_TREE)
      .where('idx', '=', 5)
      .execute();
    const out = join(work, 'after-db-tamper');
    await exportBundle({ db, tree: CONSUMER_TREE, out });
    const failures = await failuresOf(out);
    expect(failures).toEqual([
      expect.objectContaining({
        check: 'record',
        index: 5,
        field: 'canonical',
        message: expect.stringContaining('changed after it was logged'),
      }),
      expect.objectContaining({
        check: 'record',
        index: 5,
        field: 'status',
        message: "differs from the signed response's 'status'",
      }),
    ]);
  });
});
