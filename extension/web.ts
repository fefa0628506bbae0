// Entry point for the web-worker extension host (vscode.dev, code-server's browser host):
// dist/extension.web.js. Same shell as node.ts. That host loads an extension as one script and lets
// it load no other (docs/activation.md), so the lab is bundled in here; esbuild turns the require()
// below into a lazy initialiser, and the lab's and the core's module code runs on first use only.
import type * as vscode from 'vscode';
import type { KvmMmuLabApi, LabModule } from './activate';
import { activateShell, bundleEvalMs } from './shell';

declare const require: (id: string) => unknown;

export function activate(context: vscode.ExtensionContext): KvmMmuLabApi {
  return activateShell(context, {
    host: 'web',
    bundleEvalMs: evaluatedIn,
    // Bundled; evaluated on first call.
    loadLab: () => require('./lab.web') as LabModule,
  });
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}

// Last statement of the bundle: how long everything above took to evaluate.
const evaluatedIn = bundleEvalMs();
