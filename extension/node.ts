// Entry point for the Node extension host (desktop VS Code, remote and code-server's server side):
// dist/extension.node.js. Activation is the shell alone; the lab (extension/lab.node.ts, the core
// and the long jobs' worker-thread side) is dist/lab.node.js, a bundle of its own required on first
// use (scripts/build.mjs keeps './lab.node' an external require).
import type * as vscode from 'vscode';
import type { KvmMmuLabApi, LabModule } from './activate';
import { activateShell, bundleEvalMs } from './shell';

export function activate(context: vscode.ExtensionContext): KvmMmuLabApi {
  return activateShell(context, {
    host: 'node',
    bundleEvalMs: evaluatedIn,
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- loaded on first use, from dist/ beside this bundle
    loadLab: () => require('./lab.node') as LabModule,
  });
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

// Last statement of the bundle: how long everything above took to evaluate.
const evaluatedIn = bundleEvalMs();
