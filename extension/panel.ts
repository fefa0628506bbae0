// The webview panel: its HTML (strict CSP with a nonce), its half of the message protocol, and the
// ready → init → shown handshake. It renders nothing itself; media/main.ts does.
import * as vscode from 'vscode';
import {
  checkFromWebviewMessage,
  MessageEndpoint,
  PROTOCOL_VERSION,
  type FromWebviewMessage,
  type HostKind,
  type ShownMessage,
  type ToWebviewMessage,
} from '../media/protocol';
import { strings } from './strings';

export const PANEL_VIEW_TYPE = 'kvmMmuLab.panel';

export interface PanelContext {
  extensionUri: vscode.Uri;
  extensionVersion: string;
  host: HostKind;
  log: vscode.LogOutputChannel;
  /** Every valid message from the webview, replies included. */
  onMessage(message: FromWebviewMessage): void;
}

export class LabPanel implements vscode.Disposable {
  private readonly endpoint: MessageEndpoint<ToWebviewMessage, FromWebviewMessage>;
  private readonly disposables: vscode.Disposable[] = [];
  private shown: ShownMessage | undefined;
  private waiting: { resolve(message: ShownMessage): void; reject(error: Error): void }[] = [];
  private disposed = false;

  static create(context: PanelContext): LabPanel {
    const roots = [vscode.Uri.joinPath(context.extensionUri, 'media'), vscode.Uri.joinPath(context.extensionUri, 'dist')];
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, strings.panelTitle, vscode.ViewColumn.Active, {
      enableScripts: true,
      localResourceRoots: roots,
    });
    return new LabPanel(panel, context);
  }

  private constructor(
    readonly webviewPanel: vscode.WebviewPanel,
    private readonly context: PanelContext,
  ) {
    const webview = webviewPanel.webview;
    webviewPanel.iconPath = vscode.Uri.joinPath(context.extensionUri, 'media', 'icon.png');
    this.endpoint = new MessageEndpoint<ToWebviewMessage, FromWebviewMessage>({
      post: (envelope) => void webview.postMessage(envelope),
      check: checkFromWebviewMessage,
      handle: (message) => this.handle(message),
      dropped: (reason, value) => context.log.warn(`dropped a message from the webview: ${reason}: ${preview(value)}`),
      received: (message) => context.onMessage(message),
    });
    this.disposables.push(webview.onDidReceiveMessage((value: unknown) => this.endpoint.receive(value)));
    webview.html = panelHtml(webview, context.extensionUri);
  }

  /** Resolves once the webview has shown the latest init (at once if it already has). */
  whenShown(): Promise<ShownMessage> {
    if (this.shown) return Promise.resolve(this.shown);
    if (this.disposed) return Promise.reject(new Error('the panel was closed'));
    return new Promise((resolve, reject) => this.waiting.push({ resolve, reject }));
  }

  reveal(): void {
    this.webviewPanel.reveal();
  }

  onDidDispose(listener: () => void): void {
    this.disposables.push(this.webviewPanel.onDidDispose(listener));
  }

  private handle(message: FromWebviewMessage): ToWebviewMessage | undefined {
    switch (message.type) {
      case 'ready':
        // Sent on every (re)load of the webview, which then has nothing: send it everything.
        this.shown = undefined;
        this.sendInit();
        return undefined;
      case 'rejected':
        this.context.log.warn(`the webview dropped a message: ${message.reason}`);
        return undefined;
      case 'shown':
        this.context.log.warn('the webview sent "shown" without a request');
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
    this.context.log.info('webview ready; sending init');
    this.endpoint.request(init, 'shown').then(
      (reply) => {
        this.shown = reply;
        this.context.log.info('webview showed the init message');
        for (const w of this.waiting.splice(0)) w.resolve(reply);
      },
      (error: Error) => this.context.log.info(`init not acknowledged: ${error.message}`),
    );
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.endpoint.dispose('the panel was closed');
    for (const w of this.waiting.splice(0)) w.reject(new Error('the panel was closed'));
    this.webviewPanel.dispose();
    for (const d of this.disposables.splice(0)) d.dispose();
  }
}

function panelHtml(webview: vscode.Webview, extensionUri: vscode.Uri): string {
  const nonce = makeNonce();
  const script = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'dist', 'webview.js')).toString();
  const css = webview.asWebviewUri(vscode.Uri.joinPath(extensionUri, 'media', 'panel.css')).toString();
  const csp = [`default-src 'none'`, `script-src 'nonce-${nonce}'`, `style-src ${webview.cspSource}`, `img-src ${webview.cspSource}`].join('; ');
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="UTF-8">
<meta http-equiv="Content-Security-Policy" content="${attr(csp)}">
<meta name="viewport" content="width=device-width, initial-scale=1.0">
<link rel="stylesheet" href="${attr(css)}">
<title>${attr(strings.panelTitle)}</title>
</head>
<body>
<main id="app"></main>
<script nonce="${attr(nonce)}" src="${attr(script)}"></script>
</body>
</html>`;
}

function makeNonce(): string {
  const bytes = new Uint8Array(18);
  crypto.getRandomValues(bytes);
  return Array.from(bytes, (b) => b.toString(16).padStart(2, '0')).join('');
}

function attr(value: string): string {
  return value.replace(/&/g, '&amp;').replace(/"/g, '&quot;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

function preview(value: unknown): string {
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 200 ? `${text.slice(0, 200)}…` : text;
}
