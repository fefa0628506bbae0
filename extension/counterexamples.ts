// The explorer's counterexamples as scenario files: written into the workspace (or where the user
// saves them), and opened again from the review view's Open button, but only the files this window
// wrote (a message naming any other is refused: the webview is not trusted to name files).
import * as vscode from 'vscode';
import { strings } from './strings';

export interface WrittenFile {
  uri: vscode.Uri;
  /** As the reader sees it: relative to the workspace, or the path or URI saved to. */
  path: string;
}

export class Counterexamples {
  /** The files this window wrote, by URI. */
  private readonly written = new Set<string>();

  constructor(private readonly log: vscode.LogOutputChannel) {}

  /**
   * Writes a counterexample scenario into the first workspace folder
   * (.kvm-mmu-lab/counterexamples/<variant>-<time>.scenario.json), or where the user picks when
   * there is no folder or it cannot be written (a read-only virtual workspace). Undefined when the
   * user declined to save it.
   */
  async write(variant: string, scenario: Record<string, unknown>): Promise<WrittenFile | undefined> {
    const written = await this.writeSomewhere(variant, scenario);
    if (written) this.written.add(written.uri.toString());
    return written;
  }

  /** Opens a counterexample this window wrote; any other file is an error. */
  async open(file: string): Promise<void> {
    if (!this.written.has(file)) throw new Error(strings.notACounterexample(file));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.parse(file)), { preview: false });
  }

  private async writeSomewhere(variant: string, scenario: Record<string, unknown>): Promise<WrittenFile | undefined> {
    const name = `${variant.replace(/[^\w.+=-]/g, '_')}-${new Date().toISOString().replace(/[:.]/g, '-')}.scenario.json`;
    const bytes = new TextEncoder().encode(JSON.stringify(scenario, null, 2) + '\n');
    const folder = vscode.workspace.workspaceFolders?.[0];
    if (folder) {
      const dir = vscode.Uri.joinPath(folder.uri, '.kvm-mmu-lab', 'counterexamples');
      const uri = vscode.Uri.joinPath(dir, name);
      try {
        await vscode.workspace.fs.createDirectory(dir);
        await vscode.workspace.fs.writeFile(uri, bytes);
        return { uri, path: vscode.workspace.asRelativePath(uri, vscode.workspace.workspaceFolders!.length > 1) };
      } catch (error) {
        this.log.warn(`could not write the counterexample into the workspace (${uri.toString()}): ${(error as Error).message}; asking where to save it`);
      }
    }
    const uri = await vscode.window.showSaveDialog({
      title: strings.saveCounterexampleTitle, saveLabel: strings.saveCounterexampleLabel, filters: { [strings.scenarioFiles]: ['json'] },
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder.uri, name) } : {}),
    });
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, bytes);
    return { uri, path: uri.scheme === 'file' ? uri.fsPath : uri.toString(true) };
  }
}
