import type { AuditRecord } from '../../schemas/index.ts';

/** What pairing needs of a record. */
export type PairingFields = Pick<
  AuditRecord,
  'outcome' | 'side' | 'messageId' | 'client' | 'service' | 'subject' | 'requestDigest'
>;

/** A consumer record whose exchange has no matching provider record in the bundles given. */
export interface UnpairedRecord {
  readonly bundle: string;
  readonly index: number;
  readonly messageId: string;
  readonly reason: string;
}

interface Side {
  readonly bundle: string;
  readonly index: number;
  readonly client: string | null;
  readonly service: string | null;
  readonly subject: string | null;
  readonly requestDigest: string | null;
}

/**
 * Pairs the two sides of each exchange across bundles (docs/protocol.md §12.3): every successful
 * consumer record needs a successful provider record with the same message id, client, service,
 * subject and request digest. The subject of a citizen's eID token is signed by neither gateway
 * (only the token's digest is), so the two records must at least agree on it. Provider records
 * without a consumer are not counted: their consumer may be a gateway
 * whose bundle was not given.
 *
 * @example
 * const pairing = createExchangePairing();
 * pairing.add('munich', 0, record); // for every record of every bundle
 * pairing.unpaired(); // consumer records left alone
 */
export function createExchangePairing() {
  const consumers = new Map<string, Side>();
  const providers = new Map<string, Side>();
  let paired = 0;
  return {
    add(bundle: string, index: number, record: PairingFields): void {
      if (record.outcome !== 'ok') return;
      const side: Side = {
        bundle,
        index,
        client: record.client,
        service: record.service,
        subject: record.subject,
        requestDigest: record.requestDigest,
      };
      (record.side === 'consumer' ? consumers : providers).set(record.messageId, side);
    },
    unpaired(): UnpairedRecord[] {
      const unpaired: UnpairedRecord[] = [];
      paired = 0;
      for (const [messageId, consumer] of consumers) {
        const provider = providers.get(messageId);
        const base = { bundle: consumer.bundle, index: consumer.index, messageId };
        if (!provider) {
          unpaired.push({ ...base, reason: 'no provider record with this message id' });
          continue;
        }
        const differing = (['client', 'service', 'subject', 'requestDigest'] as const).filter(
          (f) => consumer[f] !== provider[f],
        );
        if (differing.length > 0) {
          unpaired.push({
            ...base,
            reason: `the provider record (${provider.bundle} record ${provider.index}) differs in ${differing.join(', ')}`,
          });
        } else {
          paired += 1;
        }
      }
      return unpaired;
    },
    /** Exchanges whose two records match, as of the last {@link unpaired} call. */
    get paired(): number {
      return paired;
    },
  };
}

export type ExchangePairing = ReturnType<typeof createExchangePairing>;
