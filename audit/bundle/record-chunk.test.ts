import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { canonicalJson, hashToBase64, hashToHex } from '../../protocol/index.ts';
import { alignedSubtrees, leafHash } from '../index.ts';
import { checkRecordChunk, decodeRecordText } from './record-chunk.ts';

/** A refused request of Munich's log (hash checked, no signatures), as a records.ndjson line. */
function line(index: number): string {
  const canonical = canonicalJson({
    logTime: '2026-05-01T10:00:00.123Z',
    messageId: `0f6b7c2e-1d2a-4b3c-8d4e-${index.toString(16).padStart(12, '0')}`,
    side: 'consumer',
    gateway: 'DEMO/GOV/munich/gw1',
    client: 'DEMO/GOV/munich/parking-permits',
    service: 'DEMO/GOV/residents-office/register/address/v1',
    method: 'GET',
    path: '/address',
    subject: 'DE65402138797',
    userId: null,
    issue: null,
    purpose: 'parking-permit',
    legalBasis: null,
    consentRef: null,
    hiddenUntil: null,
    hiddenReason: null,
    status: 403,
    outcome: 'rejected',
    errorCode: 'Server.ServerProxy.AccessDenied',
    requestDigest: null,
    responseDigest: null,
    requestSignature: null,
    responseSignature: null,
    eidDigest: null,
  });
  return JSON.stringify({ index, canonical, leaf: hashToBase64(leafHash(Buffer.from(canonical))) });
}

const chunk = (indices: readonly number[]) => `${indices.map(line).join('\n')}\n`;

describe('a chunk of record lines', () => {
  it('hashes consecutive records into the aligned subtrees of their leaves', () => {
    const indices = Array.from({ length: 13 }, (_, i) => 37 + i);
    const result = checkRecordChunk(chunk(indices), undefined, false);
    expect(result.problems).toEqual([]);
    const expected = alignedSubtrees(result.leaves, 37, 13);
    expect(expected.map((s) => s.width)).toEqual([1, 2, 8, 2]);
    expect(result.subtrees?.first).toBe(37);
    expect([...result.subtrees!.widths]).toEqual(expected.map((s) => s.width));
    expect(Buffer.from(result.subtrees!.hashes).toString('hex')).toBe(
      expected.map((s) => hashToHex(s.hash)).join(''),
    );
  });

  it('leaves the tree to the caller, leaf by leaf, when an index is missing or a line is not a record', () => {
    expect(checkRecordChunk(chunk([0, 1, 3, 4]), undefined, false).subtrees).toBeNull();
    expect(checkRecordChunk(chunk([0, 2, 1]), undefined, false).subtrees).toBeNull();
    const broken = checkRecordChunk(`${line(0)}\nnot json\n${line(1)}\n`, undefined, false);
    expect(broken.subtrees).toBeNull();
    expect(broken.lines).toBe(3);
  });
});

describe('the text of a chunk', () => {
  const utf8 = new TextDecoder('utf-8', { ignoreBOM: true });
  it('is what UTF-8 decoding gives, for ASCII, other text, broken sequences and a byte-order mark', () => {
    const samples = [
      'plain ascii\n',
      '{"path":"/straße"}\n',
      '\ufeff{"index":0}\n',
      'emoji 😀 and \u2028\n',
    ].map((text) => new TextEncoder().encode(text));
    samples.push(
      new Uint8Array([0x7b, 0xc3, 0x28, 0x0a]),
      new Uint8Array([0xf0, 0x9f, 0x98]),
      new Uint8Array(0),
    );
    for (const bytes of samples) expect(decodeRecordText(bytes)).toBe(utf8.decode(bytes));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        expect(decodeRecordText(bytes)).toBe(utf8.decode(bytes));
      }),
      { numRuns: 2_000 },
    );
  });
});
