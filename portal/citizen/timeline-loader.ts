import type { CheckpointCache, WitnessedCheckpoint } from '../../audit/bundle/index.ts';
import { EinmalError, type Logger } from '../../core/index.ts';
import type { FederationView } from '../federation/federation-view.ts';
import type { GatewayClient } from '../federation/gateway-client.ts';
import type { Session } from '../session/session-store.ts';
import { collectCitizenRecords, type GatewayRecords } from './collect-timeline.ts';
import { mergeTimeline, provisionalTimeline, type Timeline } from './timeline.ts';

export interface TimelineLoader {
  /**
   * The session citizen's timeline: read from every gateway, or the one read within the last
   * `cacheMs` (paging, filters and downloads then cost nothing). With `newest`, it may be answered
   * as soon as every gateway's first page is in, if that already gives this many entries (then
   * `complete` is `false`). `expired` when the gateways say the citizen's login has expired.
   */
  load(session: Session, options?: { reload?: boolean; newest?: number }): Promise<Timeline | 'expired'>;
}

const CACHE_KEY = 'timeline';
/** Checked checkpoints kept across requests; a gateway has one current checkpoint per node. */
const MAX_CHECKPOINTS = 512;

/**
 * Loads citizens' timelines for the portal's pages, one at a time per session.
 *
 * @example
 * const timelines = createTimelineLoader({ federation, client, clock: Date.now, log });
 * const timeline = await timelines.load(session);
 */
export function createTimelineLoader(deps: {
  readonly federation: () => FederationView | undefined;
  readonly client: GatewayClient;
  readonly clock: () => number;
  readonly log: Logger;
  readonly cacheMs?: number;
}): TimelineLoader {
  const cacheMs = deps.cacheMs ?? 30_000;
  // Checkpoint checks depend on the directory's trust: a new directory starts a new cache.
  let checkedFor: FederationView | undefined;
  // By checkpoint, then cosignature: lookups reuse each page's strings instead of joining them anew.
  let checkpoints = new Map<string, Map<string, Promise<WitnessedCheckpoint>>>();

  const cacheFor = (view: FederationView): CheckpointCache => {
    if (view !== checkedFor) {
      checkedFor = view;
      checkpoints = new Map();
    }
    return {
      get: (jws, cosignature) => checkpoints.get(jws)?.get(cosignature),
      set: (jws, cosignature, value) => {
        if (checkpoints.size >= MAX_CHECKPOINTS) checkpoints.delete(checkpoints.keys().next().value!);
        const byCosignature = checkpoints.get(jws) ?? new Map();
        byCosignature.set(cosignature, value);
        checkpoints.set(jws, byCosignature);
      },
    };
  };

  /** Starts reading every gateway: the newest part first, then everything. */
  function read(session: Session): Reading {
    const view = deps.federation();
    const user = session.user;
    if (!view || !user) throw new EinmalError('Directory.Unavailable');
    const collected = collectCitizenRecords({
      view,
      client: deps.client,
      token: user.accessToken,
      subject: user.subject,
      checkpoints: cacheFor(view),
      clock: deps.clock,
      log: deps.log,
    });
    const expired = (results: readonly GatewayRecords[]) =>
      results.some((r) => r.notice?.refusal === 'expired');
    const reading: Reading = {
      at: deps.clock(),
      finished: false,
      newest: collected.first.then((results) =>
        expired(results) ? 'expired' : provisionalTimeline(results, view, deps.clock()),
      ),
      all: collected.all.then((results) => {
        reading.finished = true;
        return expired(results) ? 'expired' : mergeTimeline(results, view, deps.clock());
      }),
    };
    return reading;
  }

  return {
    async load(session, options = {}) {
      let reading = session.data.get(CACHE_KEY) as Reading | undefined;
      if (!reading || options.reload || deps.clock() - reading.at >= cacheMs) {
        reading = read(session);
        session.data.set(CACHE_KEY, reading);
        reading.all.catch(() => session.data.delete(CACHE_KEY));
      }
      if (options.newest === undefined || reading.finished) return reading.all;
      const newest = await reading.newest;
      const enough = newest === 'expired' || newest.complete || newest.entries.length >= options.newest;
      return enough ? newest : reading.all;
    },
  };
}

/** One reading of a citizen's log from every gateway. */
interface Reading {
  readonly at: number;
  /** Every record is in: the whole timeline is at hand. */
  finished: boolean;
  /** The newest part, once every gateway's first page is in. */
  readonly newest: Promise<Timeline | 'expired'>;
  /** Everything. */
  readonly all: Promise<Timeline | 'expired'>;
}
