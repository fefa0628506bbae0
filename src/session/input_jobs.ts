// The work on a workspace's input that the extension used to do on its host's thread: parsing a
// scenario file, running a walk's scenario once, comparing the presets on a scenario, reviewing a
// patch. Each is run as a long job (./jobs.ts: a worker thread, a Web Worker), so a file that
// would freeze or exhaust the CLI freezes or exhausts a worker, which the host terminates, and
// never the host. What the input does wrong comes back as a refusal with the parser's or the
// runner's message (file:line:column, the operation and its line), not as a failure of the job.
import type { SourceFile } from '../anchor/anchor';
import { ModelInputError } from '../model/errors';
import type { FlushMode } from '../model/modes';
import { compareVariants, type CompareRow } from '../review/compare';
import { reviewPatch, type PatchReviewView } from '../review/review';
import { ScenarioRun, ScenarioRunError, type RunOptions } from '../run/runner';
import { PRESETS } from '../kernel/variants';
import { Walkthrough } from '../run/walkthrough';
import { parseScenario, ScenarioError } from '../scenario/parse';
import type { Scenario } from '../scenario/types';
import { withEntries } from './session';

/**
 * The most steps a walk may have. The walk keeps every step (and a copy of the state every 16) on
 * the host, which builds it again after the job has run it: a scenario longer than this is refused
 * by the job, and the host's own run stops there too. The built-in scenarios take at most 2,615 steps.
 */
export const WALK_MAX_STEPS = 1_000_000;

/** Steps between two copies of the state in a walk (Walkthrough's interval), and between two memory checks in a walk's job. */
export const WALK_CHECKPOINT_INTERVAL = 16;

/** What a walk's check returns: the run fits, with this many steps and violations. */
export interface WalkCheck {
  steps: number;
  violations: number;
}

/** The work on an input, as a job (its kind names it). */
export type InputJob =
  | { kind: 'scenario'; text: string; file: string; entries: number | null }
  | { kind: 'walk'; scenario: Scenario; options: RunOptions; /** WALK_MAX_STEPS when not given (tests give less). */ maxSteps?: number }
  | { kind: 'compare'; scenario: Scenario; flushMode: FlushMode | undefined }
  | { kind: 'review'; text: string; name: string; tree: SourceFile[] };

/** What each kind of input job gives back. */
export interface InputJobValue {
  scenario: Scenario;
  walk: WalkCheck;
  compare: CompareRow[];
  review: PatchReviewView;
}

export const INPUT_JOB_KINDS: readonly InputJob['kind'][] = ['scenario', 'walk', 'compare', 'review'];

/** The memory a job may use: the cap, and the host's measure of it (the state's own size when there is none). */
export interface InputLimits {
  maxMemoryBytes: number;
  memoryUsed?: () => number;
}

/** Runs one input job to its value; throws what the parser or the runner throws. */
export function runInputJob<J extends InputJob>(job: J, limits: InputLimits): InputJobValue[J['kind']] {
  return run(job, limits) as InputJobValue[J['kind']];
}

function run(job: InputJob, limits: InputLimits): InputJobValue[InputJob['kind']] {
  switch (job.kind) {
    case 'scenario':
      return parseScenario(withEntries(job.text, job.entries), job.file);
    case 'walk': {
      // The walk as the host builds it (every step, a copy of the state every 16), under the job's
      // cap, checked as often as it takes a copy: the copies are typed arrays as large as the
      // memslots, outside the V8 heap the worker's heap limit counts, so a check every 4096 steps
      // (the runner's default) let a 16 GiB memslot's 2,605 steps hold 3.6 GB unchecked.
      const w = new Walkthrough(job.scenario, { ...job.options, maxSteps: job.maxSteps ?? WALK_MAX_STEPS, memoryCheckSteps: WALK_CHECKPOINT_INTERVAL, ...limits }, WALK_CHECKPOINT_INTERVAL);
      return { steps: w.length, violations: w.violations.length };
    }
    case 'compare':
      // Each preset's run keeps no steps, so it holds about one state: refuse one over the cap first.
      firstStepWithin(job.scenario, limits);
      return compareVariants(job.scenario, job.flushMode);
    case 'review':
      return reviewPatch(job.text, job.name, job.tree);
  }
}

/** Builds the scenario's initial state and takes one step, its memory checked: a ResourceLimitError when that is over the cap. */
function firstStepWithin(scenario: Scenario, limits: InputLimits): void {
  new ScenarioRun(scenario, { variant: PRESETS[0], checks: { keepSteps: false }, memoryCheckSteps: 1, ...limits }).step();
}

/** The message of an error that the input caused (it says what is wrong and where), or undefined for any other. */
export function inputRefusal(error: unknown): string | undefined {
  return error instanceof ScenarioError || error instanceof ScenarioRunError || error instanceof ModelInputError ? error.message : undefined;
}
