/**
 * A group-commit queue, the way transparency logs batch their writes: items added while one batch
 * commits gather into the next, so throughput grows with load instead of costing one commit per
 * item, and each `add` resolves only once the commit holding its item is durable. One batch commits
 * at a time, which is what an append-only log needs. Knows nothing of what it stores.
 */
export interface GroupCommitOptions<T, R> {
  /** Most items in one commit. */
  readonly maxBatch: number;
  /** Writes one batch in one commit; resolves to one result per item, in order. */
  commit(batch: readonly T[]): Promise<readonly R[]>;
  /**
   * Whether a failed batch of several items is tried again in halves, so that an item the store
   * refuses fails alone instead of failing the others that shared its commit.
   */
  retryInHalves(error: unknown): boolean;
  /** What an item of a batch that failed for good is rejected with. */
  rejection(error: unknown, item: T): unknown;
  /** Told once per batch that failed for good. */
  onFailure?(error: unknown, batchSize: number): void;
  /** Told once per batch committed: its size and how long its commit took. */
  onCommit?(batchSize: number, seconds: number): void;
}

export interface GroupCommitQueue<T, R> {
  /** Adds one item; resolves with its result once its batch is committed, rejects if it could not be. */
  add(item: T): Promise<R>;
  /** Waits until everything added so far is committed (or failed). */
  drain(): Promise<void>;
  /** Items added and not yet committed or failed, the one committing included. */
  pending(): number;
}

interface Pending<T, R> {
  readonly item: T;
  readonly resolve: (value: R) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * @example
 * const queue = createGroupCommitQueue({ maxBatch: 512, commit: (records) => store.append(records), ... });
 * const { index } = await queue.add(record);
 */
export function createGroupCommitQueue<T, R>(options: GroupCommitOptions<T, R>): GroupCommitQueue<T, R> {
  let queue: Pending<T, R>[] = [];
  let flushing: Promise<void> | undefined;
  let committing = 0;

  async function commit(batch: Pending<T, R>[]): Promise<void> {
    try {
      const started = performance.now();
      const results = await options.commit(batch.map((p) => p.item));
      options.onCommit?.(batch.length, (performance.now() - started) / 1000);
      batch.forEach((p, i) => {
        p.resolve(results[i]!);
      });
    } catch (error) {
      if (batch.length > 1 && options.retryInHalves(error)) {
        const half = Math.ceil(batch.length / 2);
        await commit(batch.slice(0, half));
        await commit(batch.slice(half));
        return;
      }
      options.onFailure?.(error, batch.length);
      for (const p of batch) p.reject(options.rejection(error, p.item));
    }
  }

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, options.maxBatch);
      queue = queue.slice(batch.length);
      committing = batch.length;
      await commit(batch);
      committing = 0;
    }
    flushing = undefined;
  }

  return {
    add(item) {
      return new Promise<R>((resolve, reject) => {
        queue.push({ item, resolve, reject });
        flushing ??= flush();
      });
    },
    async drain() {
      while (flushing) await flushing;
    },
    pending: () => queue.length + committing,
  };
}
