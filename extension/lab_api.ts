// The types the shell, the lab and the tests share: what activate() returns (the tests' API), what
// the shell hands the lab and what the lab gives back. Types only, so that importing them loads
// nothing; extension/activate.ts re-exports them for the tests.
import type * as vscode from 'vscode';
import type { FromWebviewMessage, HostKind, InspectedMessage, ReportShownMessage, ShownMessage, SnapshotMessage } from '../src/view/protocol';
import type { CommandHandlers } from './command_table';
import type { DecorationReport, SourceView } from './source';
import type { DebugController } from './debug';
import type { ExploreView, ShownSearch } from './explore_view';

/** One step rendered: how long the core took for the snapshot, the editor beside to follow, and the webview for the DOM. */
export interface StepTiming {
  surface: 'panel' | 'side';
  index: number;
  snapshotMs: number;
  renderMs: number;
  /** How long placing the step and moving and decorating the editor beside took (0 when only a view was refreshed); it runs while the views render. */
  sourceMs: number;
  /** From posting the step to this view to its `rendered` reply, as the extension sees it: the workbench's round trip and the webview's render. */
  replyMs: number;
  /** How the step went: only what changed since the webview's last snapshot, whole, or whole after the webview asked (its version differed). */
  sent: 'delta' | 'full' | 'resent';
  /** The step message's length as JSON (what the workbench carries to the webview). */
  messageBytes: number;
  /** Of replyMs: from posting to the webview's message event (one way in, across two clocks: ms since the epoch on each side), the webview's check of the message, and from its reply to the extension receiving it (one way out). */
  inMs: number;
  checkMs: number;
  outMs: number;
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
  /**
   * Hands the open panel a value as if its webview had posted it (an envelope holding
   * `{ type: 'action', action: 'forward' }` is a press of its Forward button): the same check, log
   * and handling as the webview's own messages. False when no panel is open.
   */
  sendFromPanel(value: unknown): boolean;
  /** The walk in progress: scenario, variant, step index (-1 before the first) and count. */
  walk(): { scenario: string; variant: string; index: number; total: number; violations: number[]; flushSteps: number[] } | undefined;
  /** Resolves when every open view has rendered the current step (with its timings). */
  settled(): Promise<StepTiming[]>;
  /** The status bar item's text and tooltip (as Markdown) now. */
  status(): { text: string; tooltip: string };
  /** Which source the editor beside the panel shows for the current step, as sent to the panel. */
  source(): SnapshotMessage['source'];
  /** Milliseconds from posting the smallest request (`ping`) to the panel to its reply: the workbench's round trip alone (the benchmark's baseline); undefined when no panel shows. */
  pingPanel(): Promise<number | undefined>;
  /** Every step timing so far. */
  readonly timings: readonly StepTiming[];
  /** How long the editor beside took to follow, each time it followed once stepping paused (ms). */
  readonly editorTimings: readonly number[];
  /**
   * How long stepping must pause before the editor beside follows it (ms); 0: within each step's
   * command, once the views answered (before 2026-12-07). `statusToo`: the status bar follows with
   * it (else within the step's command). The benchmark's paired A/B runs set them.
   */
  setEditorIdle(ms: number, statusToo?: boolean): void;
  /** The review view's last reply (what its DOM shows), if it has shown anything. */
  readonly lastReport: ReportShownMessage | undefined;
  /** Cancels the running Explore Variant… as its notification's Cancel button does. */
  cancelExplore(): void;
  /** The Explore view's rows, top first, as they read now, whether the view is on screen, and when it came and went. */
  exploreView(): { visible: boolean; rows: ShownSearch[]; visibility: { nowMs: number; changes: { atMs: number; visible: boolean }[] } };
  /** What a webview's document holds now: the walk's panel or the review view; undefined when that one is not open. */
  inspectWebview(which: 'panel' | 'review'): Promise<InspectedMessage | undefined>;
}

/** The part of the API only the lab can answer; the shell forwards to it, loading the lab first. */
export type LabApi = Omit<KvmMmuLabApi, 'host' | 'activationMs' | 'activation' | 'labLoaded' | 'loadLab' | 'decorations' | 'exploreView'>;

/** What the shell made at activation and hands the lab: the log, the editor beside the panel (its CodeLens and hover are there from the start) and the Explore view (drawn, empty, before the lab loads). */
export interface LabShared {
  log: vscode.LogOutputChannel;
  source: SourceView;
  searches: ExploreView;
}

/** What the lab gives the shell: a handler for every command, the side view's provider, the tests' API. */
export interface Lab {
  commands: CommandHandlers;
  /** The debug type's adapter and configuration resolver (extension/debug.ts). */
  debug: DebugController;
  sideView: vscode.WebviewViewProvider;
  api: LabApi;
}

/** The lab's module as each host loads it (extension/lab.node.ts, extension/lab.web.ts). */
export interface LabModule {
  createLab(context: vscode.ExtensionContext, shared: LabShared): Lab;
}
