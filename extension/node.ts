// Entry point for the Node extension host (desktop VS Code, remote and code-server's server side).
// Long jobs (full-scale costs, the explorer) run in a worker thread here.
import type * as vscode from 'vscode';
import { activateLab, type KvmMmuLabApi } from './activate';
import { workerJobs } from './jobs.node';

export function activate(context: vscode.ExtensionContext): KvmMmuLabApi {
  return activateLab(context, 'node', workerJobs(context.extensionUri));
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
