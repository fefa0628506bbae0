/**
 * A running search's progress as every front end shows it (the CLI's stderr line, the workbench's
 * notification): states, depth, rate and memory. The engines count (SearchCounts, their
 * progress()); the rate is worked out here once, by a ProgressMeter the front end keeps for the
 * search, from the counts alone: no clock is read here, so the arithmetic is the caller's seconds.
 * docs/explorer.md (Progress) says what each number means.
 */

/** What an engine knows at one moment (CoreSearch, PackedSearch, the parallel coordinator). */
export interface SearchCounts {
  /** Distinct states found so far (the visited set, the initial state included). */
  states: number;
  transitions: number;
  /** The breadth-first level being expanded. */
  depth: number;
  /** States found and not yet expanded; -1 when not known (several workers). */
  frontier: number;
  /** Seconds the search has worked (its own slices; the wall clock for several workers). */
  seconds: number;
  /**
   * The figure the memory cap is compared with, measured now: the same function the engine's cap
   * check calls (the core engine: the host's heap, or its own estimate without one; the packed
   * engine: its store or the host's heap, whichever is larger; several workers: their stores summed).
   */
  memoryBytes: number;
  /** The cap that figure stops the search at (incomplete), when there is one. */
  maxMemoryBytes?: number;
}

export interface Progress extends SearchCounts {
  /** States per second over the whole search so far: states / seconds. */
  statesPerSecond: number;
  /**
   * States per second over the last interval of at least RATE_INTERVAL_SECONDS of the search's
   * time; the whole search's rate until the first interval is over.
   */
  recentStatesPerSecond: number;
}

/**
 * The shortest interval a recent rate is measured over: shorter ones are noise (a slice is 50 to
 * 200 ms). Half a second, not one: the CLI's lines come a second apart by the wall clock, which is
 * a little more than a second of the search's own time (the time between slices is not counted),
 * so with one second an interval would end only every other line.
 */
export const RATE_INTERVAL_SECONDS = 0.5;

/** states / seconds, rounded; 0 before any time has passed (nothing to divide by). */
function rate(states: number, seconds: number): number {
  return seconds > 0 ? Math.round(states / seconds) : 0;
}

/**
 * The progress of one search, report after report: the counts, the whole search's rate, and the
 * rate since the start of the last whole interval. One meter a search (its reports in order).
 */
export class ProgressMeter {
  /** Where the current interval started: the search's start, then the report that ended the last interval. */
  private base = { states: 0, seconds: 0 };
  private recent: number | undefined;

  constructor(private readonly interval = RATE_INTERVAL_SECONDS) {}

  report(c: SearchCounts): Progress {
    const overall = rate(c.states, c.seconds);
    const span = c.seconds - this.base.seconds;
    if (span >= this.interval) {
      this.recent = rate(c.states - this.base.states, span);
      this.base = { states: c.states, seconds: c.seconds };
    }
    return { ...c, statesPerSecond: overall, recentStatesPerSecond: this.recent ?? overall };
  }
}
