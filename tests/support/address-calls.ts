import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Kysely } from 'kysely';
import type { InformationSystem } from '../../dev/information-system.ts';
import type { GatewayDb } from '../../gateway/index.ts';

/** The story's first exchange: the registered address from the residents' office. */
export const ADDRESS_SERVICE = 'DEMO/GOV/residents-office/register/address-v1';

/** What one call of the address service came back with, as a load test keeps it. */
export interface AddressAnswer {
  readonly messageId: string;
  readonly sentAt: number;
  readonly answeredAt: number;
  /** HTTP status; 0 when the connection failed or nothing came back in time. */
  readonly status: number;
  /** The X-Road error type of a refusal. */
  readonly errorType: string | undefined;
  readonly body: string;
  readonly city: unknown;
}

/**
 * A caller of the address service for load under faults: each call has a fresh `X-Road-Id`, and a
 * failed connection or a call unanswered after `timeoutMs` becomes status 0 instead of an error.
 *
 * @example
 * const callAddress = addressCaller(permits, token);
 * const answer = await callAddress(); // { status: 200, city: 'München', ... }
 */
export function addressCaller(permits: InformationSystem, token: string, timeoutMs = 15_000) {
  return async (): Promise<AddressAnswer> => {
    const messageId = randomUUID();
    const sentAt = performance.now();
    const answer = await Promise.race([
      permits
        .call('GET', `/r1/${ADDRESS_SERVICE}`, {
          headers: { 'einmal-eid-token': token, 'einmal-purpose': 'parking-permit', 'x-road-id': messageId },
        })
        .catch((error: unknown) => ({ status: 0, body: String(error), json: undefined })),
      sleep(timeoutMs).then(() => ({ status: 0, body: 'no answer', json: undefined })),
    ]);
    const json = answer.json as { type?: unknown; address?: { city?: unknown } } | undefined;
    return {
      messageId,
      sentAt,
      answeredAt: performance.now(),
      status: answer.status,
      errorType: typeof json?.type === 'string' ? json.type : undefined,
      body: answer.body,
      city: json?.address?.city,
    };
  };
}

/**
 * The message ids among `ids` that lack an ok record on either side: the consumer's in
 * `consumer`, the provider's in `provider` (each a gateway's database).
 */
export async function unrecordedExchanges(
  ids: readonly string[],
  consumer: Kysely<GatewayDb>,
  provider: Kysely<GatewayDb>,
): Promise<string[]> {
  if (ids.length === 0) return [];
  const okRecords = async (db: Kysely<GatewayDb>, side: 'consumer' | 'provider') =>
    new Set(
      (
        await db
          .selectFrom('audit_record')
          .select('message_id')
          .where('message_id', 'in', ids)
          .where('side', '=', side)
          .where('outcome', '=', 'ok')
          .execute()
      ).map((row) => row.message_id),
    );
  const [consumed, provided] = await Promise.all([
    okRecords(consumer, 'consumer'),
    okRecords(provider, 'provider'),
  ]);
  return ids.filter((id) => !consumed.has(id) || !provided.has(id));
}

/** How many items fall under each key, e.g. answers by status. */
export function countBy<T>(items: readonly T[], key: (item: T) => string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const item of items) counts[key(item)] = (counts[key(item)] ?? 0) + 1;
  return counts;
}
