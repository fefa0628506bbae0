// Long computations (full-scale costs, the explorer, and the work on a workspace's input:
// ./input_jobs.ts) off the extension host's thread: in a worker
// thread in the Node host (jobs.node.ts, worker.ts), in a Web Worker in the web-worker host
// (jobs.web.ts, worker.web.ts). This file is what both sides share and needs neither vscode nor
// Node: the job and message shapes, what a worker does with a job (runJob), the host's side of a
// worker (jobsInWorkers), and the fallback on the host's own thread in slices (inThreadJobs).
import { splitFlushesPer64G } from '../review/compare';
import { ResourceLimitError } from '../model/errors';
import { counterexampleScenario } from '../explore/counterexample';
import { Search } from '../explore/search';
import type { ExploreResult } from '../explore/result';
import { ProgressMeter, type Progress, type SearchCounts } from '../explore/progress';
import { describeBound, type Bound } from '../explore/scope';
import { parseVariant } from '../kernel/variants';
import { inputRefusal, runInputJob, type InputJob, type InputJobValue } from './input_jobs';

export interface Cancel {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface ExploreJobResult {
  result: ExploreResult;
  /** The counterexample as a scenario file's JSON, when there is one. */
  scenario?: Record<string, unknown>;
}

/** How a job ended: its value, cancelled, stopped at a cap (the reason says which and where), or its input refused (the reason says what is wrong and where). */
export type JobOutcome<T> = { kind: 'done'; value: T } | { kind: 'cancelled' } | { kind: 'stopped'; reason: string } | { kind: 'refused'; reason: string };

/** Limits a job runs under (the setting kvmMmuLab.jobMemoryCapMiB). */
export interface JobLimits {
  maxMemoryBytes: number;
}

export interface Jobs {
  /** Where the jobs run, for the log and the views ("a worker thread"). */
  readonly where: string;
  /** Split flushes per 64 GiB guest for each variant (by name). */
  fullScale(variants: string[], limits: JobLimits, onEach: (done: number) => void, cancel: Cancel): Promise<JobOutcome<number[]>>;
  /** One bounded search; an incomplete result with stopped "cancelled" when cancelled, or the cap it stopped at. Progress after each slice (src/explore/progress.ts). */
  explore(variant: string, bound: Bound, limits: JobLimits, onProgress: (p: Progress) => void, cancel: Cancel): Promise<ExploreJobResult>;
  /** Work on an input (a scenario parsed, a walk checked, presets compared, a patch reviewed): its value, or why not. */
  input<J extends InputJob>(job: J, limits: JobLimits, cancel: Cancel): Promise<JobOutcome<InputJobValue[J['kind']]>>;
}

export type WorkerJob = ({ kind: 'fullScale'; variants: string[] } | { kind: 'explore'; variant: string; bound: Bound } | InputJob) & JobLimits;

/** What a worker posts back: progress, then one of result, stopped (a cap) or failed. */
export type WorkerMessage =
  | { type: 'progress'; done: number }
  | { type: 'progress'; progress: Progress }
  | { type: 'result'; value: unknown }
  | { type: 'stopped'; reason: string }
  | { type: 'refused'; reason: string }
  | { type: 'failed'; message: string };

/** What a worker does with one job (worker.ts, worker.web.ts): runs it to the end, posting as it goes. `memoryUsed` is the host's measure, if it has one. */
export function runJob(job: WorkerJob, post: (message: WorkerMessage) => void, memoryUsed?: () => number): void {
  try {
    if (job.kind === 'fullScale') {
      const out: number[] = [];
      for (const v of job.variants) {
        out.push(splitFlushesPer64G(parseVariant(v), { maxMemoryBytes: job.maxMemoryBytes, ...(memoryUsed ? { memoryUsed } : {}) }));
        post({ type: 'progress', done: out.length });
      }
      post({ type: 'result', value: out });
    } else if (job.kind !== 'explore') {
      // Said first, so that a worker that dies now (out of memory) is not taken for one that never started.
      post({ type: 'progress', done: 0 });
      post({ type: 'result', value: runInputJob(job, { maxMemoryBytes: job.maxMemoryBytes, ...(memoryUsed ? { memoryUsed } : {}) }) });
    } else {
      const search = new Search({ variant: parseVariant(job.variant), bound: job.bound, maxMemoryBytes: job.maxMemoryBytes, ...(memoryUsed ? { memoryUsed } : {}) });
      const meter = new ProgressMeter();
      while (!search.run(200)) post({ type: 'progress', progress: meter.report(search.progress()) });
      post({ type: 'result', value: exploreResultWithScenario(job.variant, job.bound, search.result()) });
    }
  } catch (error) {
    const refused = inputRefusal(error);
    if (error instanceof ResourceLimitError) post({ type: 'stopped', reason: error.message });
    else if (refused !== undefined) post({ type: 'refused', reason: refused });
    else post({ type: 'failed', message: (error as Error).stack ?? String(error) });
  }
}

/** A worker of either kind, as jobsInWorkers drives it. */
export interface JobWorker {
  onMessage(listener: (message: unknown) => void): void;
  /** The worker failed or exited before it answered. */
  onFailure(listener: (error: Error) => void): void;
  terminate(): void;
}

/** Why a value from a worker is not a WorkerMessage, or undefined when it is one. */
export function checkWorkerMessage(value: unknown): string | undefined {
  if (typeof value !== 'object' || value === null) return 'not an object';
  const m = value as Record<string, unknown>;
  switch (m.type) {
    case 'progress':
      return typeof m.done === 'number' || (typeof m.progress === 'object' && m.progress !== null) ? undefined : 'progress without done or progress';
    case 'result':
      return 'value' in m ? undefined : 'result without a value';
    case 'stopped':
    case 'refused':
    case 'failed':
      return typeof (m.reason ?? m.message) === 'string' ? undefined : `${m.type} without its text`;
    default:
      return `unknown type ${JSON.stringify(m.type)}`;
  }
}

/** The worker could not be started, or failed before it said anything: the host may run the job another way. */
export class WorkerStartError extends Error {
  override name = 'WorkerStartError';
}

/** Starts a worker for a job, at once or once its script is at hand. */
export type StartWorker = (job: WorkerJob) => JobWorker | Promise<JobWorker>;

/** Runs one job in a worker from `start`: progress to `onProgress`; a cancellation terminates the worker at once. */
export async function runInWorker<T>(start: StartWorker, job: WorkerJob, onProgress: (m: WorkerMessage & { type: 'progress' }) => void, cancel: Cancel): Promise<JobOutcome<T>> {
  if (cancel.isCancellationRequested) return { kind: 'cancelled' };
  let worker: JobWorker;
  try {
    worker = await start(job);
  } catch (error) {
    throw new WorkerStartError((error as Error).message ?? String(error));
  }
  return new Promise<JobOutcome<T>>((resolve, reject) => {
    let settled = false;
    let heard = false;
    const settle = (outcome: JobOutcome<T> | Error) => {
      if (settled) return;
      settled = true;
      sub.dispose();
      worker.terminate();
      if (outcome instanceof Error) reject(outcome);
      else resolve(outcome);
    };
    const sub = cancel.onCancellationRequested(() => settle({ kind: 'cancelled' }));
    if (cancel.isCancellationRequested) return settle({ kind: 'cancelled' });
    worker.onMessage((value) => {
      heard = true;
      const problem = checkWorkerMessage(value);
      if (problem) return settle(new Error(`the job's worker sent a message that is not one: ${problem}`));
      const m = value as WorkerMessage;
      if (m.type === 'progress') onProgress(m);
      else if (m.type === 'result') settle({ kind: 'done', value: m.value as T });
      else if (m.type === 'stopped') settle({ kind: 'stopped', reason: m.reason });
      else if (m.type === 'refused') settle({ kind: 'refused', reason: m.reason });
      else settle(new Error(`the job failed in its worker: ${m.message}`));
    });
    worker.onFailure((error) => settle(heard ? error : new WorkerStartError(error.message)));
  });
}

function cancelledExplore(variant: string, bound: Bound, p?: SearchCounts): ExploreJobResult {
  return { result: { variant, bound, boundText: describeBound(bound), verdict: 'incomplete', stopped: 'cancelled', states: p?.states ?? 0, transitions: p?.transitions ?? 0, depth: p?.depth ?? 0, seconds: p?.seconds ?? 0, statesPerSecond: 0, peakMemoryBytes: 0 } };
}

/** The jobs in workers that `start` makes (a worker thread, a Web Worker). */
export function jobsInWorkers(where: string, start: StartWorker): Jobs {
  return {
    where,
    fullScale: (variants, limits, onEach, cancel) => runInWorker<number[]>(start, { kind: 'fullScale', variants, ...limits }, (m) => 'done' in m && onEach(m.done), cancel),
    async explore(variant, bound, limits, onProgress, cancel) {
      const r = await runInWorker<ExploreJobResult>(start, { kind: 'explore', variant, bound, ...limits }, (m) => 'progress' in m && onProgress(m.progress), cancel);
      if (r.kind === 'done') return r.value;
      // The search reports its own caps as an incomplete result; a worker's "stopped" is a cap the run hit outside it.
      return r.kind === 'cancelled' ? cancelledExplore(variant, bound) : { result: { ...cancelledExplore(variant, bound).result, stopped: r.reason } };
    },
    input: (job, limits, cancel) => runInWorker(start, { ...job, ...limits }, () => {}, cancel),
  };
}

const yieldToHost = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** What a worker or the in-thread runner does for one explore job. */
export function exploreResultWithScenario(variant: string, bound: Bound, result: ExploreResult): ExploreJobResult {
  return result.verdict === 'violation' && result.actions ? { result, scenario: counterexampleScenario(parseVariant(variant), bound, result.actions, result.violation) } : { result };
}

/**
 * The jobs on the extension host's own thread, in slices between which the host answers other
 * requests and a cancellation is seen: the web-worker host's fallback when it cannot start a Web
 * Worker. A full-scale variant is one slice (about a second); its memory cap counts the state.
 */
export const inThreadJobs: Jobs = {
  where: 'the extension host thread, in slices',
  async fullScale(variants, limits, onEach, cancel) {
    const out: number[] = [];
    for (const v of variants) {
      await yieldToHost();
      if (cancel.isCancellationRequested) return { kind: 'cancelled' };
      try {
        out.push(splitFlushesPer64G(parseVariant(v), limits));
      } catch (error) {
        if (error instanceof ResourceLimitError) return { kind: 'stopped', reason: error.message };
        throw error;
      }
      onEach(out.length);
    }
    return { kind: 'done', value: out };
  },
  // No measure of the heap on this thread, so no memory cap here: the search's state cap applies.
  async explore(variant, bound, _limits, onProgress, cancel) {
    const search = new Search({ variant: parseVariant(variant), bound });
    const meter = new ProgressMeter();
    while (!search.run(50)) {
      onProgress(meter.report(search.progress()));
      await yieldToHost();
      if (cancel.isCancellationRequested) return cancelledExplore(variant, bound, search.progress());
    }
    return exploreResultWithScenario(variant, bound, search.result());
  },
  // One slice: the host is not free while it runs. The walk's memory cap counts the state.
  async input<J extends InputJob>(job: J, limits: JobLimits, cancel: Cancel): Promise<JobOutcome<InputJobValue[J['kind']]>> {
    await yieldToHost();
    if (cancel.isCancellationRequested) return { kind: 'cancelled' };
    try {
      return { kind: 'done', value: runInputJob(job, limits) };
    } catch (error) {
      const refused = inputRefusal(error);
      if (error instanceof ResourceLimitError) return { kind: 'stopped', reason: error.message };
      if (refused !== undefined) return { kind: 'refused', reason: refused };
      throw error;
    }
  },
};
