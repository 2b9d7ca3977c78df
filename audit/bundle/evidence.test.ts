import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { sampleAuditRecord } from '../../bench/sample-audit-record.ts';
import {
  certificateDer,
  createChainVerifier,
  exportPrivateKeyPem,
  privateKeyObject,
  toPem,
} from '../../certs/index.ts';
import { runCli } from '../../cli/run.ts';
import {
  canonicalJson,
  canonicalRecord,
  cosignCheckpoint,
  createCheckpoint,
  hashToBase64,
  signCheckpoint,
} from '../../protocol/index.ts';
import { createTestPki, type IssuedCredential, type TestPki } from '../../tests/support/directory-fixture.ts';
import { auditCommands } from '../cli.ts';
import { inclusionProof, leafHash, rootHash } from '../merkle.ts';
import { EVIDENCE_FORMAT, type EvidenceItem, parseEvidence, verifyEvidenceItem } from './evidence.ts';
import { createSignatureTrust, type SignatureTrust } from './signature-trust.ts';

const GATEWAY = 'DEMO/GOV/munich/gw1';

let pki: TestPki;
let munich: IssuedCredential;
let other: IssuedCredential;
let witness: IssuedCredential;
let directorySigner: IssuedCredential;
let trust: SignatureTrust;
const records = [0, 1, 2].map((i) => canonicalJson(sampleAuditRecord({ issue: `case-${i}` })));

const chainOf = (credential: IssuedCredential) => [
  Buffer.from(certificateDer(credential.certificate)).toString('base64'),
  Buffer.from(certificateDer(pki.issuing.certificate)).toString('base64'),
];
const keyOf = async (credential: IssuedCredential) =>
  privateKeyObject(await exportPrivateKeyPem(credential.keys.privateKey));

/** Evidence of record `index` in a log of `records`, signed and cosigned by the given credentials. */
async function evidenceFor(
  index: number,
  options: {
    signer?: IssuedCredential;
    cosigner?: IssuedCredential;
    origin?: string;
    cosignSize?: number;
  } = {},
): Promise<EvidenceItem> {
  const leaves = records.map((text) => leafHash(new TextEncoder().encode(text)));
  const checkpoint = createCheckpoint({
    origin: options.origin ?? GATEWAY,
    size: leaves.length,
    root: rootHash(leaves),
    now: new Date(),
  });
  const signer = options.signer ?? munich;
  const cosigner = options.cosigner ?? witness;
  const jws = await signCheckpoint({
    checkpoint,
    privateKey: await keyOf(signer),
    certificateChain: chainOf(signer),
  });
  const covered = options.cosignSize ? { ...checkpoint, size: options.cosignSize } : checkpoint;
  const cosignature = await cosignCheckpoint({
    checkpoint: covered,
    privateKey: await keyOf(cosigner),
    certificateChain: chainOf(cosigner),
  });
  return {
    record: records[index]!,
    leafIndex: index,
    treeSize: leaves.length,
    inclusionProof: inclusionProof(leaves, index).map(hashToBase64),
    checkpoint: jws,
    cosignature,
  };
}

beforeAll(async () => {
  pki = await createTestPki();
  munich = await pki.issue({ profile: 'signing', subject: 'CN=munich', member: 'DEMO/GOV/munich' });
  other = await pki.issue({ profile: 'signing', subject: 'CN=other', member: 'DEMO/GOV/vehicle-authority' });
  witness = await pki.issue({ profile: 'witness', subject: 'CN=DEMO witness' });
  directorySigner = await pki.issue({ profile: 'directory', subject: 'CN=DEMO directory signing' });
  trust = createSignatureTrust({
    verifier: createChainVerifier({
      anchors: [pki.root.certificate],
      intermediates: [pki.issuing.certificate],
    }),
  });
});

