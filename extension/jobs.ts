// Long computations (full-scale costs, the explorer) off the extension host's thread where the host
// allows it. The Node entry (node.ts) runs them in a worker_threads Worker (dist/worker.js); the
// web-worker host runs them here, in slices between which the host stays responsive and a
// cancellation is seen.
import { splitFlushesPer64G } from '../src/compare';
import { counterexampleScenario } from '../src/explore/counterexample';
import { Search, type ExploreResult, type Progress } from '../src/explore/search';
import { describeBound, type Bound } from '../src/explore/scope';
import { parseVariant } from '../src/variants';

export interface Cancel {
  readonly isCancellationRequested: boolean;
  onCancellationRequested(listener: () => void): { dispose(): void };
}

export interface ExploreJobResult {
  result: ExploreResult;
  /** The counterexample as a scenario file's JSON, when there is one. */
  scenario?: Record<string, unknown>;
}

export interface Jobs {
  /** Where the jobs run, for the log and the views ("a worker thread"). */
  readonly where: string;
  /** Split flushes per 64 GiB guest for each variant (by name); undefined when cancelled. */
  fullScale(variants: string[], onEach: (done: number) => void, cancel: Cancel): Promise<number[] | undefined>;
  /** One bounded search; an incomplete result with stopped "cancelled" when cancelled. */
  explore(variant: string, bound: Bound, onProgress: (p: Progress) => void, cancel: Cancel): Promise<ExploreJobResult>;
}

const yieldToHost = () => new Promise<void>((resolve) => setTimeout(resolve, 0));

/** What a worker or the in-thread runner does for one explore job. */
export function exploreResultWithScenario(variant: string, bound: Bound, result: ExploreResult): ExploreJobResult {
  return result.verdict === 'violation' && result.actions ? { result, scenario: counterexampleScenario(parseVariant(variant), bound, result.actions, result.violation) } : { result };
}

/** The jobs on the extension host's own thread, in slices (the web-worker host). */
export const inThreadJobs: Jobs = {
  where: 'the extension host thread, in slices',
  async fullScale(variants, onEach, cancel) {
    const out: number[] = [];
    for (const v of variants) {
      await yieldToHost();
      if (cancel.isCancellationRequested) return undefined;
      out.push(splitFlushesPer64G(parseVariant(v)));
      onEach(out.length);
    }
    return out;
  },
  async explore(variant, bound, onProgress, cancel) {
    const search = new Search({ variant: parseVariant(variant), bound });
    while (!search.run(50)) {
      onProgress(search.progress());
      await yieldToHost();
      if (cancel.isCancellationRequested) {
        const p = search.progress();
        return { result: { variant, bound, boundText: describeBound(bound), verdict: 'incomplete', stopped: 'cancelled', states: p.states, transitions: p.transitions, depth: p.depth, seconds: p.seconds, statesPerSecond: 0, peakMemoryBytes: 0 } };
      }
    }
    return exploreResultWithScenario(variant, bound, search.result());
  },
};
