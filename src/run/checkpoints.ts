/**
 * A run done once and kept for stepping through it: its steps, its violations and a snapshot of
 * the whole machine every `interval` steps. Any later point is the nearest checkpoint replayed
 * forward (the core is deterministic, so the replay is the run), in a replay run that only
 * rebuilds states. Shared by the walk (walkthrough.ts) and the debug session's timeline
 * (debug/timeline.ts), which differ only in what they keep of the points they replay to.
 */
import { ScenarioRun, type RunOptions, type RunSnapshot } from './runner';
import type { Scenario } from '../scenario/types';
import type { Step, Violation } from '../model/step';

export interface RecordedRun {
  steps: Step[];
  violations: Violation[];
  /** checkpoints[k]: the machine after k * interval steps. */
  checkpoints: RunSnapshot[];
}

/** Run the scenario to its end once, with its checks, keeping a checkpoint every `interval` steps. */
export function recordRun(scenario: Scenario, options: RunOptions, interval: number): RecordedRun {
  const run = new ScenarioRun(scenario, options);
  const checkpoints = [run.snapshot()];
  while (run.step()) {
    if (run.machine.stepCount % interval === 0) checkpoints.push(run.snapshot());
  }
  return { steps: run.machine.steps, violations: run.machine.violations, checkpoints };
}

/**
 * A run of the same scenario that only rebuilds states, from its start or a checkpoint restored:
 * the steps, their writes and the checks were had in recordRun()'s run.
 */
export function replayRun(scenario: Scenario, options: RunOptions): ScenarioRun {
  return new ScenarioRun(scenario, { ...options, checks: { keepSteps: false, recordWrites: false, unmapped: false, permissions: false } });
}
