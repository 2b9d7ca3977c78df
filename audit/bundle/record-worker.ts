import { parentPort, workerData } from 'node:worker_threads';
import { checkRecordChunk, decodeRecordText } from './record-chunk.ts';
import { createSignatureTrust } from './signature-trust.ts';

/**
 * Worker thread of the offline verifier: checks chunks of `records.ndjson` posted by
 * `createRecordCheckPool` with its own signature trust (and certificate cache), and posts each
 * result back with the chunk's id.
 */
const options = workerData as { anchorsPem: string; intermediatesPem: string; withPairs: boolean };
const trust = createSignatureTrust({
  anchorsPem: options.anchorsPem,
  intermediatesPem: options.intermediatesPem,
});

parentPort!.on('message', (message: { id: number; bytes: Uint8Array }) => {
  const result = checkRecordChunk(decodeRecordText(message.bytes), trust, options.withPairs);
  parentPort!.postMessage({ id: message.id, result }, [
    result.indices.buffer as ArrayBuffer,
    result.leaves.buffer as ArrayBuffer,
    ...(result.subtrees
      ? [result.subtrees.hashes.buffer as ArrayBuffer, result.subtrees.widths.buffer as ArrayBuffer]
      : []),
  ]);
});
