// The lab in the web-worker extension host, bundled into dist/extension.web.js and evaluated the
// first time extension/web.ts asks for it. Long jobs run on the host's thread in slices.
import type * as vscode from 'vscode';
import { buildLab, type Lab, type LabShared } from './activate';
import { LAB_EVALUATED_MARK } from './commands';
import { inThreadJobs } from './jobs';

performance.mark(LAB_EVALUATED_MARK);

export function createLab(context: vscode.ExtensionContext, shared: LabShared): Lab {
  return buildLab(context, 'web', inThreadJobs, shared);
}
