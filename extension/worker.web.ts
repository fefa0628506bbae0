// The web-worker host's Web Worker for long jobs (dist/worker.web.js): receives one job from
// extension/jobs.web.ts, runs it (src/session/jobs.ts, runJob) and posts progress and the outcome.
// Only the core; no vscode. A Web Worker has no measure of its own memory (Chrome's
// performance.memory is not there in workers), so the caps count the model's own estimates.
import { runJob, type WorkerJob } from '../src/session/jobs';

self.onmessage = (event: MessageEvent<unknown>) => {
  self.onmessage = null;
  runJob(event.data as WorkerJob, (message) => self.postMessage(message));
};
