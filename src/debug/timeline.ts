/**
 * A run as a debugger sees it: positions 0..length, position p being "stopped before step p"
 * (after p steps). The run is done once, keeping its steps and a checkpoint every `interval` steps
 * (run/checkpoints.ts, as the walk does); the point at any position is its checkpoint replayed
 * forward (the core is deterministic, so the replay is the run). Stepping back is going to p - 1 the same way. Unlike the walk's
 * Walkthrough, a point here carries the operations' frames (RunSnapshot), whose locals the
 * Variables view shows.
 */
import type { ScenarioRun, RunOptions, RunSnapshot } from '../run/runner';
import { recordRun, replayRun } from '../run/checkpoints';
import type { Scenario } from '../scenario/types';
import type { Step, Violation } from '../model/step';
import type { OpFrame } from '../model/frames';
import type { MmuState } from '../model/state';

export class Timeline {
  readonly steps: readonly Step[];
  readonly violations: readonly Violation[];
  private readonly checkpoints: RunSnapshot[];
  private readonly replay: ScenarioRun;
  /** The last two points asked for: the current one and the one before it (for "changed" marks). */
  private cache: Array<{ pos: number; point: RunSnapshot }> = [];

  constructor(readonly scenario: Scenario, readonly options: RunOptions, readonly interval = 16) {
    ({ steps: this.steps, violations: this.violations, checkpoints: this.checkpoints } = recordRun(scenario, options, interval));
    this.replay = replayRun(scenario, options);
  }

  get length(): number {
    return this.steps.length;
  }

  /** The machine after `pos` steps (0: before the first), with the operations' frames. Read it; do not change it. */
  at(pos: number): RunSnapshot {
    if (!Number.isInteger(pos) || pos < 0 || pos > this.length) throw new RangeError(`no position ${pos}; the run has ${this.length} steps`);
    const hit = this.cache.find((c) => c.pos === pos);
    if (hit) return hit.point;
    const r = this.replay;
    const cp = Math.floor(pos / this.interval);
    // Forward from where the replay is, when that is on the way; else from the checkpoint.
    if (r.machine.stepCount > pos || r.machine.stepCount < cp * this.interval) r.restore(this.checkpoints[cp]);
    while (r.machine.stepCount < pos) r.step();
    const point = r.snapshot();
    this.cache = [{ pos, point }, ...this.cache].slice(0, 3);
    return point;
  }

  /**
   * Replays the whole run once from its start, calling `visit` with the state after 0, 1, ...
   * steps (data breakpoints read their values here). The state is the replay's own: read it
   * during the call, do not keep it. A run separate from `at()`'s, so the cached points stay.
   */
  scan(visit: (done: number, state: MmuState) => void): void {
    const r = replayRun(this.scenario, this.options);
    visit(0, r.machine.state);
    while (r.machine.stepCount < this.length && r.step()) visit(r.machine.stepCount, r.machine.state);
  }

  /** The frame of operation `opIndex` at `pos`, when it is in flight (running or paused). */
  frameAt(pos: number, opIndex: number): OpFrame | undefined {
    const p = this.at(pos);
    if (p.current?.opIndex === opIndex) return p.current;
    return p.paused.find(([, f]) => f.opIndex === opIndex)?.[1];
  }
}
