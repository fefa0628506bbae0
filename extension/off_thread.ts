// The work on a workspace's input (a scenario file parsed, a walk's run checked, presets compared,
// a patch reviewed: src/session/input_jobs.ts) as a long job, off the extension host's thread. A
// file that would freeze or exhaust the host freezes or exhausts the job's worker, which is
// terminated; the user gets a message instead.
import * as vscode from 'vscode';
import type { InputJob, InputJobValue } from '../src/session/input_jobs';
import type { Jobs } from '../src/session/jobs';
import { inputJobLimits } from './settings';
import { strings } from './strings';

/**
 * After this long a job gets a notification with a Cancel button; before, only the status bar's
 * progress (nearly every job is over well within it, and a notification flashing at each walk
 * would cover the editor for nothing).
 */
export const NOTIFY_AFTER_MS = 1000;

/** The job's value; undefined when cancelled; an Error saying why when its input was refused or it stopped at the memory cap. */
export async function offThread<J extends InputJob>(jobs: Jobs, job: J, title: string): Promise<InputJobValue[J['kind']] | undefined> {
  const cancel = new vscode.CancellationTokenSource();
  const running = jobs.input(job, inputJobLimits(), cancel.token);
  let finished = false;
  const timer = setTimeout(() => {
    if (finished) return;
    void vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title, cancellable: true }, (_progress, token) => {
      token.onCancellationRequested(() => cancel.cancel());
      return running.catch(() => undefined);
    });
  }, NOTIFY_AFTER_MS);
  try {
    const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title }, () => running);
    switch (outcome.kind) {
      case 'done':
        return outcome.value;
      case 'cancelled':
        return undefined;
      case 'refused':
        throw new Error(outcome.reason);
      case 'stopped':
        throw new Error(strings.inputJobStopped(outcome.reason));
    }
  } finally {
    finished = true;
    clearTimeout(timer);
    cancel.dispose();
  }
}
