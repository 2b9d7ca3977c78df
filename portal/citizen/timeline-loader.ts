import type { CheckpointCache, WitnessedCheckpoint } from '../../audit/index.ts';
import { EinmalError, type Logger } from '../../core/index.ts';
import type { FederationView } from '../federation/federation-view.ts';
import type { GatewayClient } from '../federation/gateway-client.ts';
import type { Session } from '../session/session-store.ts';
import { collectCitizenRecords } from './collect-timeline.ts';
import { mergeTimeline, type Timeline } from './timeline.ts';

export interface TimelineLoader {
  /**
   * The session citizen's timeline: read from every gateway, or the one read within the last
   * `cacheMs` (paging, filters and downloads then cost nothing). `expired` when the gateways say the
   * citizen's login has expired.
   */
  load(session: Session, options?: { reload?: boolean }): Promise<Timeline | 'expired'>;
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

  async function read(session: Session): Promise<Timeline | 'expired'> {
    const view = deps.federation();
    const user = session.user;
    if (!view || !user) throw new EinmalError('Directory.Unavailable');
    const results = await collectCitizenRecords({
      view,
      client: deps.client,
      token: user.accessToken,
      subject: user.subject,
      checkpoints: cacheFor(view),
      clock: deps.clock,
      log: deps.log,
    });
    if (results.some((r) => r.notice?.refusal === 'expired')) return 'expired';
    return mergeTimeline(results, view, deps.clock());
  }

  return {
    async load(session, options = {}) {
      const cached = session.data.get(CACHE_KEY) as
        | { at: number; timeline: Promise<Timeline | 'expired'> }
        | undefined;
      if (cached && !options.reload && deps.clock() - cached.at < cacheMs) return cached.timeline;
      const timeline = read(session);
      session.data.set(CACHE_KEY, { at: deps.clock(), timeline });
      timeline.catch(() => session.data.delete(CACHE_KEY));
      return timeline;
    },
  };
}
