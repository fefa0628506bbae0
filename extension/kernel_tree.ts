// The reviewer's kernel tree (kvmMmuLab.kernelTree): pointing the setting at it, reading the files
// that hold modelled steps (for Check Patch…), and opening one at a line (the review's step links).
import * as vscode from 'vscode';
import { REVIEW_TREE_FILES } from '../src/review/review';
import type { SourceFile } from '../src/anchor/anchor';
import { MMU_C, kernelTreeUri, type SourceView } from './source';
import { FileRefusedError, READ_LIMITS, readBounded } from './read_bounded';
import { settings } from './settings';
import { strings } from './strings';

function treeUri(): vscode.Uri | undefined {
  return kernelTreeUri(settings().get<string>('kernelTree'));
}

/**
 * Sets kvmMmuLab.kernelTree to the folder holding arch/ (picked, or given: that folder or its
 * mmu.c), written as a path when it is on the workspace's file system. Undefined when nothing was
 * picked or the folder has no mmu.c (an error says so).
 */
export async function locateKernelTree(source: SourceView, picked?: vscode.Uri): Promise<string | undefined> {
  let uri = picked;
  if (!uri) {
    const chosen = await vscode.window.showOpenDialog({ canSelectFiles: true, canSelectFolders: true, canSelectMany: false, openLabel: strings.locateOpenLabel, title: strings.locateTitle, defaultUri: vscode.workspace.workspaceFolders?.[0]?.uri });
    uri = chosen?.[0];
    if (!uri) return undefined;
  }
  let tree = uri;
  if (uri.path.endsWith(`/${MMU_C}`)) tree = uri.with({ path: uri.path.slice(0, -MMU_C.length - 1) });
  try {
    await vscode.workspace.fs.stat(vscode.Uri.joinPath(tree, MMU_C));
  } catch {
    void vscode.window.showErrorMessage(strings.notAKernelTree(uri.path));
    return undefined;
  }
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const value = folder && tree.scheme === folder.scheme && tree.authority === folder.authority ? tree.path : tree.scheme === 'file' ? tree.fsPath : tree.toString();
  await settings().update('kernelTree', value, folder ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
  source.reset();
  void vscode.window.setStatusBarMessage(strings.kernelTreeSet(value), 4000);
  return value;
}

/**
 * The files of the tree that hold modelled steps, those that can be read (none in a web host without
 * the tree). A file that is not a regular one (the setting may point at a FIFO) or is over the tree
 * files' limit is not read: a warning names it and the limit, and its steps stay unanchored.
 */
export async function readTreeFiles(): Promise<SourceFile[]> {
  const tree = treeUri();
  if (!tree) return [];
  const out: SourceFile[] = [];
  const refused: string[] = [];
  await Promise.all(REVIEW_TREE_FILES.map(async (rel) => {
    try {
      out.push({ path: rel, text: await readBounded(vscode.Uri.joinPath(tree, rel), READ_LIMITS.treeFile) });
    } catch (error) {
      if (error instanceof FileRefusedError) refused.push(error.message);
      // Else not in this tree (or not readable from this host): its steps stay unanchored.
    }
  }));
  if (refused.length) void vscode.window.showWarningMessage(refused.sort().join(' '));
  // In the order of REVIEW_TREE_FILES, whichever read finished first.
  return out.sort((a, b) => REVIEW_TREE_FILES.indexOf(a.path) - REVIEW_TREE_FILES.indexOf(b.path));
}

/** Opens a file of the tree at a line, beside; only the files the review anchors into (a message naming any other is refused). */
export async function openTreeFile(file: string, line: number): Promise<void> {
  const tree = treeUri();
  if (!tree) throw new Error(strings.noKernelTreeForLink);
  if (!REVIEW_TREE_FILES.includes(file)) throw new Error(strings.notAReviewFile(file));
  const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(tree, file));
  const at = new vscode.Position(Math.max(0, line - 1), 0);
  await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, selection: new vscode.Range(at, at), preview: true });
}
