// The jobs of src/session/jobs.ts in a Web Worker (dist/worker.web.js), started from the web-worker
// extension host: its thread stays free, and a cancellation terminates the worker at once.
//
// VS Code's web-worker extension host lets an extension start a Worker: it wraps the constructor
// so that the nested worker starts from a blob that calls importScripts() on the script's URL, and
// it refuses a vscode-remote: URL ("Creating workers from remote extensions is currently not
// supported"), which is what an extension's own files are in code-server. So the script is read
// through the workspace file system and started from a blob URL of our own. Where no Worker can be
// started, the jobs run on the host's thread in slices (inThreadJobs), and the log says why.
// docs/activation.md has the sources.
import * as vscode from 'vscode';
import { inThreadJobs, jobsInWorkers, WorkerStartError, type Jobs, type JobWorker, type WorkerJob } from '../src/session/jobs';

export const WEB_WORKER = 'a Web Worker';

export function webWorkerJobs(extensionUri: vscode.Uri, log: vscode.LogOutputChannel): Jobs {
  if (typeof Worker !== 'function' || typeof Blob !== 'function' || typeof URL.createObjectURL !== 'function') {
    log.warn(`no Worker in this extension host: long jobs run in ${inThreadJobs.where}`);
    return inThreadJobs;
  }
  const file = vscode.Uri.joinPath(extensionUri, 'dist', 'worker.web.js');
  let scriptUrl: Promise<string> | undefined;
  // An http(s) extension (vscode.dev's gallery) can be started from its URL; any other scheme from a blob.
  const script = () =>
    (scriptUrl ??= /^https?$/.test(file.scheme)
      ? Promise.resolve(file.toString(true))
      : Promise.resolve(vscode.workspace.fs.readFile(file)).then((bytes) => URL.createObjectURL(new Blob([bytes as Uint8Array<ArrayBuffer>], { type: 'text/javascript' }))));

  const start = async (job: WorkerJob): Promise<JobWorker> => {
    const worker = new Worker(await script(), { name: `kvm-mmu-lab ${job.kind}` });
    const messages: ((message: unknown) => void)[] = [];
    const failures: ((error: Error) => void)[] = [];
    worker.onmessage = (event) => messages.forEach((l) => l(event.data));
    worker.onerror = (event) => {
      event.preventDefault();
      failures.forEach((l) => l(new Error(event.message || 'the Web Worker failed to load or run its script')));
    };
    worker.postMessage(job);
    return { onMessage: (l) => messages.push(l), onFailure: (l) => failures.push(l), terminate: () => worker.terminate() };
  };

  const inWorker = jobsInWorkers(WEB_WORKER, start);
  let fallback: string | undefined;
  /** The job in a Web Worker; should none start, this job and the later ones on the host thread, in slices. */
  const orInThread = async <T>(inWorkerJob: () => Promise<T>, inThreadJob: () => Promise<T>): Promise<T> => {
    if (!fallback) {
      try {
        return await inWorkerJob();
      } catch (error) {
        if (!(error instanceof WorkerStartError)) throw error;
        fallback = error.message;
        log.warn(`could not start a Web Worker (${fallback}): long jobs run in ${inThreadJobs.where} from now on`);
      }
    }
    return inThreadJob();
  };
  return {
    get where() {
      return fallback ? inThreadJobs.where : WEB_WORKER;
    },
    fullScale: (...args) => orInThread(() => inWorker.fullScale(...args), () => inThreadJobs.fullScale(...args)),
    explore: (...args) => orInThread(() => inWorker.explore(...args), () => inThreadJobs.explore(...args)),
    input: (job, limits, cancel) => orInThread(() => inWorker.input(job, limits, cancel), () => inThreadJobs.input(job, limits, cancel)),
  };
}
