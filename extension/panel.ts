// The webviews: the editor panel and the same view in the side bar. Both are one LabSurface: the
// HTML (strict CSP with a nonce), its half of the message protocol, the ready → init → shown
// handshake and then the snapshots to render. They render nothing themselves; media/main.ts does.
import * as vscode from 'vscode';
import {
  checkFromWebviewMessage,
  MessageEndpoint,
  PROTOCOL_VERSION,
  type FromWebviewMessage,
  type HostKind,
  type InspectedMessage,
  type PanelAction,
  type RenderedMessage,
  type ShownMessage,
  type SnapshotMessage,
  type ToWebviewMessage,
} from '../src/view/protocol';
import type { PanelSnapshot } from '../src/view/snapshot';
import { DeltaSender } from '../src/view/snapshot_delta';
import { strings } from './strings';

export const PANEL_VIEW_TYPE = 'kvmMmuLab.panel';
export const SIDE_VIEW_ID = 'kvmMmuLab.sideView';

export type SurfaceKind = 'panel' | 'side';

/** A step to show, as the walk makes it; the view numbers it (its version) and sends it whole or as a delta. */
export type StepMessage = Omit<SnapshotMessage, 'version'>;

/** How a step went to a view: the reply, and what was posted (a delta or the whole snapshot, and how long as JSON). */
export interface StepSent {
  reply: RenderedMessage;
  /** 'delta': only what changed since the webview's last snapshot; 'full': the whole snapshot (the first, or after a resend). */
  sent: 'delta' | 'full' | 'resent';
  bytes: number;
}

export interface SurfaceContext {
  extensionUri: vscode.Uri;
  extensionVersion: string;
  host: HostKind;
  log: vscode.LogOutputChannel;
  /** Every valid message from the webview, replies included. */
  onMessage(message: FromWebviewMessage, surface: LabSurface): void;
  /** The webview (re)loaded and showed init: send it the current step, if there is a walk. */
  onReady(surface: LabSurface): void;
  onAction(action: PanelAction): void;
  /** A step link in the panel: go to that step (the index as sent; the walk clamps it). */
  onGoto(step: number): void;
}

/** One webview of the extension, in a panel or in the side bar. */
export class LabSurface implements vscode.Disposable {
  private readonly endpoint: MessageEndpoint<ToWebviewMessage, FromWebviewMessage>;
  private readonly disposables: vscode.Disposable[] = [];
  private shown: ShownMessage | undefined;
  private waiting: { resolve(message: ShownMessage): void; reject(error: Error): void }[] = [];
  private disposed = false;
  /** The snapshot the webview has rendered and holds, by version: a step is sent as what changed since it. */
  private readonly deltas = new DeltaSender<PanelSnapshot>();

  constructor(
    readonly kind: SurfaceKind,
    readonly webview: vscode.Webview,
    private readonly context: SurfaceContext,
    /** Whether the webview is on screen: a hidden one gets no message (VS Code drops them) and would never reply. */
    private readonly visible: () => boolean,
  ) {
    webview.options = { enableScripts: true, localResourceRoots: localRoots(context.extensionUri) };
    this.endpoint = new MessageEndpoint<ToWebviewMessage, FromWebviewMessage>({
      post: (envelope) => void webview.postMessage(envelope),
      check: checkFromWebviewMessage,
      handle: (message) => this.handle(message),
      dropped: (reason, value) => context.log.warn(`dropped a message from the ${kind} webview: ${reason}: ${preview(value)}`),
      received: (message) => context.onMessage(message, this),
    });
    this.disposables.push(webview.onDidReceiveMessage((value: unknown) => this.endpoint.receive(value)));
    webview.html = panelHtml(webview, context.extensionUri, kind);
  }

  get isShown(): boolean {
    return this.shown !== undefined;
  }

