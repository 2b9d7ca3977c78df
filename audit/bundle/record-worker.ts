import { parentPort, workerData } from 'node:worker_threads';
import { type ChunkResult, checkRecordChunk, decodeRecordText } from './record-chunk.ts';
import type { SignatureTrust } from './signature-trust.ts';

/**
 * Worker thread of the offline verifier: checks chunks of `records.ndjson` posted by
 * `createRecordCheckPool` with its own signature trust (and certificate cache), and posts each
 * result back with the chunk's id.
 *
 * The signature trust, and with it the X.509 library, is loaded only when a chunk holds a signature
 * to check: chunks of refused requests, or of records pruned past retention, are checked by a
 * worker that started in a fraction of the time. A chunk is first checked with a stand-in that stops at the first signature;
 * checking is free of side effects, so the chunk is then checked again with the real trust.
 */
const options = workerData as { anchorsPem: string; intermediatesPem: string; withPairs: boolean };

const SIGNATURE_FOUND = Symbol('a signature to check');
/** Whether the stand-in was asked since it was last reset: its answer must then not count. */
let standInAsked = false;
const standIn: SignatureTrust = {
  check() {
    standInAsked = true;
    throw SIGNATURE_FOUND;
  },
};
let trust: Promise<SignatureTrust> | undefined;
const loadTrust = () =>
  import('./signature-trust.ts').then(({ createSignatureTrust }) =>
    createSignatureTrust({ anchorsPem: options.anchorsPem, intermediatesPem: options.intermediatesPem }),
  );

async function check(bytes: Uint8Array): Promise<ChunkResult> {
  const text = decodeRecordText(bytes);
  if (trust === undefined) {
    standInAsked = false;
    try {
      const result = checkRecordChunk(text, standIn, options.withPairs);
      // Were the stand-in's refusal ever caught on the way, the result would hold an unchecked
      // signature: it counts only if no signature was met at all.
      if (!standInAsked) return result;
    } catch (error) {
      if (error !== SIGNATURE_FOUND) throw error;
    }
    trust ??= loadTrust();
  }
  return checkRecordChunk(text, await trust, options.withPairs);
}

parentPort!.on('message', (message: { id: number; bytes: Uint8Array }) => {
  void check(message.bytes).then((result) => {
    parentPort!.postMessage({ id: message.id, result }, [
      result.indices.buffer as ArrayBuffer,
      result.leaves.buffer as ArrayBuffer,
      ...(result.subtrees
        ? [result.subtrees.hashes.buffer as ArrayBuffer, result.subtrees.widths.buffer as ArrayBuffer]
        : []),
    ]);
  });
});
