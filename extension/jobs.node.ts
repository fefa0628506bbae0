// The jobs of extension/jobs.ts in a worker_threads Worker (dist/worker.js): the Node host's thread
// stays free, and a cancellation terminates the worker at once.
import { Worker } from 'node:worker_threads';
import type * as vscode from 'vscode';
import { describeBound } from '../src/explore/scope';
import type { Cancel, ExploreJobResult, Jobs } from './jobs';
import type { WorkerJob } from './worker';

function runWorker<T>(script: string, job: WorkerJob, onProgress: (m: Record<string, unknown>) => void, cancel: Cancel): Promise<T | undefined> {
  return new Promise<T | undefined>((resolve, reject) => {
    const worker = new Worker(script, { workerData: job });
    let settled = false;
    const sub = cancel.onCancellationRequested(() => {
      if (settled) return;
      settled = true;
      void worker.terminate();
      resolve(undefined);
    });
    worker.on('message', (m: Record<string, unknown>) => {
      if (m.type === 'progress') onProgress(m);
      else if (m.type === 'result' && !settled) {
        settled = true;
        sub.dispose();
        resolve(m.value as T);
        void worker.terminate();
      }
    });
    worker.on('error', (e) => {
      if (settled) return;
      settled = true;
      sub.dispose();
      reject(e);
    });
    worker.on('exit', (code) => {
      if (settled) return;
      settled = true;
      sub.dispose();
      reject(new Error(`the worker thread exited with code ${code} before it answered`));
    });
  });
}

export function workerJobs(extensionUri: vscode.Uri): Jobs {
  const script = `${extensionUri.fsPath}/dist/worker.js`;
  return {
    where: 'a worker thread',
    fullScale: (variants, onEach, cancel) => runWorker<number[]>(script, { kind: 'fullScale', variants }, (m) => onEach(Number(m.done)), cancel),
    async explore(variant, bound, onProgress, cancel) {
      const r = await runWorker<ExploreJobResult>(script, { kind: 'explore', variant, bound }, (m) => onProgress(m.progress as Parameters<typeof onProgress>[0]), cancel);
      return r ?? { result: { variant, bound, boundText: describeBound(bound), verdict: 'incomplete', stopped: 'cancelled', states: 0, transitions: 0, depth: 0, seconds: 0, statesPerSecond: 0, peakMemoryBytes: 0 } };
    },
  };
}
