// What activate() does, in both hosts, and all it does: register the commands, the side view and
// the Explore view (extension/explore_view.ts: its list needs no lab, so an empty one loads none),
// set up the editor's CodeLens, hover and model listing (extension/source.ts: they must be there
// before any command runs, and need only the anchors table), and return the tests' API. The lab —
// extension/activate.ts, and with it the simulation core — is loaded the first time a command or
// the view needs it, by the host's `loadLab`: in the Node host a bundle of its own
// (dist/lab.node.js), in the web-worker host the same bundle, evaluated on first call
// (docs/activation.md says why, and what each step costs).
import * as vscode from 'vscode';
import type { HostKind } from '../src/view/protocol';
import type { ActivationTiming, KvmMmuLabApi, Lab, LabModule } from './activate';
import { COMMANDS, DEBUG_TYPE, SIDE_VIEW_ID } from './commands';
import { ExploreView } from './explore_view';
import { SourceView } from './source';
import { useTranslation } from './l10n';
import { strings } from './strings';

export interface ShellOptions {
  host: HostKind;
  /** The lab's module: node.ts requires dist/lab.node.js, web.ts evaluates the bundled lab.web.ts. */
  loadLab(): LabModule;
  /** How long the extension bundle took to evaluate, from bundleEvalMs() at the end of the entry. */
  bundleEvalMs: number | undefined;
}

/** Milliseconds since the bundle's first statement (scripts/build.mjs's banner); called last in the entry module. */
export function bundleEvalMs(): number | undefined {
  return typeof __kvmMmuLabBundleStart === 'number' ? round(performance.now() - __kvmMmuLabBundleStart) : undefined;
}

export function activateShell(context: vscode.ExtensionContext, options: ShellOptions): KvmMmuLabApi {
  const start = performance.now();
  // Every word from here on in the user's language (extension/l10n.ts; English when there is no bundle).
  useTranslation((message, ...args) => vscode.l10n.t(message, ...args));
  const parts: Record<string, number> = {};
  let lap = start;
  const done = (part: string) => {
    const now = performance.now();
    parts[part] = round(now - lap);
    lap = now;
  };
  const log = vscode.window.createOutputChannel(strings.outputChannel, { log: true });
  done('log');
  const source = new SourceView(context.extensionUri, log);
  context.subscriptions.push(log, source);
  done('source');
  const searches = new ExploreView();
  context.subscriptions.push(searches);
  done('exploreView');
  const timing: ActivationTiming = { activateMs: 0, bundleEvalMs: options.bundleEvalMs, labLoadMs: undefined, parts };

  let lab: Lab | undefined;
  const load = (forWhat: string): Lab => {
    if (lab) return lab;
    const t0 = performance.now();
    try {
      lab = options.loadLab().createLab(context, { log, source, searches });
    } catch (error) {
      const message = strings.labLoadFailed((error as Error).message ?? String(error));
      log.error(`${message}\n${(error as Error).stack ?? ''}`);
      void vscode.window.showErrorMessage(message);
      throw error;
    }
    timing.labLoadMs = round(performance.now() - t0);
    log.info(`loaded the lab and the simulation core for ${forWhat} in ${timing.labLoadMs} ms`);
    return lab;
  };

  for (const id of Object.values(COMMANDS)) {
    context.subscriptions.push(vscode.commands.registerCommand(id, (...args: unknown[]) => load(id).commands[id](...args)));
  }
  context.subscriptions.push(
    vscode.window.registerWebviewViewProvider(SIDE_VIEW_ID, {
      resolveWebviewView: (view, resolveContext, token) => load('the side view').sideView.resolveWebviewView(view, resolveContext, token),
    }),
    // The debugger (extension/debug.ts) is the lab's too: registered here, loaded when a session starts.
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, { createDebugAdapterDescriptor: (session) => load('the debugger').debug.adapter(session) }),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, { resolveDebugConfiguration: (_folder, config) => load('the debugger').debug.resolve(config) }),
  );
  done('commands');

  // The settings that open the panel or start a walk when a window opens (the demo workspace sets
  // them) are read after activate() has returned: the first read of the configuration can take a
  // while in the web worker, and either setting loads the lab anyway.
  setTimeout(() => {
    const settings = vscode.workspace.getConfiguration('kvmMmuLab');
    const walkOnStartup = settings.get<string>('walkOnStartup', '');
    if (settings.get<boolean>('openPanelOnStartup', false)) void vscode.commands.executeCommand(COMMANDS.openPanel);
    // Start at the split itself, so that the editor beside the panel shows mmu.c from the start.
    if (walkOnStartup) void vscode.commands.executeCommand(COMMANDS.walk, { scenario: walkOnStartup }).then(() => vscode.commands.executeCommand(COMMANDS.walkHere, 'shadow_mmu_split_huge_page'));
  }, 0);

  timing.activateMs = round(performance.now() - start);
  const version = String((context.extension.packageJSON as { version?: unknown }).version ?? '');
  log.info(`activated in the ${options.host} extension host, version ${version}: activate() took ${timing.activateMs} ms, the bundle evaluated in ${timing.bundleEvalMs ?? '?'} ms; the lab loads on first use`);

  return {
    host: options.host,
    activationMs: timing.activateMs,
    activation: timing,
    get labLoaded() {
      return lab !== undefined;
    },
    loadLab() {
      if (lab) return 0;
      load('the API');
      return timing.labLoadMs ?? 0;
    },
    decorations: () => source.report,
    panelReady: () => load('the API').api.panelReady(),
    get lastMessageFromWebview() {
      return lab?.api.lastMessageFromWebview;
    },
    nextMessageFromWebview: (type) => load('the API').api.nextMessageFromWebview(type),
    postRawToWebview: (value) => load('the API').api.postRawToWebview(value),
    sendFromPanel: (value) => lab?.api.sendFromPanel(value) ?? false,
    walk: () => lab?.api.walk(),
    settled: () => (lab ? lab.api.settled() : Promise.resolve([])),
    pingPanel: () => (lab ? lab.api.pingPanel() : Promise.resolve(undefined)),
    status: () => (lab ? lab.api.status() : { text: '', tooltip: '' }),
    source: () => (lab ? lab.api.source() : { kind: 'listing', label: '', location: '', note: '' }),
    get timings() {
      return lab?.api.timings ?? [];
    },
    get editorTimings() {
      return lab?.api.editorTimings ?? [];
    },
    setEditorIdle: (ms, statusToo) => lab?.api.setEditorIdle(ms, statusToo),
    get lastReport() {
      return lab?.api.lastReport;
    },
    cancelExplore: () => lab?.api.cancelExplore(),
    exploreView: () => ({ visible: searches.visible, rows: searches.rows(), visibility: searches.visibilityHistory() }),
    inspectWebview: (which) => (lab ? lab.api.inspectWebview(which) : Promise.resolve(undefined)),
  };
}

function round(ms: number): number {
  return Math.round(ms * 100) / 100;
}
