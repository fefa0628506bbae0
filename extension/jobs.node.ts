// The jobs of src/session/jobs.ts in a worker_threads Worker (dist/worker.js): the Node host's thread
// stays free, and a cancellation terminates the worker at once.
import { Worker } from 'node:worker_threads';
import type * as vscode from 'vscode';
import { jobsInWorkers, type Jobs, type JobWorker, type WorkerJob } from '../src/session/jobs';

/** Room a worker's V8 heap gets above the job's own memory cap before V8 stops it: a backstop, should the cap's checks come too late. */
const HEAP_BACKSTOP_MIB = 512;

export function workerJobs(extensionUri: vscode.Uri): Jobs {
  const script = `${extensionUri.fsPath}/dist/worker.js`;
  const start = (job: WorkerJob): JobWorker => {
    const worker = new Worker(script, { workerData: job, resourceLimits: { maxOldGenerationSizeMb: Math.ceil(job.maxMemoryBytes / 2 ** 20) + HEAP_BACKSTOP_MIB } });
    return {
      onMessage: (listener) => worker.on('message', listener),
      onFailure(listener) {
        worker.on('error', listener);
        worker.on('exit', (code) => listener(new Error(`the worker thread exited with code ${code} before it answered`)));
      },
      terminate: () => void worker.terminate(),
    };
  };
  return jobsInWorkers('a worker thread', start);
}
