import { describe, expect, it } from 'vitest';
import { codeArea, formatProfileSummary, summarizeCpuProfile } from './cpu-profile-summary.ts';

const frame = (id: number, functionName: string, url = '', lineNumber = 0) => ({
  id,
  callFrame: { functionName, url, lineNumber, columnNumber: 0, scriptId: '0' },
  hitCount: 0,
});

/** A profile with 60 ms idle, 30 ms in the gateway's signing and 10 ms in zod. */
const profile = {
  nodes: [
    frame(1, '(root)'),
    frame(2, '(idle)'),
    frame(3, 'signCompactJws', 'file:///srv/einmal/protocol/compact-jws.ts', 41),
    frame(4, 'parse', 'file:///srv/einmal/node_modules/zod/v4/core/parse.js', 9),
  ],
  samples: [2, 2, 2, 3, 3, 3, 4],
  timeDeltas: [20_000, 20_000, 20_000, 10_000, 10_000, 10_000, 10_000],
  startTime: 0,
  endTime: 100_000,
};

describe('CPU profile summary', () => {
  it('adds up self time per function and per code area, as shares of busy time', () => {
    const summary = summarizeCpuProfile(JSON.stringify(profile));
    expect(summary.totalMs).toBe(100);
    expect(summary.idleShare).toBeCloseTo(0.6);
    expect(summary.functions[0]).toEqual({
      name: 'signCompactJws protocol/compact-jws.ts:42',
      selfMs: 30,
      share: 0.75,
    });
    expect(summary.areas.map((a) => [a.name, a.selfMs])).toEqual([
      ['protocol', 30],
      ['zod', 10],
    ]);
    expect(formatProfileSummary('gw', summary)).toContain('75.0%       30 ms  protocol');
  });

  it('names code areas by package, project folder or Node module', () => {
    expect(codeArea('file:///x/node_modules/@hono/node-server/dist/index.mjs', 'f')).toBe(
      '@hono/node-server',
    );
    expect(codeArea('file:///x/node_modules/undici/lib/core.js', 'f')).toBe('undici');
    expect(codeArea('node:internal/crypto/sig', 'f')).toBe('node:internal');
    expect(codeArea('file:///x/protocol/canonical-json.ts', 'f')).toBe('protocol');
    expect(codeArea('', '(garbage collector)')).toBe('(garbage collector)');
    expect(codeArea('', 'writev')).toBe('(native)');
  });

  it('refuses what is not a CPU profile', () => {
    expect(() => summarizeCpuProfile('not json')).toThrow(TypeError);
    expect(() => summarizeCpuProfile('{"nodes": []}')).toThrow(/missing nodes/);
  });
});
