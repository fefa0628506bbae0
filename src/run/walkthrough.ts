/**
 * Stepping through a run forwards and backwards. The run is done once, keeping its steps and a
 * checkpoint of the whole machine every `interval` steps (checkpoints.ts); the state after any
 * step is the nearest checkpoint replayed forward, at most `interval` steps. The core is
 * deterministic, so the replay is the run.
 *
 * So that stepping back costs what stepping forward does (one step and one copy of the state),
 * not a whole window's replay at once every `interval` steps:
 *   - stepping forward keeps a copy of each state of the window it is in, so the first steps back
 *     find them;
 *   - stepping back builds the window before the current one in a second replay, a few steps per
 *     step back (as many as it must to be done by the time the walk gets there), and takes it over
 *     when the walk enters it.
 * A jump elsewhere (Run to Violation, Restart, a variant switch) replays from the nearest
 * checkpoint once, keeping the states it passes.
 * With each state it keeps the operations then in flight and what each has write-protected: the
 * permissions strength's open hazards are judged against them (src/view/snapshot.ts).
 */
import type { ScenarioRun, RunOptions, RunSnapshot } from './runner';
import { recordRun, replayRun } from './checkpoints';
import type { Scenario } from '../scenario/types';
import { cloneState, type MmuState } from '../model/state';
import type { Step, Violation } from '../model/step';

/** An operation started and not yet ended at a step, with the gfn ranges it has write-protected so far. */
export interface InFlightOp {
  opIndex: number;
  label: string;
  reduced: Array<[number, number]>;
}

/** What the walk knows after a step: the machine's state and the operations in flight. */
export interface WalkPoint {
  state: MmuState;
  inFlight: InFlightOp[];
}

/** A checkpoint window's points, by step count (the point after step count - 1). */
interface Window {
  index: number;
  states: Map<number, WalkPoint>;
}

/** A copy of a run's point (its in-flight operations' ranges are copied: later steps extend them in place). */
function pointOf(run: ScenarioRun, copy: boolean): WalkPoint {
  const inFlight = run.inFlight().map((f) => ({ opIndex: f.opIndex, label: f.label, reduced: f.reduced.map(([g, n]) => [g, n] as [number, number]) }));
  return { state: copy ? cloneState(run.machine.state) : run.machine.state, inFlight };
}

export class Walkthrough {
  readonly steps: Step[];
  readonly violations: Violation[];
  private readonly checkpoints: RunSnapshot[];
  private replay: ScenarioRun;
  /** The window the walk is in: the states it has been through (forward) or built (back). */
  private window: Window = { index: -1, states: new Map() };
  /** The window before it, being built while the walk steps back. */
  private ahead: { run: ScenarioRun; window: Window } | undefined;
  private lastWant = 0;

  constructor(readonly scenario: Scenario, readonly options: RunOptions, readonly interval = 16) {
    ({ steps: this.steps, violations: this.violations, checkpoints: this.checkpoints } = recordRun(scenario, options, interval));
    this.replay = replayRun(scenario, options);
  }

  get length(): number {
    return this.steps.length;
  }

  /** Steps the replay forward to `want`, keeping a copy of each state of the window it ends in. */
  private replayTo(want: number): void {
    const r = this.replay;
    const keep = () => {
      const at = r.machine.stepCount;
      const index = Math.floor(at / this.interval);
      if (this.window.index !== index) this.window = { index, states: new Map() };
      this.window.states.set(at, pointOf(r, true));
    };
    if (Math.floor(r.machine.stepCount / this.interval) === Math.floor(want / this.interval)) keep();
    while (r.machine.stepCount < want) {
      r.step();
      if (Math.floor(r.machine.stepCount / this.interval) === Math.floor(want / this.interval)) keep();
    }
  }

  /**
   * The state after step `index` (-1: before the first step). It is one of the replay's states:
   * read it, do not change it, and do not keep it across calls.
   */
  stateAfter(index: number): MmuState {
    return this.pointAfter(index).state;
  }

  /** The state after step `index` and the operations in flight then; the state as stateAfter() says. */
  pointAfter(index: number): WalkPoint {
    if (index < -1 || index >= this.steps.length) throw new RangeError(`no step ${index}; the run has ${this.steps.length}`);
    const want = index + 1;
    const back = want < this.lastWant;
    this.lastWant = want;
    const win = Math.floor(want / this.interval);
    const done = this.replay.machine.stepCount;
    let point: WalkPoint;
    if (want === done) point = pointOf(this.replay, false);
    else if (this.window.index === win && this.window.states.has(want)) point = this.window.states.get(want)!;
    else if (this.ahead?.window.index === win && this.ahead.window.states.size === this.windowSize(win)) {
      // Stepped back into the window built ahead: it becomes the walk's.
      this.window = this.ahead.window;
      this.ahead = undefined;
      point = this.window.states.get(want)!;
    } else {
      if (want < done || want - done > this.interval) this.replay.restore(this.checkpoints[win]);
      this.replayTo(want);
      point = pointOf(this.replay, false);
    }
    if (back) this.buildAhead(win, want);
    return point;
  }

  /** How many states window `win` has (the last one may be short). */
  private windowSize(win: number): number {
    return Math.min(this.interval, this.steps.length + 1 - win * this.interval);
  }

  /** Stepping back in window `win` at `want`: build some of window win - 1, enough to finish it by the time the walk gets there. */
  private buildAhead(win: number, want: number): void {
    if (win === 0) return;
    const target = win - 1;
    if (this.ahead?.window.index !== target) {
      const run = this.ahead?.run ?? replayRun(this.scenario, this.options);
      run.restore(this.checkpoints[target]);
      this.ahead = { run, window: { index: target, states: new Map([[run.machine.stepCount, pointOf(run, true)]]) } };
    }
    const { run, window } = this.ahead;
    const left = this.windowSize(target) - window.states.size;
    // Steps back before the walk leaves this window: want - win * interval (at least one).
    const units = Math.ceil(left / Math.max(1, want - win * this.interval));
    for (let k = 0; k < units && run.machine.stepCount < (target + 1) * this.interval - 1; k++) {
      run.step();
      window.states.set(run.machine.stepCount, pointOf(run, true));
    }
  }
}
