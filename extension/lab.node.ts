// The lab in the Node extension host: dist/lab.node.js, which extension/node.ts requires on first
// use. Long jobs run in a worker thread (extension/jobs.node.ts, dist/worker.js).
import type * as vscode from 'vscode';
import { buildLab, type Lab, type LabShared } from './activate';
import { LAB_EVALUATED_MARK } from './commands';
import { workerJobs } from './jobs.node';

performance.mark(LAB_EVALUATED_MARK);

export function createLab(context: vscode.ExtensionContext, shared: LabShared): Lab {
  return buildLab(context, 'node', workerJobs(context.extensionUri), shared);
}
