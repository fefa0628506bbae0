// The Explore view: this window's searches, one row each, in a native tree view (no webview, so it
// draws alike in the Node and web-worker hosts). It belongs to the shell, not the lab: the Explorer
// side bar draws it as soon as it is shown, and an empty list (the view's welcome, with its Explore
// Variant… button) must not load the simulation core. The lab's ExploreController tells it when a
// search starts, reports and ends (src/session/explore_searches.ts keeps the list and the pace,
// src/view/explore_searches.ts words a row); its Cancel and Clear Finished are the lab's commands.
import * as vscode from 'vscode';
import type { Progress } from '../src/explore/progress';
import { ExploreSearches } from '../src/session/explore_searches';
import { searchRow, type SearchEnd, type SearchEntry, type SearchRow, type SearchState } from '../src/view/explore_searches';
import { CONTEXT_SEARCHES_FINISHED, EXPLORE_VIEW_ID } from './commands';
import * as l10n from './l10n';
import { strings } from './strings';

const COLORS: Partial<Record<SearchState, string>> = {
  'violation': 'testing.iconFailed',
  'clean': 'testing.iconPassed',
  'clean-not-all-reached': 'list.warningForeground',
  'incomplete': 'list.warningForeground',
};

/** A row as the tests read it: the search's id and what the row shows. */
export type ShownSearch = SearchRow & { id: number };

export class ExploreView implements vscode.TreeDataProvider<number>, vscode.Disposable {
  private readonly searches = new ExploreSearches();
  private readonly changed = new vscode.EventEmitter<number | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  /** The redraw waiting for its turn, by search: at most one each (the row shows the latest progress when it comes). */
  private readonly pending = new Map<number, ReturnType<typeof setTimeout>>();
  private readonly view: vscode.TreeView<number>;
  /** When the view came on screen or left it (ms, `now()`), for a test that finds it hidden to say when. */
  private readonly visibility: { atMs: number; visible: boolean }[] = [];

  constructor(private readonly now: () => number = () => performance.now()) {
    this.view = vscode.window.createTreeView(EXPLORE_VIEW_ID, { treeDataProvider: this });
    this.view.onDidChangeVisibility((e) => {
      this.visibility.push({ atMs: Math.round(this.now()), visible: e.visible });
      if (this.visibility.length > 32) this.visibility.shift();
    });
  }

  getChildren(element?: number): number[] {
    return element === undefined ? this.searches.list().map((e) => e.id) : [];
  }

  getTreeItem(id: number): vscode.TreeItem {
    const e = this.searches.get(id);
    // Cleared between the change and the draw: an empty row that the next refresh removes.
    if (!e) return { label: '' };
    const row = searchRow(e, l10n.t);
    const color = COLORS[row.state];
    return {
      id: String(id),
      label: row.label,
      description: row.description,
      tooltip: row.tooltip,
      iconPath: new vscode.ThemeIcon(row.icon, color ? new vscode.ThemeColor(color) : undefined),
      // package.json's view/item/context shows Cancel on a `running` row.
      contextValue: row.state,
      accessibilityInformation: { label: `${row.label}: ${row.description}` },
      ...(row.counterexample ? { command: { command: 'vscode.open', title: strings.openCounterexample, arguments: [vscode.Uri.parse(row.counterexample.uri), { preview: false }] } } : {}),
    };
  }

  /** A search starts: a new row at the top. Returns its id. */
  start(variant: string, engine: SearchEntry['engine'], bound: string): number {
    const e = this.searches.start(variant, engine, bound, this.now());
    this.changed.fire(undefined);
    return e.id;
  }

  /** The search reported: its row is redrawn now, or when its turn comes (SHOW_INTERVAL_MS). */
  report(id: number, p: Progress): void {
    if (!this.searches.report(id, p) || this.pending.has(id)) return;
    const wait = this.searches.delay(id, this.now());
    if (wait === 0) return this.redraw(id);
    this.pending.set(id, setTimeout(() => {
      this.pending.delete(id);
      this.redraw(id);
    }, wait));
  }

  /** The search ended: its row shows the verdict at once. */
  finish(id: number, end: SearchEnd): void {
    this.cancelRedraw(id);
    if (!this.searches.finish(id, end, this.now())) return;
    this.changed.fire(id);
    this.updateContext();
  }

  /** The finished search's counterexample is written: a click on its row opens it. */
  counterexampleWritten(id: number, file: { uri: string; path: string }): void {
    if (this.searches.counterexampleWritten(id, file)) this.changed.fire(id);
  }

  /** Clear Finished: the rows of searches that ended go; running ones stay. */
  clearFinished(): void {
    if (this.searches.clearFinished()) this.changed.fire(undefined);
    this.updateContext();
  }

  /** Every row, top first, as it reads now (the tests' view of the view). */
  rows(): ShownSearch[] {
    return this.searches.list().map((e) => ({ id: e.id, ...searchRow(e, l10n.t) }));
  }

  /** Whether the view is on screen. */
  get visible(): boolean {
    return this.view.visible;
  }

  /** The view's last comings on screen and goings (at most 32), oldest first, with the time now. */
  visibilityHistory(): { nowMs: number; changes: { atMs: number; visible: boolean }[] } {
    return { nowMs: Math.round(this.now()), changes: [...this.visibility] };
  }

  dispose(): void {
    for (const timer of this.pending.values()) clearTimeout(timer);
    this.pending.clear();
    this.view.dispose();
    this.changed.dispose();
  }

  /** Only this row: the others, and the list, are unchanged. */
  private redraw(id: number): void {
    this.searches.shown(id, this.now());
    this.changed.fire(id);
  }

  private cancelRedraw(id: number): void {
    const timer = this.pending.get(id);
    if (timer !== undefined) clearTimeout(timer);
    this.pending.delete(id);
  }

  private updateContext(): void {
    void vscode.commands.executeCommand('setContext', CONTEXT_SEARCHES_FINISHED, this.searches.hasFinished);
  }
}
