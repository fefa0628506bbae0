// The lab: what every command does, shared by both hosts — the walk in progress, the panel and the
// side-bar view that show it, the editor beside it, the status bar, the review view and the long
// jobs. Model facts come from the core (src/); this file only wires them to VS Code.
//
// It is not loaded at activation. extension/shell.ts registers the commands and views and loads this
// module the first time one of them is used (lab.node.ts / lab.web.ts pick the host's jobs):
// docs/activation.md says how in each host. Only types cross from here into the shell.
import * as vscode from 'vscode';
import type { FromWebviewMessage, HostKind, PanelAction, RenderedMessage, ShownMessage, SnapshotMessage } from '../src/view/protocol';
import type { PanelSnapshot } from '../src/view/snapshot';
import { compareVariants } from '../src/review/compare';
import type { FlushMode } from '../src/model/modes';
import { BUILTIN_SCENARIOS, builtinScenario } from '../src/scenario/builtins';
import { parseScenario } from '../src/scenario/parse';
import type { Scenario } from '../src/scenario/types';
import { traceText } from '../src/view/trace_text';
import { traceMarkdown, walkthroughTrace } from '../src/view/export';
import { findPreset, parseVariant, POLICY_VALUES, PRESETS, variantName, type PolicyName, type Variant } from '../src/kernel/variants';
import type { JobLimits, Jobs } from '../src/session/jobs';
import examplePatch from '../media/walkthrough/example.patch';
import { ReviewPanel, type ReportMessage } from './review';
import { reviewPatch, looksLikePatch, REVIEW_TREE_FILES, type PatchReviewView } from '../src/review/review';
import type { SourceFile } from '../src/anchor/anchor';
import { DEFAULT_BOUND, describeBound, type Bound } from '../src/explore/scope';
import type { CompareRowView, ExploreStanding, InspectedMessage, ReportShownMessage } from '../src/view/protocol';
import { LabPanel, LabSideViewProvider, type LabSurface, type SurfaceContext } from './panel';
import { sameStep, WalkSession, withEntries, type ScenarioOrigin } from '../src/session/session';
import { MMU_C, kernelTreeUri, type DecorationReport, type SourceView } from './source';
import { strings } from './strings';
import { COMMAND_OPEN_PANEL, COMMANDS, CONTEXT_WALKING, type CommandId } from './commands';


/** One step rendered: how long the core took for the snapshot and the webview for the DOM. */
export interface StepTiming {
  surface: 'panel' | 'side';
  index: number;
  snapshotMs: number;
  renderMs: number;
}

/** How activation went, as the shell (extension/shell.ts) measured it. */
export interface ActivationTiming {
  /** Milliseconds from the start of activate() to its return. */
  activateMs: number;
  /** Milliseconds the extension bundle's own code took to evaluate, from its first statement to its last (before activate() is called); undefined when the bundle was not built with the timing banner. */
  bundleEvalMs: number | undefined;
  /** Milliseconds the first use took to load the lab and the core and set them up; undefined until then. */
  labLoadMs: number | undefined;
  /** activate() part by part, in milliseconds: the output channel (log), the editor's CodeLens, hover and listing (source), the commands and the side view. */
  parts: Record<string, number>;
}

/** What activate() returns; stable enough for tests, not a public API. */
export interface KvmMmuLabApi {
  /** The extension host this activation runs in. */
  readonly host: HostKind;
  /** Milliseconds from the start of activate() to its return. */
  readonly activationMs: number;
  readonly activation: ActivationTiming;
  /** Whether the lab (and with it the simulation core) has been loaded: false until a command or view needs it. */
  readonly labLoaded: boolean;
  /** Loads the lab now, as the first command would (the bench measures it); returns the milliseconds it took, 0 when it was loaded already. */
  loadLab(): number;
  /** The decorations the editor beside the panel shows now. */
  decorations(): DecorationReport | undefined;
  /** Resolves when the open panel's webview has shown the init message (waits for a panel to open). */
  panelReady(): Promise<ShownMessage>;
  /** The last valid message from any webview of this extension. */
  readonly lastMessageFromWebview: FromWebviewMessage | undefined;
  /** Resolves with the next valid message of this type from the webview. */
  nextMessageFromWebview<K extends FromWebviewMessage['type']>(type: K): Promise<Extract<FromWebviewMessage, { type: K }>>;
  /** Posts any value to the open panel's webview, past the types (to test the webview's checks). */
  postRawToWebview(value: unknown): Promise<boolean>;
  /** The walk in progress: scenario, variant, step index (-1 before the first) and count. */
  walk(): { scenario: string; variant: string; index: number; total: number; violations: number[]; flushSteps: number[] } | undefined;
  /** Resolves when every open view has rendered the current step (with its timings). */
  settled(): Promise<StepTiming[]>;
  /** The status bar item's text and tooltip (as Markdown) now. */
  status(): { text: string; tooltip: string };
  /** Which source the editor beside the panel shows for the current step, as sent to the panel. */
  source(): SnapshotMessage['source'];
  /** Every step timing so far. */
  readonly timings: readonly StepTiming[];
  /** The review view's last reply (what its DOM shows), if it has shown anything. */
  readonly lastReport: ReportShownMessage | undefined;
  /** Cancels the running Explore Variant… as its notification's Cancel button does. */
  cancelExplore(): void;
  /** What a webview's document holds now: the walk's panel or the review view; undefined when that one is not open. */
  inspectWebview(which: 'panel' | 'review'): Promise<InspectedMessage | undefined>;
}

