/** What a search is asked (ExploreOptions) and the result record both engines end with. */
import type { Variant } from '../kernel/variants';
import type { Violation, ViolationKind } from '../model/step';
import { describeBound, type Bound } from './scope';
import { goalReport, type GoalReach } from './goals';

export interface ExploreOptions {
  variant: Variant;
  bound: Bound;
  /** Stop (verdict "incomplete") after this many distinct states. */
  maxStates?: number;
  /** Run the whole-state structural audit after every transition (slower; the per-step checks always run). */
  audit?: boolean;
  /** Bytes in use now; the CLI passes the process's heap use. Without it, the cap counts the search's own estimate (estimatedBytes). */
  memoryUsed?: () => number;
  /** Stop (verdict "incomplete") when memoryUsed() goes above this. */
  maxMemoryBytes?: number;
  /** Milliseconds clock (Date.now by default). */
  now?: () => number;
  /**
   * packed (the default, in both scopes): the packed model of the scope (packed/, packed_gt/), whose
   * counterexamples the core confirms; core: every transition run by the core itself (slower;
   * --audit and --until imply it: search.ts engineChoice()).
   */
  engine?: 'packed' | 'core';
  /**
   * Search on past violations of other kinds until one of this kind (the core engine): the kernel
   * goes on after a WARN (an rmap disagreement, a data-corruption report that only bugs the VM),
   * and what it then reaches, a use-after-free, is the report that matters.
   */
  until?: ViolationKind;
  /**
   * Hash compaction (the packed engine's single search): the visited set keeps a 64-bit hash of
   * each state, so a "no violation" is probabilistic (ExploreResult.hashCompaction; docs/explorer.md).
   */
  hashCompact?: boolean;
  /**
   * A reduction of the packed engine's single search: 'symmetry', the symmetry over the region's
   * pages (packed/page_symmetry.ts; docs/explorer.md, "Symmetry over pages"). The verdict, the
   * shortest counterexample's length and the goals reached are the unreduced search's; the
   * states are fewer. 'por', the partial-order reduction of guest accesses under mmu_lock
   * (packed/model.ts; docs/explorer.md, "Partial-order reduction"), keeps the same; 'symmetry,por'
   * takes both.
   */
  reduce?: Reduction;
}

/** The reductions of the packed engine's single search (ExploreOptions.reduce). */
export type Reduction = 'symmetry' | 'por' | 'symmetry,por';

/** The page symmetry is among the reductions. */
export function reducesBySymmetry(r: Reduction | undefined): boolean {
  return r === 'symmetry' || r === 'symmetry,por';
}

/** The partial-order reduction is among the reductions. */
export function reducesByPor(r: Reduction | undefined): boolean {
  return r === 'por' || r === 'symmetry,por';
}

export type Verdict = 'violation' | 'no violation within the bound' | 'incomplete';

export interface ExploreResult {
  variant: string;
  bound: Bound;
  boundText: string;
  verdict: Verdict;
  /** Why an incomplete search stopped. */
  stopped?: string;
  violation?: Violation;
  /** The counterexample as actions from the initial state (see model.ts). */
  actions?: number[];
  states: number;
  transitions: number;
  depth: number;
  seconds: number;
  statesPerSecond: number;
  peakMemoryBytes: number;
  /** Which engine searched (ExploreOptions.engine). */
  engine?: 'packed' | 'core';
  /**
   * Present when the core searched though the options did not name it, where the packed engine is
   * the default: why ("packed does not take --audit", "packed does not take --until"; search.ts
   * engineChoice()). The text says "core engine (packed does not take --audit)".
   */
  engineFallback?: string;
  /**
   * The hazard preconditions (goals.ts) that apply to the variant, each with whether some
   * transition of the search reached it: what a clean bound could not reach.
   */
  reached?: GoalReach[];
  /**
   * Present when the search ran with hash compaction: the hash's bits and the bound on the
   * probability that some state was taken as visited because its hash was another's (about
   * states^2 / 2^(bits + 1)). A violation is still certain (the core replayed it); a "no violation",
   * and that a counterexample is a shortest one, hold with that probability of error.
   */
  hashCompaction?: { hashBits: number; omissionBound: number };
  /** The reduction the search ran with (ExploreOptions.reduce), when one did. */
  reduce?: Reduction;
}

/** What an engine knows when it ends: the result without what the options and the clock give. */
export type Ending = Pick<ExploreResult, 'verdict' | 'stopped' | 'violation' | 'actions' | 'states' | 'transitions' | 'depth' | 'peakMemoryBytes' | 'hashCompaction'> & {
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
    reached: goalReport(options.variant, e.reachedMask, options.bound.scope),
    ...(e.hashCompaction ? { hashCompaction: e.hashCompaction } : {}),
    ...(options.reduce ? { reduce: options.reduce } : {}),
  };
}

/** The result with the time the search ran and its states per second. */
export function withTime(out: ExploreResult | null, seconds: number): ExploreResult {
  if (!out) throw new Error('the search is not over');
  return { ...out, seconds, statesPerSecond: Math.round(out.states / Math.max(seconds, 1e-6)) };
}
