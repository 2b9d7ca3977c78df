import { describe, expect, it } from 'vitest';
import { siblingModule } from './module-url.ts';

describe('siblingModule', () => {
  it('names the sibling in the form the caller runs as', () => {
    expect(siblingModule('file:///srv/einmal/audit/record-pool.ts', 'record-worker')).toEqual({
      url: new URL('file:///srv/einmal/audit/record-worker.ts'),
      compiled: false,
    });
    expect(siblingModule('file:///srv/einmal/dist/audit/record-pool.js', 'record-worker')).toEqual({
      url: new URL('file:///srv/einmal/dist/audit/record-worker.js'),
      compiled: true,
    });
  });
});