describe('evidence of one record', () => {
  it('verifies a record in the log of its gateway under a checkpoint of its member, cosigned by the witness', async () => {
    const verified = await verifyEvidenceItem(await evidenceFor(1), trust);
    expect(verified.record).toMatchObject({ gateway: GATEWAY, issue: 'case-1' });
    expect(verified.witnessed.checkpoint).toMatchObject({ origin: GATEWAY, size: 3 });
    expect(verified.witnessed.signer.member).toMatchObject({ memberCode: 'munich' });
    expect(verified.witnessed.witness.chain[0]!.subject).toBe('CN=DEMO witness');
  });

  it('refuses a record changed after it was logged, and a proof for another log size', async () => {
    const item = await evidenceFor(2);
    const changed = { ...item, record: item.record.replace('case-2', 'case-9') };
    await expect(verifyEvidenceItem(changed, trust)).rejects.toMatchObject({
      code: 'Audit.InvalidProof',
      message: expect.stringMatching(/not in the log at the checkpoint/),
    });
    await expect(verifyEvidenceItem({ ...item, treeSize: 4 }, trust)).rejects.toMatchObject({
      code: 'Audit.InvalidProof',
    });
    const spaced = { ...item, record: JSON.stringify(JSON.parse(item.record), null, 1) };
    await expect(verifyEvidenceItem(spaced, trust)).rejects.toMatchObject({
      code: 'Audit.InvalidEvidence',
    });
  });

  it('refuses a checkpoint signed by another member, or of another gateway’s log', async () => {
    await expect(verifyEvidenceItem(await evidenceFor(0, { signer: other }), trust)).rejects.toMatchObject({
      code: 'Audit.InvalidCheckpoint',
      message:
        'checkpoint signature: signed by member DEMO/GOV/vehicle-authority; only a signing certificate of DEMO/GOV/munich, the member of gateway DEMO/GOV/munich/gw1, counts',
    });
    const foreign = await evidenceFor(0, { origin: 'DEMO/GOV/vehicle-authority/gw1', signer: other });
    await expect(verifyEvidenceItem(foreign, trust)).rejects.toMatchObject({
      message: 'the checkpoint is of the log of DEMO/GOV/vehicle-authority/gw1, not of DEMO/GOV/munich/gw1',
    });
    const nobody = await evidenceFor(0, { origin: 'DEMO/GOV/munich' });
    await expect(verifyEvidenceItem(nobody, trust)).rejects.toMatchObject({
      message: "signed for 'DEMO/GOV/munich', which is not the log of a gateway",
    });
  });

  it('refuses a cosignature made with the operator’s member key or the directory key, or over another checkpoint', async () => {
    const forged = await evidenceFor(0, { cosigner: munich });
    await expect(verifyEvidenceItem(forged, trust)).rejects.toMatchObject({
      code: 'Audit.InvalidCheckpoint',
      message:
        "witness cosignature: the signer's certificate (CN=munich) was not issued for witness (Pki.WrongUsage); only the registry's witness certificate counts",
    });
    const byDirectoryKey = await evidenceFor(0, { cosigner: directorySigner });
    await expect(verifyEvidenceItem(byDirectoryKey, trust)).rejects.toMatchObject({
      code: 'Audit.InvalidCheckpoint',
      message: expect.stringContaining('(CN=DEMO directory signing) was not issued for witness'),
    });
    const elsewhere = await evidenceFor(0, { cosignSize: 2 });
    await expect(verifyEvidenceItem(elsewhere, trust)).rejects.toMatchObject({
      message: 'witness cosignature: it covers another checkpoint',
    });
  });

  it('refuses signers that do not chain to the anchor', async () => {
    const stranger = createSignatureTrust({
      verifier: createChainVerifier({ anchors: [(await createTestPki('OTHER')).root.certificate] }),
    });
    await expect(verifyEvidenceItem(await evidenceFor(0), stranger)).rejects.toMatchObject({
      message:
        "checkpoint signature: the signer's certificate (CN=munich) does not chain to the anchor (Pki.UntrustedChain)",
    });
  });

  it('reads only evidence files of its format, naming the first problem', () => {
    expect(() => parseEvidence('not json')).toThrow('The evidence file is not JSON');
    expect(() =>
      parseEvidence(JSON.stringify({ format: 'other', created: new Date().toISOString(), items: [] })),
    ).toThrow(/format/);
    expect(() => parseEvidence(JSON.stringify({ format: EVIDENCE_FORMAT, created: 'x', items: [] }))).toThrow(
      /created/,
    );
  });
});

describe('einmal audit verify-evidence', () => {
  const run = async (argv: string[]) => {
    const lines: string[] = [];
    const code = await runCli(['audit', 'verify-evidence', ...argv], [auditCommands], {
      out: (line) => lines.push(line),
      err: (line) => lines.push(line),
    });
    return { code, lines };
  };

  it('says OK for good evidence, names the failing record otherwise, and needs the anchor', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'einmal-evidence-'));
    try {
      const anchor = join(dir, 'root.pem');
      await writeFile(anchor, toPem(pki.root.certificate));
      const file = join(dir, 'evidence.json');
      const good = [await evidenceFor(0), await evidenceFor(2)];
      await writeFile(
        file,
        JSON.stringify({ format: EVIDENCE_FORMAT, created: new Date().toISOString(), items: good }),
      );
      const ok = await run([file, '--anchor', anchor]);
      expect(ok.code, ok.lines.join('\n')).toBe(0);
      expect(ok.lines[0]).toMatch(/^record 1: OK: the consumer record of DEMO\/GOV\/munich\/gw1/);
      expect(ok.lines.at(-1)).toBe(
        'OK: 2 record(s) verified against the anchor (revocations are not known offline)',
      );

      const bad = [good[0]!, { ...good[1]!, record: good[1]!.record.replace('case-2', 'case-7') }];
      await writeFile(
        file,
        JSON.stringify({ format: EVIDENCE_FORMAT, created: new Date().toISOString(), items: bad }),
      );
      const failed = await run([file, '--anchor', anchor]);
      expect(failed.code).toBe(1);
      expect(failed.lines.slice(1)).toEqual([
        'record 2: FAIL Audit.InvalidProof: the record is not in the log at the checkpoint: it was changed, or the proof is wrong',
        'FAILED: 1 of 2 record(s)',
      ]);

      const usage = await run([file]);
      expect(usage.code).not.toBe(0);
      expect(usage.lines.join('\n')).toContain('--anchor is required');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});

// The leaf hashing of the portal and the offline verifier is the log's: SHA-256(0x00 ‖ canonical bytes).
it('hashes a record as the log does', () => {
  const record = sampleAuditRecord();
  expect(leafHash(canonicalRecord(record))).toEqual(
    leafHash(new TextEncoder().encode(canonicalJson(record))),
  );
});
