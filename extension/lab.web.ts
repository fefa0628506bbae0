// The lab in the web-worker extension host, bundled into dist/extension.web.js and evaluated the
// first time extension/web.ts asks for it. Long jobs run in a Web Worker (extension/jobs.web.ts,
// dist/worker.web.js).
import type * as vscode from 'vscode';
import { buildLab, type Lab, type LabShared } from './activate';
import { LAB_EVALUATED_MARK } from './commands';
import { webWorkerJobs } from './jobs.web';

performance.mark(LAB_EVALUATED_MARK);

export function createLab(context: vscode.ExtensionContext, shared: LabShared): Lab {
  return buildLab(context, 'web', webWorkerJobs(context.extensionUri, shared.log), shared);
}
