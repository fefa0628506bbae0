// The review view as the lab's controllers use it: Check Patch…, Compare Variants and Explore
// Variant… each show their result in the one review view (extension/review.ts makes the webview),
// which this file opens, retitles and remembers the last reply of. What the view's buttons ask for
// (a step's source, walking a counterexample, opening its file) goes back to the lab.
import * as vscode from 'vscode';
import type { FlushMode } from '../src/model/modes';
import type { FromWebviewMessage, ReportShownMessage, InspectedMessage } from '../src/view/protocol';
import { COMMANDS } from './commands';
import type { Guard } from './command_table';
import { openTreeFile } from './kernel_tree';
import { ReviewPanel, type ReportMessage } from './review';

export interface ReportsParts {
  extensionUri: vscode.Uri;
  log: vscode.LogOutputChannel;
  guard: Guard;
  /** The Open button of an explorer result. */
  openCounterexample(file: string): Promise<void>;
  /** Every valid message from the review webview. */
  received(message: FromWebviewMessage): void;
}

/** Walks a counterexample to its violation: Walk Through Scenario… with it, then Run to Violation. */
export async function walkCounterexample(scenario: string, file: string, variant: string, flushMode: '' | FlushMode = ''): Promise<number | undefined> {
  const total = await vscode.commands.executeCommand<number>(COMMANDS.walk, { ...(file ? { file } : { scenario }), variant, ...(flushMode ? { flushMode } : {}) });
  if (total === undefined) return undefined;
  return vscode.commands.executeCommand<number>(COMMANDS.violation);
}

export class Reports implements vscode.Disposable {
  private view: ReviewPanel | undefined;
  private shown: ReportShownMessage | undefined;

  constructor(private readonly parts: ReportsParts) {}

  /** Shows a result in the review view (opened, or revealed under this title); resolves with what its DOM shows. */
  async show(message: ReportMessage, title: string): Promise<ReportShownMessage> {
    const { guard } = this.parts;
    if (!this.view || this.view.isDisposed) {
      this.view = ReviewPanel.create(this.parts.extensionUri, {
        log: this.parts.log,
        openSource: (m) => void guard(openTreeFile)(m.file, m.line),
        walk: (m) => void guard(walkCounterexample)(m.scenario, m.file, m.variant, m.flushMode),
        openCounterexample: (m) => void guard((file: string) => this.parts.openCounterexample(file))(m.file),
        received: this.parts.received,
      }, title);
    } else this.view.reveal(title);
    this.shown = await this.view.show(message);
    return this.shown;
  }

  /** The view's last reply, if it has shown anything. */
  get last(): ReportShownMessage | undefined {
    return this.shown;
  }

  /** What the view's document holds now; undefined when it is not open. */
  inspect(): Promise<InspectedMessage | undefined> {
    return this.view && !this.view.isDisposed ? this.view.inspect() : Promise.resolve(undefined);
  }

  dispose(): void {
    this.view?.dispose();
  }
}
