// The Node host's worker thread (dist/worker.js): runs the one job extension/jobs.node.ts gave it
// (src/session/jobs.ts, runJob) and posts progress and the outcome. Only the core and Node; no vscode.
import { parentPort, workerData } from 'node:worker_threads';
import { runJob, type WorkerJob } from '../src/session/jobs';

// This thread's own heap and the buffers it allocated (the model's typed arrays are "external").
const memoryUsed = () => {
  const m = process.memoryUsage();
  return m.heapUsed + m.external;
};

runJob(workerData as WorkerJob, (message) => parentPort!.postMessage(message), memoryUsed);
