// The review view as the lab's controllers use it: Check Patch…, Compare Variants and Explore
// Variant… each show their result in the one review view (extension/review.ts makes the webview),
// which this file opens, retitles and remembers the last reply of. What the view's buttons ask for
// (a step's source, walking a counterexample, opening its file) goes back to the lab.
import * as vscode from 'vscode';
import type { FlushMode } from '../src/model/modes';
import { BUILTIN_SCENARIOS } from '../src/scenario/builtins';
import type { FromWebviewMessage, ReportShownMessage, InspectedMessage, WalkMessage } from '../src/view/protocol';
import { COMMANDS } from './commands';
import type { Guard } from './command_table';
import { openTreeFile } from './kernel_tree';
import { ReviewPanel, type ReportMessage } from './review';
import { strings } from './strings';

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
  /** The scenario files the view was offered to walk (URIs), this window's. */
  private readonly offered = new Set<string>();

  constructor(private readonly parts: ReportsParts) {}

  /** Shows a result in the review view (opened, or revealed under this title); resolves with what its DOM shows. */
  async show(message: ReportMessage, title: string): Promise<ReportShownMessage> {
    const { guard } = this.parts;
    if (!this.view || this.view.isDisposed) {
      this.view = ReviewPanel.create(this.parts.extensionUri, {
        log: this.parts.log,
        openSource: (m) => void guard(openTreeFile)(m.file, m.line),
        walk: (m) => void guard((w: WalkMessage) => this.walkFromView(w))(m),
        openCounterexample: (m) => void guard((file: string) => this.parts.openCounterexample(file))(m.file),
        received: this.parts.received,
      }, title);
    } else this.view.reveal(title);
    this.offer(message);
    this.shown = await this.view.show(message);
    return this.shown;
  }

  /** Remembers the scenario file a report offers to walk (an explorer's counterexample): the only files a `walk` from the view may name. */
  offer(message: ReportMessage): void {
    if (message.type === 'explore' && message.counterexample) this.offered.add(message.counterexample);
  }

  /**
   * The view's Walk button: the webview is not trusted to name files, so a file must be one a
   * report offered, and a scenario one of the built-ins; anything else is refused before any read.
   */
  async walkFromView(m: WalkMessage): Promise<number | undefined> {
    if (m.file && !this.offered.has(m.file)) throw new Error(strings.notAnOfferedScenario(m.file));
    if (!m.file && !BUILTIN_SCENARIOS.includes(m.scenario)) throw new Error(strings.noBuiltinScenario(m.scenario));
    return walkCounterexample(m.scenario, m.file, m.variant, m.flushMode);
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
