// Choose the Next Event… and Save Branch as Scenario…: the what-if of the walk (src/run/whatif.ts,
// docs/what-if.md). At the walk's current step a quick pick offers the events that could come next,
// those the locks forbid marked with the reason; the walk then continues on the branch, one step
// on, at the event's first step. Glue only: the choices, the cut and the branch are the core's.
import * as vscode from 'vscode';
import { builtinScenarioText } from '../src/scenario/builtins';
import { MAX_SCENARIO_BYTES } from '../src/scenario/parse';
import type { Scenario } from '../src/scenario/types';
import { withEntries, type WalkSession } from '../src/session/session';
import { whatIfBranch, whatIfChoices, whatIfSource, type WhatIfSource } from '../src/run/whatif';
import { COMMANDS } from './commands';
import type { CommandTable, Guard } from './command_table';
import { readBounded } from './read_bounded';
import { settings } from './settings';
import { strings } from './strings';
import type { WalkController } from './walk';

export class WhatIfController {
  /** The file text of each branch walked and not saved yet, by its scenario. */
  private readonly branches = new WeakMap<Scenario, string>();

  constructor(private readonly walk: WalkController, commands: CommandTable, guard: Guard) {
    commands.register(COMMANDS.chooseNextEvent, guard((choice?: number) => this.choose(typeof choice === 'number' ? choice : undefined)));
    commands.register(COMMANDS.saveBranch, guard((uri?: string) => this.save(typeof uri === 'string' ? vscode.Uri.parse(uri) : undefined)));
  }

  /** The walk's scenario with the text of its file, which the branch copies its operations from. */
  private async source(s: WalkSession): Promise<WhatIfSource> {
    const o = s.origin;
    if (o.kind === 'builtin') return whatIfSource(builtinScenarioText(o.id)!, `builtin:${o.id}`);
    if (o.kind === 'branch') return whatIfSource(this.branches.get(s.scenario)!, o.label);
    const text = await readBounded(vscode.Uri.parse(o.id), MAX_SCENARIO_BYTES);
    return whatIfSource(withEntries(text, settings().get<number | null>('entriesPerTable', null)), o.label);
  }

  /** Resolves with the step the walk is at afterwards, or undefined when nothing was chosen. */
  private async choose(number?: number): Promise<number | undefined> {
    // A debug session drives the walk: a branch is another run than the session's (the walk says
    // so, and what to do instead; docs/debugging.md, "The panel drives the session").
    if (this.walk.refuseWhileDebugging('next-event')) return undefined;
    const s = this.walk.current;
    if (!s) {
      void vscode.window.showInformationMessage(strings.noWalk);
      return undefined;
    }
    if (s.index < 0) {
      void vscode.window.showInformationMessage(strings.whatIfBeforeFirst);
      return undefined;
    }
    const src = await this.source(s);
    const options = { ...s.options, until: undefined };
    const point = whatIfChoices(src, options, s.index);
    let picked = number;
    if (picked === undefined) {
      type Item = vscode.QuickPickItem & { number: number; reason?: string };
      const items: Item[] = point.choices.map((c) => ({
        label: c.label,
        number: c.number,
        ...(c.disabled ? { description: strings.whatIfNotPossible, detail: c.disabled, reason: c.disabled } : {}),
      }));
      const title = point.onlyContinue ? strings.whatIfOnlyContinue(s.index, point.onlyContinue) : strings.whatIfPick(s.index);
      const item = await vscode.window.showQuickPick(items, { placeHolder: title, matchOnDetail: true });
      if (!item) return undefined;
      if (item.reason) {
        void vscode.window.showWarningMessage(strings.whatIfRefused(item.label, item.reason));
        return undefined;
      }
      picked = item.number;
    }
    const chosen = point.choices.find((c) => c.number === picked);
    if (chosen?.kind === 'continue') return vscode.commands.executeCommand<number>(COMMANDS.forward);
    const b = whatIfBranch(src, options, s.index, picked);
    this.branches.set(b.scenario, b.text);
    const next = await this.walk.branch(b.scenario, { kind: 'branch', id: b.scenario.name, label: strings.branchLabel(b.scenario.name) }, s.index + 1);
    return next?.index;
  }

  /** Writes the branch being walked as a scenario file; resolves with its URI. */
  private async save(target?: vscode.Uri): Promise<string | undefined> {
    const s = this.walk.current;
    const text = s && s.origin.kind === 'branch' ? this.branches.get(s.scenario) : undefined;
    if (!s || text === undefined) {
      void vscode.window.showInformationMessage(strings.noBranch);
      return undefined;
    }
    const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
    const uri = target ?? (await vscode.window.showSaveDialog({
      ...(folder ? { defaultUri: vscode.Uri.joinPath(folder, `${s.scenario.name}.scenario.json`) } : {}),
      filters: { [strings.scenarioFiles]: ['json'] },
      title: strings.saveBranchTitle,
    }));
    if (!uri) return undefined;
    await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(text));
    void vscode.window.showInformationMessage(strings.branchSaved(vscode.workspace.asRelativePath(uri)));
    return uri.toString();
  }
}
