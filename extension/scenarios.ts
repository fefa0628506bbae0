// Where a walk's or a comparison's scenario comes from: a built-in one, or a *.scenario.json file in
// the workspace (the explorer's counterexamples among them), picked or named by a command's argument.
import * as vscode from 'vscode';
import { BUILTIN_SCENARIOS, builtinScenario } from '../src/scenario/builtins';
import { MAX_SCENARIO_BYTES } from '../src/scenario/parse';
import type { Scenario } from '../src/scenario/types';
import type { Jobs } from '../src/session/jobs';
import type { ScenarioOrigin } from '../src/session/session';
import { offThread } from './off_thread';
import { readBounded } from './read_bounded';
import { settings } from './settings';
import { strings } from './strings';

export function builtinOrigin(id: string): ScenarioOrigin {
  return { kind: 'builtin', id, label: strings.builtinLabel(id) };
}

/** A scenario file by its URI, labelled by its path in the workspace. */
export function fileOrigin(uri: string): ScenarioOrigin {
  return { kind: 'file', id: uri, label: vscode.workspace.asRelativePath(vscode.Uri.parse(uri)) };
}

/** The built-in scenario of that name, or an error that names it. */
export function builtinOrThrow(id: string): Scenario {
  // By the list, not by lookup: "constructor" or "toString" must not find an inherited key.
  const s = BUILTIN_SCENARIOS.includes(id) ? builtinScenario(id) : undefined;
  if (!s) throw new Error(strings.noBuiltinScenario(id));
  return s;
}

/**
 * Reads the scenario: a file only if it is a regular one under the scenario limit, parsed (with
 * kvmMmuLab.entriesPerTable for files that set no `entries`) as a job off the host's thread.
 * Undefined when the user cancelled the parse.
 */
export async function loadScenario(origin: ScenarioOrigin, jobs: Jobs): Promise<Scenario | undefined> {
  if (origin.kind === 'builtin') return builtinOrThrow(origin.id);
  const uri = vscode.Uri.parse(origin.id);
  const text = await readBounded(uri, MAX_SCENARIO_BYTES);
  const file = vscode.workspace.asRelativePath(uri);
  return offThread(jobs, { kind: 'scenario', text, file, entries: settings().get<number | null>('entriesPerTable', null) }, strings.readingScenario(file));
}

/** The built-in scenarios, then the scenario files in the workspace (200 at most), by path. */
export async function pickScenario(placeHolder: string = strings.pickScenario): Promise<ScenarioOrigin | undefined> {
  type Item = vscode.QuickPickItem & { origin?: ScenarioOrigin };
  const items: Item[] = [{ label: strings.builtinGroup, kind: vscode.QuickPickItemKind.Separator }];
  for (const name of BUILTIN_SCENARIOS) {
    items.push({ label: name, description: strings.builtin, detail: builtinScenario(name)!.title, origin: builtinOrigin(name) });
  }
  const files = await vscode.workspace.findFiles('**/*.scenario.json', '**/node_modules/**', 200);
  if (files.length) items.push({ label: strings.workspaceGroup, kind: vscode.QuickPickItemKind.Separator });
  for (const uri of files.sort((a, b) => a.path.localeCompare(b.path))) {
    const rel = vscode.workspace.asRelativePath(uri);
    items.push({ label: rel.split('/').pop() ?? rel, description: rel, origin: { kind: 'file', id: uri.toString(), label: rel } });
  }
  const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDescription: true, matchOnDetail: true });
  return picked?.origin;
}
