/**
 * Stepping through a run forwards and backwards. The run is done once, keeping its steps and a
 * checkpoint of the whole machine every `interval` steps; the state after any step is the nearest
 * checkpoint replayed forward, at most `interval` steps, so stepping back costs what stepping
 * forward does. The core is deterministic, so the replay is the run.
 */
import { ScenarioRun, type RunOptions, type RunSnapshot } from '../engine/runner';
import type { Scenario } from '../scenario/types';
import { cloneState, type MmuState } from '../state';
import type { Step, Violation } from './types';

export class Walkthrough {
  readonly steps: Step[];
  readonly violations: Violation[];
  private readonly checkpoints: RunSnapshot[] = [];
  private replay: ScenarioRun;
  /**
   * States after the steps of the last checkpoint window walked back into, so that stepping
   * back one step at a time replays once per window, not once per step.
   */
  private window = new Map<number, MmuState>();

  constructor(readonly scenario: Scenario, readonly options: RunOptions, readonly interval = 16) {
    const run = new ScenarioRun(scenario, options);
    this.checkpoints.push(run.snapshot());
    while (run.step()) {
      if (run.machine.stepCount % interval === 0) this.checkpoints.push(run.snapshot());
    }
    this.steps = run.machine.steps;
    this.violations = run.machine.violations;
    // The replay only rebuilds states: the steps, their writes and the checks were had in the run.
    this.replay = new ScenarioRun(scenario, { ...options, checks: { keepSteps: false, recordWrites: false, unmapped: false, permissions: false } });
  }

  get length(): number {
    return this.steps.length;
  }

  /**
   * The state after step `index` (-1: before the first step). It is the replay's live state:
   * read it, do not change it, and do not keep it across calls.
   */
  stateAfter(index: number): MmuState {
    if (index < -1 || index >= this.steps.length) throw new RangeError(`no step ${index}; the run has ${this.steps.length}`);
    const want = index + 1;
    const done = this.replay.machine.stepCount;
    if (want === done) return this.replay.machine.state;
    const kept = this.window.get(want);
    if (kept) return kept;
    if (want < done || want - done > this.interval) {
      const cp = this.checkpoints[Math.floor(want / this.interval)];
      this.replay.restore(cp);
      if (want < done) {
        // Going back: keep every state of this window on the way to `want`.
        this.window.clear();
        this.window.set(cp.stepCount, cloneState(this.replay.machine.state));
        while (this.replay.machine.stepCount < want) {
          this.replay.step();
          this.window.set(this.replay.machine.stepCount, cloneState(this.replay.machine.state));
        }
        return this.replay.machine.state;
      }
    }
    while (this.replay.machine.stepCount < want) this.replay.step();
    return this.replay.machine.state;
  }
}
