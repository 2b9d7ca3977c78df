import type { CheckpointCache } from '../../audit/bundle/index.ts';
import type { Logger } from '../../core/index.ts';
import type { FederationView, PortalGateway } from '../federation/federation-view.ts';
import type { GatewayClient, GatewayFailure } from '../federation/gateway-client.ts';
import { type CheckedRecord, checkCitizenRecord } from './check-record.ts';
import { type CitizenPage, citizenPageSchema } from './citizen-answer.ts';

/** Records per request to a gateway (the citizen API's maximum). */
const PAGE_SIZE = 200;
/**
 * Records of the first request to each gateway: enough for the first page of the timeline, so that
 * page can be shown before older records have arrived.
 */
const FIRST_PAGE_SIZE = 50;
/** The newest this many records of one gateway are shown. */
export const MAX_RECORDS_PER_GATEWAY = 5000;

/** Why one gateway's records are missing from the timeline, or incomplete. */
export interface GatewayNotice {
  readonly gateway: PortalGateway;
  readonly problem: 'unreachable' | 'refused' | 'invalid' | 'truncated';
  /** For a refusal: what the citizen can understand of it. */
  readonly refusal?: 'level' | 'expired' | 'other';
}

/** One gateway's checked records about the citizen. */
export interface GatewayRecords {
  readonly gateway: PortalGateway;
  readonly records: readonly CheckedRecord[];
  readonly notice: GatewayNotice | null;
}

/** One gateway's first page: its newest records, and whether it holds older ones. */
export interface FirstRecords extends GatewayRecords {
  readonly more: boolean;
  /** The log time of the oldest record of the first page, when there are older ones. */
  readonly oldest: string | null;
}

export interface CollectOptions {
  readonly view: FederationView;
  readonly client: GatewayClient;
  /** The citizen's access token (scope `audit.read`). */
  readonly token: string;
  /** The citizen's subject identifier from their login. */
  readonly subject: string;
  readonly checkpoints: CheckpointCache;
  readonly clock: () => number;
  readonly log: Logger;
  /** At most this many records are read from one gateway (newest first). */
  readonly maxPerGateway?: number;
}

function refusalOf(failure: Extract<GatewayFailure, { kind: 'refused' }>): GatewayNotice['refusal'] {
  if (failure.type === 'Server.ServerProxy.TokenLevel') return 'level';
  if (failure.type === 'Server.ServerProxy.TokenExpired') return 'expired';
  return 'other';
}

/**
 * Reads the citizen's records from one gateway's citizen API, page after page, and checks each
 * (see {@link checkCitizenRecord}). A failure ends the reading with a notice and keeps what was
 * read. A page about another subject is refused as a whole; a record the gateway still hides, or a
 * logged record about someone else, is never kept.
 */
async function collectFromGateway(
  gateway: PortalGateway,
  options: CollectOptions,
  onFirstPage: (first: FirstRecords) => void,
): Promise<GatewayRecords> {
  const max = options.maxPerGateway ?? MAX_RECORDS_PER_GATEWAY;
  const records: CheckedRecord[] = [];
  const notice = (problem: GatewayNotice['problem'], refusal?: GatewayNotice['refusal']) => ({
    gateway,
    records,
    notice: { gateway, problem, ...(refusal ? { refusal } : {}) },
  });
  const fetchPage = (cursor: string | null) => {
    const limit = cursor ? PAGE_SIZE : FIRST_PAGE_SIZE;
    const query = new URLSearchParams({ limit: String(limit), ...(cursor ? { cursor } : {}) });
    return options.client.getJson(`${gateway.publicAddress}/citizen/v1/records?${query}`, options.token);
  };
  const checking: Promise<CheckedRecord | 'foreign'>[] = [];
  const kept = (all: readonly (CheckedRecord | 'foreign')[]) =>
    all.flatMap((record) => {
      if (record !== 'foreign') return [record];
      options.log.warn({ gateway: gateway.id }, 'record about another subject dropped');
      return [];
    });
  let firstDone = false;
  /** The checked records so far, with a notice when reading stopped early. */
  const outcome = async (problem?: GatewayNotice['problem'], refusal?: GatewayNotice['refusal']) => {
    records.push(...kept(await Promise.all(checking)));
    const result = problem ? notice(problem, refusal) : { gateway, records, notice: null };
    if (!firstDone) onFirstPage({ ...result, records: [...records], more: false, oldest: null });
    return result;
  };
  let next = fetchPage(null);
  for (let read = 0; ; ) {
    const answer = await next;
    if (!answer.ok) {
      options.log.warn({ gateway: gateway.id, failure: answer.failure }, 'citizen log not read');
      const { failure } = answer;
      return failure.kind === 'refused' ? outcome('refused', refusalOf(failure)) : outcome(failure.kind);
    }
    const parsed = citizenPageSchema.safeParse(answer.body);
    if (!parsed.success || parsed.data.subject !== options.subject) {
      options.log.warn({ gateway: gateway.id }, 'citizen log answer refused');
      return outcome('invalid');
    }
    const page: CitizenPage = parsed.data;
    read += page.records.length;
    const more = page.nextCursor !== null && read < max;
    // The next page is on its way while this one is checked.
    if (more) next = fetchPage(page.nextCursor);
    const now = options.clock();
    for (const described of page.records) {
      if (described.hiddenUntil !== null && Date.parse(described.hiddenUntil) > now) continue;
      checking.push(
        checkCitizenRecord({
          described,
          page,
          gatewayId: gateway.id,
          subject: options.subject,
          trust: options.view.trust,
          checkpoints: options.checkpoints,
        }),
      );
    }
    if (!more) return page.nextCursor === null ? outcome() : outcome('truncated');
    if (!firstDone) {
      firstDone = true;
      const oldest = page.records.at(-1)?.time ?? null;
      void Promise.all(checking).then((first) =>
        onFirstPage({ gateway, records: kept(first), notice: null, more: true, oldest }),
      );
    }
  }
}

/**
 * Asks every gateway of the federation for the citizen's records, all at once; one that is slow or
 * down costs its timeout and a notice, never the others' records (docs/protocol.md §12). `first` settles
 * once every gateway's first page is in and checked (enough for the first page of the timeline);
 * `all` once every record is.
 *
 * @example
 * const { first, all } = collectCitizenRecords({ view, client, token, subject, checkpoints, clock, log });
 */
export function collectCitizenRecords(options: CollectOptions): {
  first: Promise<FirstRecords[]>;
  all: Promise<GatewayRecords[]>;
} {
  const settle: { resolve: (first: FirstRecords) => void; reject: (error: unknown) => void }[] = [];
  const first = Promise.all(
    options.view.gateways.map(
      () => new Promise<FirstRecords>((resolve, reject) => settle.push({ resolve, reject })),
    ),
  );
  const all = Promise.all(
    options.view.gateways.map((gateway, i) =>
      collectFromGateway(gateway, options, settle[i]!.resolve).catch((error: unknown) => {
        settle[i]!.reject(error);
        throw error;
      }),
    ),
  );
  // Whoever waits only for `all` must not leave a failed `first` unhandled, and vice versa.
  first.catch(() => {});
  all.catch(() => {});
  return { first, all };
}