/** The part of the API only the lab can answer; the shell forwards to it, loading the lab first. */
export type LabApi = Omit<KvmMmuLabApi, 'host' | 'activationMs' | 'activation' | 'labLoaded' | 'loadLab' | 'decorations'>;

/** What the shell made at activation and hands the lab: the log and the editor beside the panel (its CodeLens and hover are there from the start). */
export interface LabShared {
  log: vscode.LogOutputChannel;
  source: SourceView;
}

/** What the lab gives the shell: a handler for every command, the side view's provider, the tests' API. */
export interface Lab {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- each command takes its own arguments, from VS Code
  commands: Record<CommandId, (...args: any[]) => unknown>;
  sideView: vscode.WebviewViewProvider;
  api: LabApi;
}

/** The lab's module as each host loads it (extension/lab.node.ts, extension/lab.web.ts). */
export interface LabModule {
  createLab(context: vscode.ExtensionContext, shared: LabShared): Lab;
}

/** What Check Patch… returns: the review as data, the review view's text, and the time it took. */
export interface CheckPatchResult {
  review: PatchReviewView;
  shown: ReportShownMessage;
  ms: number;
}

function settings() {
  return vscode.workspace.getConfiguration('kvmMmuLab');
}

/** Sets up the lab in this host with these jobs: everything but the commands' registration, which the shell did. */
export function buildLab(context: vscode.ExtensionContext, host: HostKind, jobs: Jobs, shared: LabShared): Lab {
  const { log, source } = shared;
  const extensionVersion = String((context.extension.packageJSON as { version?: unknown }).version ?? '');

  let panel: LabPanel | undefined;
  let side: LabSurface | undefined;
  let session: WalkSession | undefined;
  let lastMessage: FromWebviewMessage | undefined;
  let messageListeners: ((message: FromWebviewMessage) => void)[] = [];
  const openListeners: ((panel: LabPanel) => void)[] = [];
  const timings: StepTiming[] = [];
  const status = vscode.window.createStatusBarItem('kvmMmuLab.status', vscode.StatusBarAlignment.Left, 50);
  status.name = strings.statusName;
  status.command = COMMAND_OPEN_PANEL;
  status.tooltip = strings.statusTooltip;
  context.subscriptions.push(status);

  const surfaces = (): LabSurface[] => [panel?.surface, side].filter((s): s is LabSurface => s !== undefined);

  // ---- rendering: one refresh at a time; a step asked for while one runs is rendered after it.
  let rendering: Promise<StepTiming[]> = Promise.resolve([]);
  let queued = false;

  async function renderNow(only?: LabSurface): Promise<StepTiming[]> {
    const s = session;
    if (!s) {
      for (const surface of only ? [only] : surfaces()) surface.showIdle();
      return [];
    }
    const { snapshot, ms } = s.snapshot(() => performance.now());
    const sourceInfo = only ? lastSource : await source.show(s, panel?.webviewPanel.viewColumn);
    lastSource = sourceInfo;
    updateStatus(s, snapshot);
    const message: SnapshotMessage = { type: 'snapshot', scenarioLabel: s.origin.label, snapshot, source: sourceInfo, snapshotMs: round(ms) };
    const targets = (only ? [only] : surfaces()).filter((x) => x.isShown);
    const replies = await Promise.all(targets.map((t) => t.showSnapshot(message).then((r) => [t, r] as [LabSurface, RenderedMessage | undefined])));
    const out: StepTiming[] = [];
    for (const [t, r] of replies) {
      if (!r) continue;
      const timing: StepTiming = { surface: t.kind, index: r.index, snapshotMs: round(ms), renderMs: round(r.renderMs) };
      timings.push(timing);
      out.push(timing);
      log.info(`step ${r.index}/${s.total - 1} in the ${t.kind}: snapshot ${timing.snapshotMs} ms in the extension, render ${timing.renderMs} ms in the webview`);
    }
    return out;
  }
  let lastSource: SnapshotMessage['source'] = { kind: 'listing', label: strings.sourceListing, location: '', note: '' };

  function refresh(only?: LabSurface): Promise<StepTiming[]> {
    if (only) return (rendering = rendering.then(() => renderNow(only), () => renderNow(only)));
    if (queued) return rendering;
    queued = true;
    rendering = rendering.then(
      () => ((queued = false), renderNow()),
      () => ((queued = false), renderNow()),
    );
    rendering.catch((error: Error) => log.error(`rendering the step failed: ${error.stack ?? error.message}`));
    return rendering;
  }

  function updateStatus(s: WalkSession | undefined, snapshot: PanelSnapshot): void {
    if (!s) {
      status.hide();
      return;
    }
    // The verdict at this step, as the panel shows it: a violation so far, a hazard open, or pass so far.
    const now = snapshot.now;
    const verdict = now === 'violation' ? strings.verdictViolation : now === 'hazard' ? strings.verdictHazard : strings.verdictPassSoFar;
    status.text = strings.status(s.scenario.name, s.options.variant.name, s.index, s.total, verdict, lastSource.label);
    status.backgroundColor = now === 'pass' ? undefined : new vscode.ThemeColor(now === 'violation' ? 'statusBarItem.errorBackground' : 'statusBarItem.warningBackground');
    // The tooltip says what is open at this step, the whole run's verdict, which source the editor
    // shows and, unless it is the kernel tree, how to point at one.
    const tip = new vscode.MarkdownString(strings.statusTooltip);
    for (const h of snapshot.hazards) tip.appendText(`\n\n${h.message}`);
    tip.appendMarkdown(`\n\n${strings.statusRun(s.walkthrough.violations.length)}`);
    tip.appendMarkdown(`\n\n${strings.statusSource(lastSource.label, lastSource.location)}`);
    if (lastSource.note) tip.appendText(`\n\n${lastSource.note}`);
    if (lastSource.kind !== 'kernel') tip.appendMarkdown(`\n\n[${strings.locateLink}](command:${COMMANDS.locate})`);
    tip.isTrusted = { enabledCommands: [COMMANDS.locate] };
    status.tooltip = tip;
    status.show();
  }

  // ---- surfaces
  const surfaceContext: SurfaceContext = {
    extensionUri: context.extensionUri,
    extensionVersion,
    host,
    log,
    onMessage: (message) => {
      lastMessage = message;
      for (const listener of messageListeners) listener(message);
    },
    onReady: (surface) => {
      if (session) void refresh(surface);
    },
    onAction: (action: PanelAction) => {
      const command = { forward: COMMANDS.forward, back: COMMANDS.back, restart: COMMANDS.restart, 'next-flush': COMMANDS.nextFlush, violation: COMMANDS.violation, walk: COMMANDS.walk, variant: COMMANDS.variant, locate: COMMANDS.locate, export: COMMANDS.export }[action];
      void vscode.commands.executeCommand(command);
    },
    onGoto: (step: number) => void move(() => step, strings.noWalk),
  };

  const openPanel = (preserveFocus = false): LabPanel => {
    if (panel) {
      panel.reveal(preserveFocus);
      return panel;
    }
    const created = LabPanel.create(surfaceContext, vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active);
    panel = created;
    created.onDidDispose(() => {
      created.dispose();
      if (panel === created) panel = undefined;
    });
    for (const listener of openListeners.splice(0)) listener(created);
    return created;
  };

  const sideProvider = new LabSideViewProvider(surfaceContext, (surface) => (side = surface));
  context.subscriptions.push({ dispose: () => panel?.dispose() });

  // ---- the walk
  /** The flush mode a walk was started in by name (the review's counterexample): over the setting until the next walk or a change of the setting. */
  let walkFlushMode: FlushMode | undefined;
  function runOptions(scenario: Scenario, variant: Variant) {
    const flushMode = settings().get<string>('flushMode', 'scenario');
    const strength = settings().get<string>('checkStrength', 'both');
    return {
      variant,
      ...(walkFlushMode ? { flushMode: walkFlushMode } : flushMode === 'bare-metal' || flushMode === 'range' ? { flushMode: flushMode as FlushMode } : { flushMode: scenario.flushMode }),
      splitYield: scenario.splitYield,
      checks: { permissions: strength !== 'unmapped' },
    };
  }

  function defaultVariant(scenario?: Scenario): Variant {
    const spec = settings().get<string>('defaultVariant', '') || scenario?.variant || 'v7';
    try {
      return parseVariant(spec);
    } catch (error) {
      void vscode.window.showWarningMessage(strings.badVariant(spec, (error as Error).message));
      return findPreset('v7')!;
    }
  }

  async function startWalk(scenario: Scenario, origin: ScenarioOrigin, variant: Variant, index = -1): Promise<WalkSession> {
    const s = await vscode.window.withProgress({ location: vscode.ProgressLocation.Window, title: strings.building(scenario.name, variant.name) }, async () => {
      const t0 = performance.now();
      const created = new WalkSession(scenario, origin, runOptions(scenario, variant));
      log.info(`walk: ${origin.label} under ${variant.name}: ${created.total} steps, ${created.walkthrough.violations.length} violations, run in ${round(performance.now() - t0)} ms`);
      return created;
    });
    s.goTo(index);
    session = s;
    await vscode.commands.executeCommand('setContext', CONTEXT_WALKING, true);
    openPanel(true);
    await refresh();
    return s;
  }

  async function loadScenario(origin: ScenarioOrigin): Promise<Scenario> {
    if (origin.kind === 'builtin') {
      const s = builtinScenario(origin.id);
      if (!s) throw new Error(`no built-in scenario "${origin.id}"`);
      return s;
    }
    const uri = vscode.Uri.parse(origin.id);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    return parseScenario(withEntries(text, settings().get<number | null>('entriesPerTable', null)), vscode.workspace.asRelativePath(uri));
  }

  async function pickScenario(placeHolder: string = strings.pickScenario): Promise<ScenarioOrigin | undefined> {
    type Item = vscode.QuickPickItem & { origin?: ScenarioOrigin };
    const items: Item[] = [{ label: strings.builtinGroup, kind: vscode.QuickPickItemKind.Separator }];
    for (const name of BUILTIN_SCENARIOS) {
      const s = builtinScenario(name)!;
      items.push({ label: name, description: strings.builtin, detail: s.title, origin: { kind: 'builtin', id: name, label: `${name} (${strings.builtin})` } });
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

  async function pickVariant(current?: Variant, placeHolder: string = strings.pickVariant): Promise<Variant | undefined> {
    type Item = vscode.QuickPickItem & { variant?: Variant; compose?: boolean };
    const items: Item[] = PRESETS.map((p) => ({
      label: p.name,
      description: `${p.safe ? '' : 'unsafe · '}splitFlush=${p.splitFlush}${p.name === current?.name ? ' · current' : ''}`,
      detail: p.summary,
      variant: parseVariant(p.name),
    }));
    items.push({ label: strings.composeVariant, detail: strings.composeVariantDetail, compose: true });
    const picked = await vscode.window.showQuickPick(items, { placeHolder, matchOnDetail: true });
    if (!picked) return undefined;
    if (picked.variant) return picked.variant;
    const base: Omit<Variant, 'name'> = { ...(current ?? findPreset('v7')!) };
    const policies = Object.keys(POLICY_VALUES) as PolicyName[];
    for (const [i, policy] of policies.entries()) {
      const value = await vscode.window.showQuickPick(
        POLICY_VALUES[policy].map((v) => ({ label: v, description: v === base[policy] ? 'current' : '' })),
        { placeHolder: strings.pickPolicy(policy, i + 1, policies.length) },
      );
      if (!value) return undefined;
      (base as Record<PolicyName, string>)[policy] = value.label;
    }
    return { ...base, name: variantName(base) };
  }

  async function changeVariant(variant: Variant): Promise<void> {
    const old = session;
    if (!old) {
      await settings().update('defaultVariant', variant.name, vscode.workspace.workspaceFolders ? vscode.ConfigurationTarget.Workspace : vscode.ConfigurationTarget.Global);
      return;
    }
    const next = new WalkSession(old.scenario, old.origin, runOptions(old.scenario, variant));
    next.goTo(sameStep(old.walkthrough, old.index, next.walkthrough));
    log.info(`variant ${old.options.variant.name} -> ${variant.name}: step ${old.index} -> ${next.index}`);
    session = next;
    await refresh();
  }

  /** Rebuilds the walk with the settings as they are now, at the same step. */
  async function rebuild(): Promise<void> {
    const old = session;
    if (!old) return;
    const scenario = old.origin.kind === 'file' ? await loadScenario(old.origin) : old.scenario;
    const next = new WalkSession(scenario, old.origin, runOptions(scenario, old.options.variant));
    next.goTo(sameStep(old.walkthrough, old.index, next.walkthrough));
    session = next;
    await refresh();
  }

  async function move(fn: (s: WalkSession) => number | undefined | boolean, none: string): Promise<number | undefined> {
    if (!session) {
      void vscode.window.showInformationMessage(strings.noWalk);
      return undefined;
    }
    const r = fn(session);
    if (r === undefined || r === false) {
      void vscode.window.setStatusBarMessage(none, 4000);
      return session.index;
    }
    if (typeof r === 'number') session.goTo(r);
    await refresh();
    return session.index;
  }

  async function locateKernelTree(picked?: vscode.Uri): Promise<string | undefined> {
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
    if (session) await refresh();
    return value;
  }

  async function exportTrace(format?: 'text' | 'markdown'): Promise<string | undefined> {
    if (!session) {
      void vscode.window.showInformationMessage(strings.noWalk);
      return undefined;
    }
    let chosen = format;
    if (!chosen) {
      const pick = await vscode.window.showQuickPick(
        [
          { label: strings.exportText, detail: strings.exportTextDetail, format: 'text' as const },
          { label: strings.exportMarkdown, detail: strings.exportMarkdownDetail, format: 'markdown' as const },
        ],
        { placeHolder: strings.pickExport },
      );
      chosen = pick?.format;
      if (!chosen) return undefined;
    }
    const trace = walkthroughTrace(session.walkthrough);
    const content = chosen === 'text' ? traceText(trace) : traceMarkdown(trace);
    const doc = await vscode.workspace.openTextDocument({ content, language: chosen === 'text' ? 'plaintext' : 'markdown' });
    await vscode.window.showTextDocument(doc, { preview: false });
    return doc.uri.toString();
  }

  // ---- the review view: Check Patch…, Compare Variants, Explore Variant…
  let review: ReviewPanel | undefined;
  let lastReport: ReportShownMessage | undefined;

  async function showReport(message: ReportMessage, title: string): Promise<ReportShownMessage> {
    if (!review || review.isDisposed) {
      review = ReviewPanel.create(context.extensionUri, {
        log,
        openSource: (m) => void guard(openSource)(m.file, m.line),
        walk: (m) => void guard(walkCounterexample)(m.scenario, m.file, m.variant, m.flushMode),
        openCounterexample: (m) => void guard(openCounterexample)(m.file),
        received: (m) => {
          lastMessage = m;
          for (const listener of messageListeners) listener(m);
        },
      }, title);
    } else review.reveal(title);
    const shown = await review.show(message);
    lastReport = shown;
    return shown;
  }

  async function openSource(file: string, line: number): Promise<void> {
    const tree = kernelTreeUri(settings().get<string>('kernelTree'));
    if (!tree) throw new Error(strings.noKernelTreeForLink);
    // The review's links name only the files it anchors into; a message naming any other path is refused.
    if (!REVIEW_TREE_FILES.includes(file)) throw new Error(strings.notAReviewFile(file));
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.joinPath(tree, file));
    const at = new vscode.Position(Math.max(0, line - 1), 0);
    await vscode.window.showTextDocument(doc, { viewColumn: vscode.ViewColumn.Beside, selection: new vscode.Range(at, at), preview: true });
  }

  async function walkCounterexample(scenario: string, file: string, variant: string, flushMode: '' | FlushMode = ''): Promise<number | undefined> {
    const total = await vscode.commands.executeCommand<number>(COMMANDS.walk, { ...(file ? { file } : { scenario }), variant, ...(flushMode ? { flushMode } : {}) });
    if (total === undefined) return undefined;
    return vscode.commands.executeCommand<number>(COMMANDS.violation);
  }

  /** The files of the kernel tree that hold modelled steps, those that can be read (none in a web host without the tree). */
  async function readTreeFiles(): Promise<SourceFile[]> {
    const tree = kernelTreeUri(settings().get<string>('kernelTree'));
    if (!tree) return [];
    const out: SourceFile[] = [];
    await Promise.all(REVIEW_TREE_FILES.map(async (rel) => {
      try {
        out.push({ path: rel, text: new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(tree, rel))) });
      } catch {
        // Not in this tree (or not readable from this host): its steps stay unanchored.
      }
    }));
    return out;
  }

  interface CheckPatchArgs {
    /** The walkthrough's example patch (media/walkthrough/example.patch). */
    example?: boolean;
    uri?: string;
    text?: string;
    name?: string;
  }

  async function checkPatch(arg?: vscode.Uri | CheckPatchArgs): Promise<CheckPatchResult | undefined> {
    let text: string | undefined;
    let name = '';
    const fromUri = async (uri: vscode.Uri) => {
      text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
      name = vscode.workspace.asRelativePath(uri);
    };
    if (arg instanceof vscode.Uri) await fromUri(arg);
    else if (arg?.text !== undefined) {
      text = arg.text;
      name = arg.name ?? 'patch';
    } else if (arg?.uri) await fromUri(vscode.Uri.parse(arg.uri));
    else if (arg?.example) {
      // Bundled as text (scripts/build.mjs), so that it reads the same in every host.
      text = examplePatch;
      name = 'example.patch';
    }
    else {
      const doc = vscode.window.activeTextEditor?.document;
      if (doc && looksLikePatch(doc.getText())) {
        text = doc.getText();
        name = doc.isUntitled ? doc.uri.path : vscode.workspace.asRelativePath(doc.uri);
      } else {
        const picked = await vscode.window.showOpenDialog({ canSelectMany: false, openLabel: strings.checkPatchOpenLabel, title: strings.checkPatchTitle, filters: { [strings.patchFiles]: ['patch', 'mbox', 'mbx', 'eml', 'txt', 'diff'], [strings.allFiles]: ['*'] } });
        if (!picked?.[0]) return undefined;
        await fromUri(picked[0]);
      }
    }
    const t0 = performance.now();
    const tree = await readTreeFiles();
    const view = reviewPatch(text ?? '', name, tree);
    const ms = round(performance.now() - t0);
    log.info(`check patch ${name}: ${view.patches.length} message(s), before ${view.before || '?'}, after ${view.after || '?'}, ${view.understood ? 'understood' : 'not understood'}; reviewed in ${ms} ms (${tree.length} tree files)`);
    const shown = await showReport({ type: 'review', review: view, ms }, strings.reviewTitle(name));
    log.info(`check patch ${name}: review view rendered ${round(performance.now() - t0)} ms after the start`);
    return { review: view, shown, ms };
  }

  interface CompareArgs {
    scenario?: string;
    /** A scenario file, by URI. */
    file?: string;
    fullScale?: boolean;
  }

  /** The long jobs' limits, from the settings as they are now. */
  function jobLimits(): JobLimits {
    const mib = settings().get<number>('jobMemoryCapMiB', 1024);
    return { maxMemoryBytes: (Number.isFinite(mib) && mib > 0 ? mib : 1024) * 2 ** 20 };
  }

  async function compare(args?: CompareArgs): Promise<{ rows: CompareRowView[]; markdown: string; shown: ReportShownMessage; fullScale: string } | undefined> {
    let scenario: Scenario;
    if (args?.scenario) scenario = builtinScenario(args.scenario) ?? (() => { throw new Error(`no built-in scenario "${args.scenario}"`); })();
    else if (args?.file) scenario = await loadScenario({ kind: 'file', id: args.file, label: vscode.workspace.asRelativePath(vscode.Uri.parse(args.file)) });
    else {
      const origin = await pickScenario(strings.pickScenarioToCompare);
      if (!origin) return undefined;
      scenario = await loadScenario(origin);
    }
    const mode = scenario.flushMode;
    const fullScale = args?.fullScale ?? true;
    const rows: CompareRowView[] = compareVariants(scenario, mode).map((r) => ({
      variant: r.variant, verdict: r.verdict, violations: r.violations, remoteFlushes: r.remoteFlushes, splitFlushes: r.splitFlushes,
      flushesSkipped: r.flushesSkipped, pagesFlushed: r.pagesFlushed, spsReused: r.spsReused, splitFlushesPer64G: fullScale ? -1 : -2,
    }));
    const title = strings.compareViewTitle(scenario.name);
    const message = { type: 'compare' as const, scenario: scenario.name, flushMode: String(mode ?? 'bare-metal'), rows, fullScale: fullScale ? strings.fullScaleRunning(jobs.where) : strings.fullScaleOff };
    let shown = await showReport(message, title);
    let fullScaleText = message.fullScale;
    if (fullScale) {
      const t0 = performance.now();
      const limits = jobLimits();
      const outcome = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: strings.fullScaleProgress, cancellable: true }, (progress, token) =>
        jobs.fullScale(rows.map((r) => r.variant), limits, (done) => progress.report({ increment: 100 / rows.length, message: `${done}/${rows.length}` }), token));
      const secs = ((performance.now() - t0) / 1000).toFixed(1);
      if (outcome.kind === 'done') {
        outcome.value.forEach((c, i) => (rows[i].splitFlushesPer64G = c));
        fullScaleText = strings.fullScaleDone(secs, jobs.where);
      } else {
        for (const r of rows) r.splitFlushesPer64G = -2;
        fullScaleText = outcome.kind === 'cancelled' ? strings.fullScaleCancelled : strings.fullScaleStopped(outcome.reason);
        if (outcome.kind === 'stopped') void vscode.window.showWarningMessage(strings.fullScaleStopped(outcome.reason));
      }
      log.info(`compare ${scenario.name}: full-scale costs ${outcome.kind === 'done' ? `in ${secs} s` : outcome.kind === 'stopped' ? `stopped after ${secs} s: ${outcome.reason}` : 'cancelled'} in ${jobs.where}`);
      shown = await showReport({ ...message, rows, fullScale: fullScaleText }, title);
    }
    const markdown = [
      strings.compareTitle(scenario.name, String(mode ?? 'bare-metal')),
      '',
      '| variant | verdict | remote flushes | split flushes | skipped | pages flushed | SPs reused | split flushes / 64 GiB |',
      '|---|---|--:|--:|--:|--:|--:|--:|',
      ...rows.map((r) => `| \`${r.variant}\` | ${r.verdict === 'pass' ? 'pass' : '**VIOLATION**'} | ${r.remoteFlushes} | ${r.splitFlushes} | ${r.flushesSkipped} | ${r.pagesFlushed} | ${r.spsReused} | ${r.splitFlushesPer64G >= 0 ? r.splitFlushesPer64G : ''} |`),
      '',
    ].join('\n');
    return { rows, markdown, shown, fullScale: fullScaleText };
  }

  // Explore Variant…: one search at a time; `cancelExplore` (tests) cancels like the notification's button.
  let exploreCancel: vscode.CancellationTokenSource | undefined;
  // The CLI's default bound first (the one a quick pick preselects), then the smaller ones, each
  // with what it can and cannot reach (docs/explorer.md has the numbers).
  const BOUNDS: { label: string; detail: string; bound: Bound }[] = [
    { label: strings.boundDefault, detail: strings.boundDefaultDetail, bound: DEFAULT_BOUND },
    { label: strings.boundMedium, detail: strings.boundMediumDetail, bound: { ...DEFAULT_BOUND, ops: 3, accesses: 2 } },
    { label: strings.boundSmall, detail: strings.boundSmallDetail, bound: { ...DEFAULT_BOUND, ops: 2, accesses: 1 } },
  ];
  /** Counterexample files this window wrote: the only files the review view's Open button may open. */
  const writtenCounterexamples = new Set<string>();

  interface ExploreArgs {
    variant?: string;
    bound?: Partial<Bound>;
  }

  /**
   * Writes a counterexample scenario into the first workspace folder
   * (.kvm-mmu-lab/counterexamples/<variant>-<time>.scenario.json), or where the user picks when
   * there is no folder or it cannot be written (a read-only virtual workspace). Undefined when the
   * user declined to save it.
   */
  async function writeCounterexample(variant: string, scenario: Record<string, unknown>): Promise<{ uri: vscode.Uri; path: string } | undefined> {
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
        log.warn(`could not write the counterexample into the workspace (${uri.toString()}): ${(error as Error).message}; asking where to save it`);
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

  async function openCounterexample(file: string): Promise<void> {
    if (!writtenCounterexamples.has(file)) throw new Error(strings.notACounterexample(file));
    await vscode.window.showTextDocument(await vscode.workspace.openTextDocument(vscode.Uri.parse(file)), { preview: false });
  }

  async function exploreVariant(args?: ExploreArgs) {
    const variant = args?.variant ? parseVariant(args.variant) : await pickVariant(session?.options.variant ?? defaultVariant(), strings.pickVariantToExplore);
    if (!variant) return undefined;
    let bound: Bound;
    if (args?.bound) bound = { ...DEFAULT_BOUND, ...args.bound };
    else {
      // The first item is the active one: the CLI's default bound.
      const picked = await vscode.window.showQuickPick(BOUNDS, { placeHolder: strings.pickBound });
      if (!picked) return undefined;
      bound = picked.bound;
    }
    exploreCancel?.cancel();
    const own = new vscode.CancellationTokenSource();
    exploreCancel = own;
    const t0 = performance.now();
    const job = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: strings.exploreProgress(variant.name), cancellable: true }, (progress, token) => {
      const sub = token.onCancellationRequested(() => own.cancel());
      return jobs.explore(variant.name, bound, jobLimits(), (p) => progress.report({ message: strings.exploreProgressMessage(p.states, p.depth, p.seconds) }), own.token).finally(() => sub.dispose());
    });
    if (exploreCancel === own) exploreCancel = undefined;
    own.dispose();
    const r = job.result;
    log.info(`explore ${variant.name}: ${r.verdict}${r.stopped ? ` (${r.stopped})` : ''}, ${r.states} states, ${round(performance.now() - t0)} ms in ${jobs.where}`);
    let written: { uri: vscode.Uri; path: string } | undefined;
    if (job.scenario) {
      written = await writeCounterexample(variant.name, job.scenario);
      if (written) {
        writtenCounterexamples.add(written.uri.toString());
        log.info(`explore ${variant.name}: counterexample written to ${written.uri.toString()}`);
      } else void vscode.window.showWarningMessage(strings.counterexampleNotSaved);
    }
    const counterexample = written?.uri.toString() ?? '';
    const missing = (r.reached ?? []).filter((g) => !g.reached);
    const standing: ExploreStanding = r.verdict === 'violation' ? 'violation' : r.verdict === 'incomplete' ? 'incomplete' : missing.length ? 'clean-not-all-reached' : 'clean-all-reached';
    const status = {
      'violation': strings.exploreStatusViolation,
      'incomplete': strings.exploreStatusIncomplete,
      'clean-not-all-reached': strings.exploreStatusNotReached(missing.length),
      'clean-all-reached': strings.exploreStatusClean,
    }[standing];
    const lines = [
      r.verdict === 'incomplete' ? strings.exploreIncomplete(r.stopped ?? '') : r.verdict === 'violation' ? strings.exploreViolation(r.depth) : missing.length ? strings.exploreCleanNotAllReached(missing.length) : strings.exploreCleanAllReached,
      ...(r.violation ? [`${r.violation.kind}: ${r.violation.message}`] : []),
      strings.exploreStats(r.states, r.transitions, r.depth, (performance.now() - t0) / 1000, jobs.where),
    ];
    // A violation is what it is; what a search that found one had not reached yet says nothing.
    const unreachedTexts = r.verdict === 'violation' ? [] : missing.map((g) => g.text);
    const shown = await showReport({
      type: 'explore', variant: variant.name, bound: r.boundText || describeBound(bound), verdict: r.verdict, standing, status, lines,
      unreached: unreachedTexts, unreachedHint: unreachedTexts.length ? strings.exploreUnreachedHint(bound.ops, bound.accesses) : '',
      counterexample, counterexamplePath: written?.path ?? '',
    }, strings.exploreViewTitle(variant.name));
    if (written) {
      void vscode.window.showInformationMessage(strings.exploreWritten(variant.name, written.path), strings.openIt, strings.walkIt).then((choice) => {
        if (choice === strings.walkIt) void guard(walkCounterexample)('', counterexample, variant.name);
        else if (choice === strings.openIt) void guard(openCounterexample)(counterexample);
      });
    }
    return { verdict: r.verdict, stopped: r.stopped ?? '', states: r.states, bound: r.boundText, standing, reached: r.reached ?? [], counterexample, counterexamplePath: written?.path ?? '', shown };
  }

  interface WalkArgs {
    scenario?: string;
    file?: string;
    variant?: string;
    /** The host's flush mode for this walk, over kvmMmuLab.flushMode (the review's counterexample may need 'range'). */
    flushMode?: string;
  }

  const guard = <A extends unknown[], R>(fn: (...args: A) => Promise<R>) => async (...args: A): Promise<R | undefined> => {
    try {
      return await fn(...args);
    } catch (error) {
      const message = (error as Error).message ?? String(error);
      log.error(message);
      void vscode.window.showErrorMessage(message);
      return undefined;
    }
  };

  const commands: Lab['commands'] = {
    [COMMANDS.openPanel]: () => {
      openPanel();
    },
    [COMMANDS.walk]: guard(async (args?: WalkArgs) => {
      const origin: ScenarioOrigin | undefined = args?.scenario
        ? { kind: 'builtin', id: args.scenario, label: `${args.scenario} (${strings.builtin})` }
        : args?.file
          ? { kind: 'file', id: args.file, label: vscode.workspace.asRelativePath(vscode.Uri.parse(args.file)) }
          : await pickScenario();
      if (!origin) return undefined;
      let scenario: Scenario;
      try {
        scenario = await loadScenario(origin);
      } catch (error) {
        throw new Error(strings.scenarioError(origin.label, (error as Error).message));
      }
      const variant = args?.variant ? parseVariant(args.variant) : args ? defaultVariant(scenario) : ((await pickVariant(defaultVariant(scenario))) ?? defaultVariant(scenario));
      walkFlushMode = args?.flushMode === 'bare-metal' || args?.flushMode === 'range' ? args.flushMode : undefined;
      const s = await startWalk(scenario, origin, variant);
      return s.total;
    }),
    [COMMANDS.forward]: () => move((s) => s.forward(), strings.atEnd),
    [COMMANDS.back]: () => move((s) => s.back(), strings.atStart),
    [COMMANDS.restart]: () => move(() => -1, strings.atStart),
    [COMMANDS.nextFlush]: () => move((s) => s.nextFlush(), strings.noMoreFlushes),
    [COMMANDS.violation]: () => move((s) => s.nextViolation(), session ? strings.noViolation(session.scenario.name, session.options.variant.name) : ''),
    [COMMANDS.variant]: guard(async (spec?: string) => {
      const variant = spec ? parseVariant(spec) : await pickVariant(session?.options.variant ?? defaultVariant());
      if (!variant) return undefined;
      await changeVariant(variant);
      return variant.name;
    }),
    [COMMANDS.locate]: guard((uri?: vscode.Uri) => locateKernelTree(uri instanceof vscode.Uri ? uri : undefined)),
    [COMMANDS.export]: guard((format?: 'text' | 'markdown') => exportTrace(format === 'text' || format === 'markdown' ? format : undefined)),
    [COMMANDS.compare]: guard((args?: CompareArgs) => compare(args)),
    [COMMANDS.checkPatch]: guard((arg?: vscode.Uri | CheckPatchArgs) => checkPatch(arg)),
    [COMMANDS.explore]: guard((args?: ExploreArgs) => exploreVariant(args)),
    [COMMANDS.walkHere]: guard(async (fn?: string) => {
      let s = session;
      if (!s) {
        const scenario = builtinScenario('reused-partial')!;
        s = await startWalk(scenario, { kind: 'builtin', id: 'reused-partial', label: `reused-partial (${strings.builtin})` }, defaultVariant(scenario));
      }
      if (fn) {
        const steps = s.walkthrough.steps;
        const after = steps.findIndex((st, i) => i > s!.index && st.anchor.fn === fn);
        const target = after >= 0 ? after : steps.findIndex((st) => st.anchor.fn === fn);
        if (target >= 0) s.goTo(target);
      }
      openPanel(true);
      await refresh();
      return s.index;
    }),
  };
  context.subscriptions.push(
    { dispose: () => { exploreCancel?.cancel(); review?.dispose(); } },
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (e.affectsConfiguration('kvmMmuLab.kernelTree')) {
        source.reset();
        if (session) void refresh();
      }
      if (e.affectsConfiguration('kvmMmuLab.flushMode')) walkFlushMode = undefined;
      if (['flushMode', 'checkStrength', 'entriesPerTable'].some((k) => e.affectsConfiguration(`kvmMmuLab.${k}`))) void guard(rebuild)();
    }),
  );
  void vscode.commands.executeCommand('setContext', CONTEXT_WALKING, false);
  log.info(`the lab is loaded; kernel tree: ${kernelTreeUri(settings().get<string>('kernelTree'))?.toString() ?? '(not set)'}; long jobs run in ${jobs.where}`);

  const api: LabApi = {
    panelReady() {
      if (panel) return panel.whenShown();
      return new Promise<LabPanel>((resolve) => openListeners.push(resolve)).then((p) => p.whenShown());
    },
    get lastMessageFromWebview() {
      return lastMessage;
    },
    nextMessageFromWebview<K extends FromWebviewMessage['type']>(type: K) {
      return new Promise<Extract<FromWebviewMessage, { type: K }>>((resolve) => {
        const listener = (message: FromWebviewMessage) => {
          if (message.type !== type) return;
          messageListeners = messageListeners.filter((l) => l !== listener);
          resolve(message as Extract<FromWebviewMessage, { type: K }>);
        };
        messageListeners.push(listener);
      });
    },
    async postRawToWebview(value: unknown) {
      return panel ? panel.surface.postRaw(value) : false;
    },
    walk() {
      if (!session) return undefined;
      const w = session.walkthrough;
      return {
        scenario: session.scenario.name, variant: session.options.variant.name, index: session.index, total: session.total,
        violations: w.violations.map((v) => v.step), flushSteps: w.steps.filter((s) => s.flush).map((s) => s.index),
      };
    },
    settled: () => rendering,
    source: () => lastSource,
    status: () => ({ text: status.text, tooltip: typeof status.tooltip === 'string' ? status.tooltip : (status.tooltip?.value ?? '') }),
    get timings() {
      return timings;
    },
    get lastReport() {
      return lastReport;
    },
    cancelExplore: () => exploreCancel?.cancel(),
    async inspectWebview(which) {
      if (which === 'panel') return panel ? panel.surface.inspect() : undefined;
      return review && !review.isDisposed ? review.inspect() : undefined;
    },
  };
  return { commands, sideView: sideProvider, api };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
