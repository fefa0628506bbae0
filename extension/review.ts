// The review view: one webview panel (dist/review.js, same CSP and nonce as the walk's panel) that
// shows a patch review, presets compared or an explorer result. Each show() resolves with the text
// the webview's DOM shows afterwards (the `reportShown` reply), which the tests assert on.
import * as vscode from 'vscode';
import {
  checkFromWebviewMessage,
  MessageEndpoint,
  type CompareMessage,
  type ExploreMessage,
  type FromWebviewMessage,
  type InspectedMessage,
  type OpenCounterexampleMessage,
  type OpenSourceMessage,
  type ReportShownMessage,
  type ReviewMessage,
  type ToWebviewMessage,
  type WalkMessage,
} from '../src/view/protocol';
import { localRoots, preview, webviewHtml } from './panel';

export const REVIEW_VIEW_TYPE = 'kvmMmuLab.review';
export type ReportMessage = ReviewMessage | CompareMessage | ExploreMessage;

export interface ReviewHandlers {
  log: vscode.LogOutputChannel;
  openSource(message: OpenSourceMessage): void;
  walk(message: WalkMessage): void;
  /** The Open button of an explorer result: the extension opens the file only if it wrote it. */
  openCounterexample(message: OpenCounterexampleMessage): void;
  /** Every valid message from the review webview (the tests' API listens). */
  received(message: FromWebviewMessage): void;
}

export class ReviewPanel implements vscode.Disposable {
  private readonly endpoint: MessageEndpoint<ToWebviewMessage, FromWebviewMessage>;
  private readonly disposables: vscode.Disposable[] = [];
  private ready = false;
  private waitingReady: (() => void)[] = [];
  private disposed = false;
  /** The last report, sent again when the webview reloads. */
  private current: ReportMessage | undefined;
  readonly onDidDispose: vscode.Event<void>;

  constructor(private readonly panel: vscode.WebviewPanel, extensionUri: vscode.Uri, private readonly handlers: ReviewHandlers) {
    panel.iconPath = vscode.Uri.joinPath(extensionUri, 'media', 'icon.png');
    const webview = panel.webview;
    this.endpoint = new MessageEndpoint<ToWebviewMessage, FromWebviewMessage>({
      post: (envelope) => void webview.postMessage(envelope),
      check: checkFromWebviewMessage,
      handle: (message) => this.handle(message),
      dropped: (reason, value) => handlers.log.warn(`dropped a message from the review webview: ${reason}: ${preview(value)}`),
      received: (message) => handlers.received(message),
    });
    this.disposables.push(webview.onDidReceiveMessage((value: unknown) => this.endpoint.receive(value)));
    webview.html = webviewHtml(webview, extensionUri, 'review.js', 'review', 'KVM MMU Lab review');
    this.onDidDispose = panel.onDidDispose;
    this.disposables.push(panel.onDidDispose(() => this.dispose()));
  }

  static create(extensionUri: vscode.Uri, handlers: ReviewHandlers, title: string): ReviewPanel {
    // Beside the active editor: the walk's panel (no retained context) must not be hidden by it.
    const panel = vscode.window.createWebviewPanel(REVIEW_VIEW_TYPE, title, { viewColumn: vscode.window.activeTextEditor || vscode.window.tabGroups.activeTabGroup.activeTab ? vscode.ViewColumn.Beside : vscode.ViewColumn.Active, preserveFocus: false }, {
      enableScripts: true,
      retainContextWhenHidden: true,
      localResourceRoots: localRoots(extensionUri),
    });
    return new ReviewPanel(panel, extensionUri, handlers);
  }

  get isDisposed(): boolean {
    return this.disposed;
  }

  reveal(title: string): void {
    this.panel.title = title;
    this.panel.reveal(undefined, true);
  }

  /** Shows a report; resolves with the webview's reply once it is rendered. */
  async show(message: ReportMessage): Promise<ReportShownMessage> {
    this.current = message;
    if (!this.ready) await new Promise<void>((resolve) => this.waitingReady.push(resolve));
    // A message the webview drops (it says so with `rejected`) gets no reply: give up after 30 s.
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`the review view did not render the ${message.type} (see the KVM MMU Lab log)`)), 30_000)));
    try {
      return await Promise.race([this.endpoint.request(message, 'reportShown'), timeout]);
    } finally {
      clearTimeout(timer);
    }
  }

  /** What the webview's document holds now (tests: that input became text, not elements). */
  inspect(): Promise<InspectedMessage> {
    return this.endpoint.request({ type: 'inspect' }, 'inspected');
  }

  private handle(message: FromWebviewMessage): ToWebviewMessage | undefined {
    switch (message.type) {
      case 'ready':
        this.ready = true;
        if (this.waitingReady.length) for (const w of this.waitingReady.splice(0)) w();
        else if (this.current) void this.endpoint.request(this.current, 'reportShown').catch(() => undefined);
        return undefined;
      case 'openSource':
        this.handlers.openSource(message);
        return undefined;
      case 'walk':
        this.handlers.walk(message);
        return undefined;
      case 'openCounterexample':
        this.handlers.openCounterexample(message);
        return undefined;
      case 'rejected':
        this.handlers.log.warn(`the review webview dropped a message: ${message.reason}`);
        return undefined;
      case 'shown':
      case 'rendered':
      case 'action':
      case 'goto':
      case 'pictureGoto':
      case 'reportShown':
      case 'inspected':
      case 'resend':
      case 'pong':
        this.handlers.log.warn(`the review webview sent "${message.type}" unasked`);
        return undefined;
    }
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endpoint.dispose('the review view was closed');
    for (const d of this.disposables.splice(0)) d.dispose();
    this.panel.dispose();
  }
}
