import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { logOrigin, parseCheckpointOrigin } from './checkpoint-origin.ts';

const part = fc.stringMatching(/^[A-Za-z0-9_-][A-Za-z0-9._-]{0,20}$/);
const gatewayId = fc.tuple(part, part, part, part).map((parts) => parts.join('/'));
const node = fc.stringMatching(/^[A-Za-z0-9._/-]{1,40}$/);

describe('checkpoint origins', () => {
  it('names the gateway, the node and the member that alone may sign the log', () => {
    expect(parseCheckpointOrigin('DEMO/GOV/munich/gw1')).toEqual({
      gatewayId: 'DEMO/GOV/munich/gw1',
      node: undefined,
      member: 'DEMO/GOV/munich',
    });
    expect(parseCheckpointOrigin('DEMO/GOV/munich/gw1#node2')).toEqual({
      gatewayId: 'DEMO/GOV/munich/gw1',
      node: 'node2',
      member: 'DEMO/GOV/munich',
    });
    expect(logOrigin('DEMO/GOV/munich/gw1', 'DEMO/GOV/munich/gw1')).toBe('DEMO/GOV/munich/gw1');
    expect(logOrigin('DEMO/GOV/munich/gw1', 'node2')).toBe('DEMO/GOV/munich/gw1#node2');
  });

  it('refuses what is not a printed gateway id with an optional node name', () => {
    for (const origin of [
      '',
      'DEMO/GOV/munich',
      'DEMO/GOV/munich/gw1/x',
      'DEMO/GOV/munich/gw1#',
      'DEMO/GOV/munich/gw1#a b',
      'DEMO/GOV/mun%69ch/gw1',
      'DEMO/GOV/../gw1',
      '#node',
      'DEMO/GOV/munich/gw1#DEMO/GOV/munich/gw1',
    ]) {
      expect(parseCheckpointOrigin(origin), origin).toBeUndefined();
    }
  });

  it('reads any origin a gateway node writes back to the same log, and never throws', () => {
    fc.assert(
      fc.property(gatewayId, fc.option(node, { nil: undefined }), (gateway, tree) => {
        fc.pre(!['.', '..'].some((bad) => gateway.split('/').includes(bad)));
        const origin = logOrigin(gateway, tree ?? gateway);
        const parsed = parseCheckpointOrigin(origin);
        expect(parsed?.gatewayId).toBe(gateway);
        expect(logOrigin(parsed!.gatewayId, parsed!.node ?? parsed!.gatewayId)).toBe(origin);
      }),
    );
    fc.assert(
      fc.property(fc.string({ maxLength: 300 }), (text) => {
        const parsed = parseCheckpointOrigin(text);
        if (parsed) expect(logOrigin(parsed.gatewayId, parsed.node ?? parsed.gatewayId)).toBe(text);
      }),
    );
  });
});