  /** Resolves once the webview has shown the latest init (at once if it already has). */
  whenShown(): Promise<ShownMessage> {
    if (this.shown) return Promise.resolve(this.shown);
    if (this.disposed) return Promise.reject(new Error('the panel was closed'));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  /**
   * Sends a step to render; resolves with the webview's reply, or undefined when it is hidden (it
   * is sent the current step when it shows again), went away, or did not answer in 10 s (so that
   * one lost message never holds up the steps after it).
   */
  async showSnapshot(message: StepMessage): Promise<StepSent | undefined> {
    if (this.disposed || !this.visible()) return undefined;
    let timer: ReturnType<typeof setTimeout> | undefined;
    try {
      const late = new Promise<undefined>((resolve) => (timer = setTimeout(() => {
        this.context.log.warn(`the ${this.kind} webview did not answer step ${message.snapshot.index} in 10 s`);
        resolve(undefined);
      }, 10_000)));
      return await Promise.race([this.sendStep(message), late]);
    } catch {
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  }

  /**
   * Sends the step as what changed since the snapshot the webview holds, or whole when it holds
   * none we know of or the delta would be no shorter; whole again when the webview answers that it
   * holds another version. Until the reply, the webview's snapshot is unknown: a step that gets
   * none (hidden, reloaded, late) is followed by a whole one.
   */
  private async sendStep(message: StepMessage): Promise<StepSent> {
    const next = this.deltas.next(message.snapshot);
    const full: SnapshotMessage = { ...message, version: next.version };
    let body: ToWebviewMessage = full;
    let bytes = JSON.stringify(full).length;
    if (next.delta) {
      const delta: ToWebviewMessage = {
        type: 'snapshotDelta', version: next.version, ...next.delta,
        scenarioLabel: message.scenarioLabel, source: message.source, snapshotMs: message.snapshotMs, ...(message.driver !== undefined ? { driver: message.driver } : {}),
      };
      const deltaBytes = JSON.stringify(delta).length;
      if (deltaBytes < bytes) [body, bytes] = [delta, deltaBytes];
    }
    let reply = await this.endpoint.request(body, ['rendered', 'resend']);
    let sent: StepSent['sent'] = body.type === 'snapshotDelta' ? 'delta' : 'full';
    if (reply.type === 'resend') {
      this.context.log.info(`the ${this.kind} webview holds snapshot ${reply.holds}, not ${next.delta?.base}: sending step ${message.snapshot.index} whole (${reply.reason})`);
      reply = await this.endpoint.request(full, ['rendered']);
      sent = 'resent';
    }
    this.deltas.rendered(next.version, message.snapshot);
    return { reply, sent, bytes };
  }

  /** The webview is on screen again: if it kept its page, send it the current step (a reloaded one asks with `ready`). */
  shownAgain(): void {
    if (!this.disposed && this.shown) this.context.onReady(this);
  }

  showIdle(): void {
    if (!this.disposed && this.shown) this.endpoint.send({ type: 'idle', text: strings.panelIntro });
  }

  private handle(message: FromWebviewMessage): ToWebviewMessage | undefined {
    switch (message.type) {
      case 'ready':
        // Sent on every (re)load of the webview, which then has nothing: send it everything. A step
        // sent to the page that was there before (hidden, then gone) gets no reply: stop waiting.
        this.endpoint.dispose('the webview reloaded');
        this.shown = undefined;
        this.deltas.forget();
        this.sendInit();
        return undefined;
      case 'rejected':
        this.context.log.warn(`the ${this.kind} webview dropped a message: ${message.reason}`);
        return undefined;
      case 'action':
        this.context.onAction(message.action);
        return undefined;
      case 'goto':
        this.context.onGoto(message.step);
        return undefined;
      case 'pictureGoto':
        this.context.log.info(`the ${this.kind} webview's picture of the hazard: go to step ${message.step} (${message.mark})`);
        this.context.onGoto(message.step);
        return undefined;
      case 'shown':
      case 'rendered':
      case 'reportShown':
      case 'openSource':
      case 'walk':
      case 'openCounterexample':
      case 'inspected':
      case 'resend':
      case 'pong':
        this.context.log.warn(`the ${this.kind} webview sent "${message.type}" without a request`);
        return undefined;
    }
  }

  private sendInit(): void {
    const init: ToWebviewMessage = {
      type: 'init',
      protocolVersion: PROTOCOL_VERSION,
      extensionVersion: this.context.extensionVersion,
      host: this.context.host,
      title: strings.panelHeading,
      text: strings.panelIntro,
    };
    this.context.log.info(`${this.kind} webview ready; sending init`);
    this.endpoint.request(init, 'shown').then(
      (reply) => {
        this.shown = reply;
        for (const w of this.waiting.splice(0)) w.resolve(reply);
        this.context.onReady(this);
      },
      (error: Error) => this.context.log.info(`init not acknowledged: ${error.message}`),
    );
  }

  /** What the webview's document holds now (tests: that input became text, not elements). */
  inspect(): Promise<InspectedMessage> {
    return this.endpoint.request({ type: 'inspect' }, 'inspected');
  }

  /**
   * Takes a value as if the webview had posted it (tests: a button press, `{ type: 'action' }`, down
   * the same path as the webview's own: the check, the message log, the handler).
   */
  receiveRaw(value: unknown): void {
    this.endpoint.receive(value);
  }

  /** Milliseconds from posting `ping` to its `pong`, as the extension sees it (the benchmark's baseline); undefined when hidden. */
  async ping(): Promise<number | undefined> {
    if (this.disposed || !this.visible() || !this.shown) return undefined;
    const t0 = performance.now();
    await this.endpoint.request({ type: 'ping' }, 'pong');
    return performance.now() - t0;
  }

  /** Posts any value past the types (tests use it to check the webview's validation). */
  postRaw(value: unknown): Thenable<boolean> {
    return this.webview.postMessage(value);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endpoint.dispose('the panel was closed');
    for (const w of this.waiting.splice(0)) w.reject(new Error('the panel was closed'));
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The editor panel: one at a time, revealed when asked for again. */
export class LabPanel implements vscode.Disposable {
  readonly surface: LabSurface;
  private readonly disposables: vscode.Disposable[] = [];

  static create(context: SurfaceContext, column: vscode.ViewColumn): LabPanel {
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, strings.panelTitle, { viewColumn: column, preserveFocus: false }, {
      enableScripts: true,
      localResourceRoots: localRoots(context.extensionUri),
    });
    return new LabPanel(panel, context);
  }

  private constructor(
    readonly webviewPanel: vscode.WebviewPanel,
    context: SurfaceContext,
  ) {
    webviewPanel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    this.surface = new LabSurface('panel', webviewPanel.webview, context, () => webviewPanel.visible);
    this.disposables.push(webviewPanel.onDidChangeViewState((e) => { if (e.webviewPanel.visible) this.surface.shownAgain(); }));
  }

  whenShown(): Promise<ShownMessage> {
    return this.surface.whenShown();
  }

  reveal(preserveFocus = false): void {
    this.webviewPanel.reveal(undefined, preserveFocus);
  }

  onDidDispose(listener: () => void): void {
    this.disposables.push(this.webviewPanel.onDidDispose(listener));
  }

  dispose(): void {
    this.surface.dispose();
    this.webviewPanel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

/** The same view in the explorer side bar, shown while walking (its `when` is kvmMmuLab.walking). */
export class LabSideViewProvider implements vscode.WebviewViewProvider {
  surface: LabSurface | undefined;

  constructor(
    private readonly context: SurfaceContext,
    private readonly onSurface: (surface: LabSurface | undefined) => void,
  ) {}

  resolveWebviewView(view: vscode.WebviewView): void {
    this.surface?.dispose();
    const surface = new LabSurface('side', view.webview, this.context, () => view.visible);
    this.surface = surface;
    this.onSurface(surface);
    view.onDidChangeVisibility(() => { if (view.visible) surface.shownAgain(); });
    view.onDidDispose(() => {
      surface.dispose();
      if (this.surface === surface) {
        this.surface = undefined;
        this.onSurface(undefined);
      }
    });
  }
}

export function localRoots(extensionUri: vscode.Uri): vscode.Uri[] {
  return [vscode.Uri.joinPath(extensionUri, 'media'), vscode.Uri.joinPath(extensionUri, 'dist')];
}

function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri, kind: SurfaceKind): string {
  return webviewHtml(webview, extensionUri, 'webview.js', kind, strings.panelTitle, { codicons: true });
}

/** Where scripts/build.mjs puts VS Code's icon font and its stylesheet (from @vscode/codicons). */
export const CODICONS_CSS = ['dist', 'codicons', 'codicon.css'] as const;

/** The page's Content-Security-Policy: nothing by default; our script by nonce; styles, images (and, with the icons, fonts) only from the extension's own files. */
export function webviewCsp(cspSource: string, nonce: string, options: { codicons?: boolean } = {}): string {
  // font-src only where the page loads the icon font: a page without icons may load no font at all.
  const fonts = options.codicons ? [`font-src ${cspSource}`] : [];
  return [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${cspSource}`, `img-src ${cspSource}`, ...fonts].join('; ');
}

/**
 * A webview page under the strict CSP: dist/<script> with a fresh nonce, media/panel.css, an empty
 * #app; with `codicons`, VS Code's icon stylesheet first (it is a stylesheet from the extension, which
 * style-src already allows; the font it names is the one thing font-src is opened for).
 */
export function webviewHtml(webview: vscode.Webview, extensionUri: vscode.Uri, scriptFile: string, kind: string, title: string, options: { codicons?: boolean } = {}): string {
  const nonce = makeNonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', scriptFile)).toString();
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css')).toString();
  const icons = options.codicons ? `<link rel="stylesheet" href="${attr(webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, ...CODICONS_CSS)).toString())}">\n` : '';
  const csp = webviewCsp(webview.cspSource, nonce, options);
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
${icons}<link rel="stylesheet" href="${attr(css)}">
<title>${attr(title)}</title>
</head>
<body data-surface="${attr(kind)}"${l10nAttribute()}>
<main id="app"></main>
<script nonce="${attr(nonce)}" src="${attr(script)}"></script>
</body>
</html>`;
}

/**
 * VS Code's translations for this window (none in English) as the body's data-l10n attribute, which
 * media/l10n.ts reads before drawing a label: the webviews' words come from the same bundle as the
 * extension's. Data in an attribute, escaped; the webview parses and checks it, never runs it.
 */
function l10nAttribute(): string {
  const bundle = vscode.l10n.bundle;
  return bundle && Object.keys(bundle).length ? ` data-l10n="${attr(JSON.stringify(bundle))}"` : '';
}

function makeNonce(): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

export function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
