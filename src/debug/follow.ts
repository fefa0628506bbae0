/**
 * The walk panel following a debug session: which step of which run the panel shows when the
 * session stops. The debugger's position p is "stopped before step p" (after p steps); the walk's
 * index i is "step i done" (after i + 1 steps, -1 before the first). The panel shows the machine
 * the Variables view shows, so a stop at p is the walk at p - 1: the step just done, its writes
 * and its checks, with the step about to run (the debugger's top frame) said beside it. A stop
 * after a step (a violation, a data breakpoint going forward) is at p = k + 1, so the panel shows
 * step k itself. docs/debugging.md, "The panel follows the session".
 */
import type { RunOptions } from '../run/runner';
import type { Scenario } from '../scenario/types';

/** A run: a scenario under options, as the session's Timeline and the walk's WalkSession hold it. */
export interface RunKey {
  scenario: Scenario;
  options: RunOptions;
}

/** What the walk shows at a stop of the debug session. */
export interface FollowPoint extends RunKey {
  /** The walk's index: the last step done (-1 before the first), the machine the Variables view shows. */
  index: number;
  /** The step about to run (the debugger's top frame), or undefined at the end of the run. */
  next: number | undefined;
  /** Steps in the run. */
  total: number;
}

/** The walk's index at the debugger's position `pos` in a run of `total` steps. */
export function walkIndexAt(pos: number, total: number): number {
  if (!Number.isInteger(pos) || pos < 0 || pos > total) throw new RangeError(`no position ${pos} in a run of ${total} steps`);
  return pos - 1;
}

/** The point the walk follows at position `pos` of this run. */
export function followPoint(run: RunKey, pos: number, total: number): FollowPoint {
  return { scenario: run.scenario, options: run.options, index: walkIndexAt(pos, total), next: pos < total ? pos : undefined, total };
}

/**
 * Whether two runs take the same steps: the same scenario (by value: a file read twice is the
 * same scenario) under the same policies, flush mode, split yield and check strength. The step
 * caps may differ (the walk's is lower): a run is deterministic, so the shorter is a prefix.
 */
export function sameRun(a: RunKey, b: RunKey): boolean {
  if (a === b) return true;
  const key = (r: RunKey) => JSON.stringify({
    scenario: r.scenario,
    // The name is the preset's or the list's; the policies are what the steps depend on.
    variant: { ...r.options.variant, name: undefined },
    flushMode: r.options.flushMode ?? r.scenario.flushMode,
    splitYield: r.options.splitYield ?? r.scenario.splitYield,
    permissions: r.options.checks?.permissions !== false,
    unmapped: r.options.checks?.unmapped !== false,
  });
  return key(a) === key(b);
}
