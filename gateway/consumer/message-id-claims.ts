import { type Kysely, sql } from 'kysely';
import { compileStatement } from '../db/compiled-statement.ts';
import type { GatewayDb } from '../db/tables.ts';

interface PendingClaim {
  readonly messageId: string;
  readonly client: string;
  readonly resolve: (claimed: boolean) => void;
  readonly reject: (error: unknown) => void;
}

/**
 * The X-Road-Ids this gateway has sent (docs/protocol.md §2.1): an id is claimed in the database before the
 * request leaves, so no id is sent twice, whichever client sends it, to whichever provider,
 * through whichever node of the gateway, before or after a restart. Without this, an information
 * system reusing an id for a second provider would get that provider to serve and log the data,
 * and then find its own gateway unable to log the exchange under an id already used.
 *
 * Claims of concurrent requests share one statement, as audit records share one commit.
 *
 * @example
 * const claims = createMessageIdClaims({ db });
 * if (!(await claims.claim(messageId, client))) throw new EinmalError('Client.DuplicateMessageId');
 */
export function createMessageIdClaims(options: { db: Kysely<GatewayDb>; maxBatch?: number }) {
  const maxBatch = options.maxBatch ?? 512;
  let queue: PendingClaim[] = [];
  let writing = false;
  const insertClaims = compiledClaims(options.db);

  async function write(batch: PendingClaim[]): Promise<void> {
    // Within one batch the first request with an id claims it; later ones are duplicates.
    const first = new Map<string, PendingClaim>();
    for (const pending of batch) if (!first.has(pending.messageId)) first.set(pending.messageId, pending);
    const claims = [...first.values()];
    try {
      const { rows } = await insertClaims({
        messageIds: claims.map((p) => p.messageId),
        clients: claims.map((p) => p.client),
      });
      const inserted = new Set(rows.map((row) => String(row.message_id)));
      for (const pending of batch) {
        pending.resolve(first.get(pending.messageId) === pending && inserted.has(pending.messageId));
      }
    } catch (error) {
      for (const pending of batch) pending.reject(error);
    }
  }

  async function flush(): Promise<void> {
    while (queue.length > 0) {
      const batch = queue.slice(0, maxBatch);
      queue = queue.slice(batch.length);
      await write(batch);
    }
    writing = false;
  }

  return {
    /**
     * Claims `messageId` (a lower-case UUID) for `client`; true if it was never claimed before, false
     * if this gateway already sent it. Rejects with the database's error if the claim could not be
     * stored (nothing may be sent then).
     */
    claim(messageId: string, client: string): Promise<boolean> {
      return new Promise<boolean>((resolve, reject) => {
        queue.push({ messageId, client, resolve, reject });
        if (!writing) {
          writing = true;
          void flush();
        }
      });
    },
  };
}

/** The claim of a batch of ids in one statement, compiled once; it returns the ids it inserted. */
const compiledClaims = (db: Kysely<GatewayDb>) =>
  compileStatement(db, ['messageIds', 'clients'], (v) =>
    db
      .insertInto('message_id_claim')
      .columns(['message_id', 'client'])
      .expression(sql`select * from unnest(${v.messageIds}::uuid[], ${v.clients}::text[])`)
      .onConflict((oc) => oc.column('message_id').doNothing())
      .returning('message_id'),
  );

export type MessageIdClaims = ReturnType<typeof createMessageIdClaims>;
