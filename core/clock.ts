/**
 * What every einmal component reads the time from: milliseconds since the epoch, `Date.now` in
 * production. Injected wherever time matters, so tests can move it.
 */
export type Clock = () => number;

/** The clock of the machine. */
export const systemClock: Clock = Date.now;
