import { describe, expect, it } from 'vitest';
import { createGroupCommitQueue } from './group-commit.ts';

/** A store that commits numbers, refusing the ones in `refused`, or everything while `down`. */
function fakeStore(options: { refused?: readonly number[]; down?: boolean } = {}) {
  const commits: number[][] = [];
  const stored: number[] = [];
  let release: (() => void) | undefined;
  let gate: Promise<void> | undefined;
  return {
    commits,
    stored,
    /** Holds the next commit until `open()`, so items pile up behind it. */
    hold() {
      gate = new Promise((resolve) => {
        release = resolve;
      });
    },
    open: () => release?.(),
    async commit(batch: readonly number[]): Promise<number[]> {
      commits.push([...batch]);
      if (gate) {
        const waiting = gate;
        gate = undefined;
        await waiting;
      }
      if (options.down) throw Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' });
      const bad = batch.find((n) => options.refused?.includes(n));
      if (bad !== undefined) throw Object.assign(new Error(`refused ${bad}`), { code: '23505' });
      const first = stored.length;
      stored.push(...batch);
      return batch.map((_, i) => first + i);
    },
  };
}

const queueOn = (store: ReturnType<typeof fakeStore>, maxBatch = 100) =>
  createGroupCommitQueue<number, number>({
    maxBatch,
    commit: (batch) => store.commit(batch),
    retryInHalves: (error) => (error as { code?: string }).code !== 'ECONNREFUSED',
    rejection: (error, item) => new Error(`item ${item}: ${(error as Error).message}`),
  });

describe('createGroupCommitQueue', () => {
  it('gathers what arrives during a commit into the next one, in order, each resolving with its result', async () => {
    const store = fakeStore();
    const queue = queueOn(store);
    store.hold();
    const first = queue.add(1);
    const rest = [2, 3, 4].map((n) => queue.add(n));
    store.open();
    expect(await Promise.all([first, ...rest])).toEqual([0, 1, 2, 3]);
    expect(store.commits).toEqual([[1], [2, 3, 4]]);
  });

  it.each([
    { maxBatch: 2, expected: [[1], [2, 3], [4, 5]] },
    { maxBatch: 3, expected: [[1], [2, 3, 4], [5]] },
  ])('never commits more than maxBatch ($maxBatch) at once', async ({ maxBatch, expected }) => {
    const store = fakeStore();
    const queue = queueOn(store, maxBatch);
    store.hold();
    const all = [1, 2, 3, 4, 5].map((n) => queue.add(n));
    store.open();
    await Promise.all(all);
    expect(store.commits).toEqual(expected);
  });

  it.each([
    { refused: [3], failed: [3] },
    { refused: [2, 5], failed: [2, 5] },
  ])(
    'an item the store refuses ($refused) fails alone; the others of its batch are committed',
    async ({ refused, failed }) => {
      const store = fakeStore({ refused });
      const queue = queueOn(store);
      store.hold();
      const outcomes = [0, 1, 2, 3, 4, 5].map((n) =>
        queue.add(n).then(
          () => 'ok' as const,
          (e: Error) => e.message,
        ),
      );
      store.open();
      const results = await Promise.all(outcomes);
      expect(results.flatMap((r, n) => (r === 'ok' ? [] : [n]))).toEqual(failed);
      expect(store.stored).toEqual([0, 1, 2, 3, 4, 5].filter((n) => !refused.includes(n)));
    },
  );

  it('fails every item of a batch when the store is unreachable, without retrying them one by one', async () => {
    const store = fakeStore({ down: true });
    const queue = queueOn(store);
    store.hold();
    const outcomes = [1, 2, 3].map((n) => queue.add(n).catch((e: Error) => e.message));
    store.open();
    expect(await Promise.all(outcomes)).toEqual([
      'item 1: connect ECONNREFUSED',
      'item 2: connect ECONNREFUSED',
      'item 3: connect ECONNREFUSED',
    ]);
    expect(store.commits).toEqual([[1], [2, 3]]);
  });

  it('drains: resolves once everything added so far is committed', async () => {
    const store = fakeStore();
    const queue = queueOn(store);
    for (const n of [1, 2, 3]) void queue.add(n);
    await queue.drain();
    expect(store.stored).toEqual([1, 2, 3]);
  });
});
