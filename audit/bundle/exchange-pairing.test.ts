import { describe, expect, it } from 'vitest';
import { createExchangePairing, type PairingFields } from './exchange-pairing.ts';

const consumer: PairingFields = {
  outcome: 'ok',
  side: 'consumer',
  messageId: '0b1c6a52-3c56-4f4e-9a55-6f2d1d0e8a01',
  client: 'DEMO/GOV/munich/parking-permits',
  service: 'DEMO/GOV/residents-office/register/address-v1',
  subject: 'DE65402138797',
  requestDigest: 'ZlGeb9-AHs1Yq7oOLJHKuk4qTV4oQ7qQW_skpXkBUNI',
};
const provider: PairingFields = { ...consumer, side: 'provider' };

describe('pairing the two records of an exchange', () => {
  it('pairs records that agree on message id, client, service, subject and request digest', () => {
    const pairing = createExchangePairing();
    pairing.add('munich', 0, consumer);
    pairing.add('residents', 3, provider);
    expect(pairing.unpaired()).toEqual([]);
    expect(pairing.paired).toBe(1);
  });

  it('refuses a provider record of the same signed request under another subject', () => {
    // With an eID token neither envelope names the subject (only the token's digest), so the
    // provider's operator could log the access under another citizen; the consumer's record
    // still names the real one.
    const pairing = createExchangePairing();
    pairing.add('munich', 0, consumer);
    pairing.add('residents', 3, { ...provider, subject: 'DE10000000001' });
    expect(pairing.unpaired()).toEqual([
      {
        bundle: 'munich',
        index: 0,
        messageId: consumer.messageId,
        reason: 'the provider record (residents record 3) differs in subject',
      },
    ]);
    expect(pairing.paired).toBe(0);
  });
});
