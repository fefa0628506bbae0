// The Node host's worker thread (dist/worker.js): runs one job that extension/jobs.node.ts sent it
// and posts progress and the result. Only the core and Node; no vscode.
import { parentPort, workerData } from 'node:worker_threads';
import { splitFlushesPer64G } from '../src/compare';
import { Search } from '../src/explore/search';
import type { Bound } from '../src/explore/scope';
import { parseVariant } from '../src/variants';
import { exploreResultWithScenario } from './jobs';

export type WorkerJob = { kind: 'fullScale'; variants: string[] } | { kind: 'explore'; variant: string; bound: Bound };

const job = workerData as WorkerJob;
const port = parentPort!;
if (job.kind === 'fullScale') {
  const out: number[] = [];
  for (const v of job.variants) {
    out.push(splitFlushesPer64G(parseVariant(v)));
    port.postMessage({ type: 'progress', done: out.length });
  }
  port.postMessage({ type: 'result', value: out });
} else {
  const search = new Search({ variant: parseVariant(job.variant), bound: job.bound, memoryUsed: () => process.memoryUsage().heapUsed, maxMemoryBytes: 1024 * 2 ** 20 });
  while (!search.run(200)) port.postMessage({ type: 'progress', progress: search.progress() });
  port.postMessage({ type: 'result', value: exploreResultWithScenario(job.variant, job.bound, search.result()) });
}
