// Entry point for the Node extension host (desktop VS Code, remote and code-server's server side).
import type * as vscode from 'vscode';
import { activateLab, type KvmMmuLabApi } from './activate';

export function activate(context: vscode.ExtensionContext): KvmMmuLabApi {
  return activateLab(context, 'node');
}

export function deactivate(): void {
  // Everything is in context.subscriptions.
}
