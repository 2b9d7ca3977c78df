import { Worker } from 'node:worker_threads';
import { siblingModule } from '../../core/index.ts';
import type { ChunkResult } from './record-chunk.ts';

/** Checks chunks of record lines on worker threads; results come back in submission order. */
export interface RecordCheckPool {
  /** Queues a chunk (the bytes are transferred); resolves with its result. */
  check(bytes: Uint8Array): Promise<ChunkResult>;
  close(): Promise<void>;
}

/**
 * Starts `size` worker threads running `record-worker.ts`, each with its own signature trust built
 * from the same PEM. Chunks go to the least busy worker; ES256 verification (the bulk of the cost
 * of signed records) and parsing then run on every core while the caller folds the results into the
 * tree in order.
 *
 * @example
 * const pool = createRecordCheckPool({ size: 2, anchorsPem, intermediatesPem, withPairs: false });
 * const result = await pool.check(bytes);
 */
export function createRecordCheckPool(options: {
  size: number;
  anchorsPem: string;
  intermediatesPem: string;
  withPairs: boolean;
}): RecordCheckPool {
  const worker = siblingModule(import.meta.url, 'record-worker');
  const workerUrl = JSON.stringify(worker.url.href);
  // From the sources the worker loads TypeScript through tsx, as the CLI does, whatever loader
  // started this thread; compiled, it is plain JavaScript.
  const bootstrap = worker.compiled
    ? `import(${workerUrl});`
    : `import(${JSON.stringify(import.meta.resolve('tsx/esm/api'))}).then((tsx) => { tsx.register(); return import(${workerUrl}); });`;
  const workers = Array.from({ length: options.size }, () => {
    const worker = new Worker(bootstrap, {
      eval: true,
      workerData: {
        anchorsPem: options.anchorsPem,
        intermediatesPem: options.intermediatesPem,
        withPairs: options.withPairs,
      },
    });
    const pending = new Map<number, { resolve: (r: ChunkResult) => void; reject: (e: unknown) => void }>();
    worker.on('message', (message: { id: number; result: ChunkResult }) => {
      const waiter = pending.get(message.id);
      pending.delete(message.id);
      waiter?.resolve(message.result);
    });
    const failAll = (error: unknown) => {
      for (const waiter of pending.values()) waiter.reject(error);
      pending.clear();
    };
    worker.on('error', failAll);
    worker.on('exit', (code) => failAll(new Error(`a verifier worker exited (${code})`)));
    return { worker, pending };
  });
  let nextId = 0;
  return {
    check(bytes) {
      const id = nextId++;
      let target = workers[0]!;
      for (const w of workers) if (w.pending.size < target.pending.size) target = w;
      return new Promise<ChunkResult>((resolve, reject) => {
        target.pending.set(id, { resolve, reject });
        target.worker.postMessage({ id, bytes }, [bytes.buffer as ArrayBuffer]);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.worker.terminate()));
    },
  };
}
