/** The result record both search engines end with (ExploreResult in search.ts). */
import type { ExploreOptions, ExploreResult } from './search';
import { describeBound } from './scope';
import { goalReport } from './goals';

/** What an engine knows when it ends: the result without what the options and the clock give. */
export type Ending = Pick<ExploreResult, 'verdict' | 'stopped' | 'violation' | 'actions' | 'states' | 'transitions' | 'depth' | 'peakMemoryBytes'> & {
  engine: 'packed' | 'core';
  /** Goals reached (goals.ts bits). */
  reachedMask: number;
};

/** The result of a finished search; seconds and the rate are filled in by withTime(). */
export function searchResult(options: ExploreOptions, e: Ending): ExploreResult {
  return {
    variant: options.variant.name,
    bound: options.bound,
    boundText: describeBound(options.bound),
    verdict: e.verdict,
    ...(e.stopped ? { stopped: e.stopped } : {}),
    ...(e.violation ? { violation: e.violation } : {}),
    ...(e.actions ? { actions: e.actions } : {}),
    states: e.states,
    transitions: e.transitions,
    depth: e.depth,
    seconds: 0,
    statesPerSecond: 0,
    peakMemoryBytes: e.peakMemoryBytes,
    engine: e.engine,
    reached: goalReport(options.variant, e.reachedMask),
  };
}

/** The result with the time the search ran and its states per second. */
export function withTime(out: ExploreResult | null, seconds: number): ExploreResult {
  if (!out) throw new Error('the search is not over');
  return { ...out, seconds, statesPerSecond: Math.round(out.states / Math.max(seconds, 1e-6)) };
}
