import { describe, expect, it } from 'vitest';
import { createReplayGuard } from './replay-guard.ts';

const WINDOW = 120_000;

describe('createReplayGuard', () => {
  it.each([
    { name: 'at once', traffic: [], at: 0, refused: true },
    { name: 'within the window', traffic: [WINDOW / 2], at: WINDOW - 1, refused: true },
    { name: 'one window later, after one rotation', traffic: [WINDOW / 2], at: WINDOW, refused: true },
    {
      name: 'after a quiet spell of many windows (one rotation)',
      traffic: [],
      at: 10 * WINDOW,
      refused: true,
    },
    {
      name: 'after two rotations, when its iat is stale anyway',
      traffic: [WINDOW],
      at: 2 * WINDOW,
      refused: false,
    },
  ])('a message id seen before is refused $name: $refused', ({ traffic, at, refused }) => {
    let now = 0;
    const guard = createReplayGuard({ windowMs: WINDOW, clock: () => now });
    expect(guard.claim('seen')).toBe(true);
    for (const [i, time] of traffic.entries()) {
      now = time;
      guard.claim(`other-${i}`);
    }
    now = at;
    expect(guard.claim('seen')).toBe(!refused);
  });

  it('refuses ids primed from before a restart, and still takes new ones once', () => {
    const guard = createReplayGuard({ windowMs: WINDOW, clock: () => 0 });
    guard.prime(['old-1', 'old-2']);
    expect([guard.claim('old-1'), guard.claim('old-2'), guard.claim('new')]).toEqual([false, false, true]);
    expect(guard.claim('new')).toBe(false);
  });
});
