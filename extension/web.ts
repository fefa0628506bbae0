// Entry point for the web-worker extension host (vscode.dev, code-server's browser host). Same code
// as node.ts: nothing in extension/ may need Node.
import type * as vscode from 'vscode';
import { activateLab, type KvmMmuLabApi } from './activate';

export function activate(context: vscode.ExtensionContext): KvmMmuLabApi {
  return activateLab(context, 'web');
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
