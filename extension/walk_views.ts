// The walk's views: the editor panel (one at a time) and the same view in the side bar. This file
// makes them, knows which are open, and turns what their buttons ask for into commands; what they
// show is the walk's (extension/walk.ts). The webviews themselves are extension/panel.ts.
import * as vscode from 'vscode';
import type { FromWebviewMessage, HostKind, InspectedMessage, PanelAction, ShownMessage } from '../src/view/protocol';
import { COMMANDS } from './commands';
import { LabPanel, LabSideViewProvider, type LabSurface, type SurfaceContext } from './panel';

/** A button or key in a view, as the command it runs. */
const ACTION_COMMANDS: Record<PanelAction, string> = {
  forward: COMMANDS.forward, back: COMMANDS.back, restart: COMMANDS.restart, 'next-flush': COMMANDS.nextFlush, violation: COMMANDS.violation,
  walk: COMMANDS.walk, variant: COMMANDS.variant, locate: COMMANDS.locate, export: COMMANDS.export,
};

export interface WalkViewsEvents {
  /** Every valid message from either view (the tests' API keeps the last). */
  received(message: FromWebviewMessage): void;
  /** A view (re)loaded and showed init: it wants the current step. */
  ready(surface: LabSurface): void;
  /** A step link in a view. */
  goto(step: number): void;
}

export class WalkViews implements vscode.Disposable {
  private panel: LabPanel | undefined;
  private side: LabSurface | undefined;
  private readonly opened: ((panel: LabPanel) => void)[] = [];
  private readonly surfaceContext: SurfaceContext;
  /** Whether the panel moves beside an editor that hides it (a debug session drives the walk: extension/walk.ts sets it). */
  keepBesideEditor: () => boolean = () => false;
  /** The side view's provider, which the shell registered at activation and forwards to. */
  readonly sideView: LabSideViewProvider;

  constructor(context: vscode.ExtensionContext, host: HostKind, log: vscode.LogOutputChannel, events: WalkViewsEvents) {
    this.surfaceContext = {
      extensionUri: context.extensionUri,
      extensionVersion: String((context.extension.packageJSON as { version?: unknown }).version ?? ''),
      host,
      log,
      onMessage: (message) => events.received(message),
      onReady: (surface) => events.ready(surface),
      onAction: (action) => void vscode.commands.executeCommand(ACTION_COMMANDS[action]),
      onGoto: (step) => events.goto(step),
    };
    this.sideView = new LabSideViewProvider(this.surfaceContext, (surface) => (this.side = surface));
  }

  /**
   * The panel, made beside the active editor (or revealed when it is open). `beside`: in a group
   * of its own even when no text editor is open (a debug session's stop: the debugger opens the
   * top frame's file in the active group, which would hide a panel made there before it loaded).
   */
  openPanel(preserveFocus = false, beside = false): LabPanel {
    if (this.panel) {
      this.panel.reveal(preserveFocus);
      return this.panel;
    }
    const created = LabPanel.create(this.surfaceContext, beside || vscode.window.activeTextEditor ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active);
    this.panel = created;
    // While a debug session drives the walk, the debugger opens its top frame's file in the active
    // group: when that hides the panel (the panel was alone in that group), the panel moves beside it.
    created.webviewPanel.onDidChangeViewState((e) => {
      const editor = vscode.window.activeTextEditor;
      if (!e.webviewPanel.visible && this.keepBesideEditor() && editor && editor.viewColumn === e.webviewPanel.viewColumn) e.webviewPanel.reveal(vscode.ViewColumn.Beside, true);
    });
    created.onDidDispose(() => {
      created.dispose();
      if (this.panel === created) this.panel = undefined;
    });
    for (const listener of this.opened.splice(0)) listener(created);
    return created;
  }

  /** The views open now: the panel, the side view. */
  surfaces(): LabSurface[] {
    return [this.panel?.surface, this.side].filter((s): s is LabSurface => s !== undefined);
  }

  /** The panel's column, for the editor beside it. */
  get panelColumn(): vscode.ViewColumn | undefined {
    return this.panel?.webviewPanel.viewColumn;
  }

  /** Resolves when the panel has shown init (waiting for one to open). */
  panelShown(): Promise<ShownMessage> {
    if (this.panel) return this.panel.whenShown();
    return new Promise<LabPanel>((resolve) => this.opened.push(resolve)).then((p) => p.whenShown());
  }

  /** Posts any value to the panel's webview, past the types (tests). */
  async postRaw(value: unknown): Promise<boolean> {
    return this.panel ? this.panel.surface.postRaw(value) : false;
  }

  /** Takes a value as if the panel's webview had posted it (tests); false when no panel is open. */
  receiveFromPanel(value: unknown): boolean {
    if (!this.panel) return false;
    this.panel.surface.receiveRaw(value);
    return true;
  }

  pingPanel(): Promise<number | undefined> {
    return this.panel ? this.panel.surface.ping() : Promise.resolve(undefined);
  }

  inspectPanel(): Promise<InspectedMessage | undefined> {
    return this.panel ? this.panel.surface.inspect() : Promise.resolve(undefined);
  }

  dispose(): void {
    this.panel?.dispose();
  }
}
