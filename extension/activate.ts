// Activation shared by both entry points (node.ts, web.ts): registers the command and owns the one
// panel. Returns a small API that the integration tests use to see what the webview answered.
import * as vscode from 'vscode';
import type { FromWebviewMessage, HostKind, ShownMessage } from '../media/protocol';
import { LabPanel } from './panel';
import { strings } from './strings';

export const COMMAND_OPEN_PANEL = 'kvmMmuLab.openPanel';

/** What activate() returns; stable enough for tests, not a public API. */
export interface KvmMmuLabApi {
  /** The extension host this activation runs in. */
  readonly host: HostKind;
  /** Resolves when the open panel's webview has shown the init message (waits for a panel to open). */
  panelReady(): Promise<ShownMessage>;
  /** The last valid message from any webview of this extension. */
  readonly lastMessageFromWebview: FromWebviewMessage | undefined;
  /** Resolves with the next valid message of this type from the webview. */
  nextMessageFromWebview<K extends FromWebviewMessage['type']>(type: K): Promise<Extract<FromWebviewMessage, { type: K }>>;
  /** Posts any value to the open panel's webview, past the types (to test the webview's checks). */
  postRawToWebview(value: unknown): Promise<boolean>;
}

export function activateLab(context: vscode.ExtensionContext, host: HostKind): KvmMmuLabApi {
  const log = vscode.window.createOutputChannel(strings.outputChannel, { log: true });
  context.subscriptions.push(log);
  const extensionVersion = String((context.extension.packageJSON as { version?: unknown }).version ?? '');
  log.info(`activated in the ${host} extension host, version ${extensionVersion}`);

  let current: LabPanel | undefined;
  let lastMessage: FromWebviewMessage | undefined;
  let messageListeners: ((message: FromWebviewMessage) => void)[] = [];
  const openListeners: ((panel: LabPanel) => void)[] = [];

  const openPanel = (): LabPanel => {
    if (current) {
      current.reveal();
      return current;
    }
    const panel = LabPanel.create({
      extensionUri: context.extensionUri,
      extensionVersion,
      host,
      log,
      onMessage: (message) => {
        lastMessage = message;
        for (const listener of messageListeners) listener(message);
      },
    });
    current = panel;
    panel.onDidDispose(() => {
      panel.dispose();
      if (current === panel) current = undefined;
    });
    for (const listener of openListeners.splice(0)) listener(panel);
    return panel;
  };

  context.subscriptions.push(
    vscode.commands.registerCommand(COMMAND_OPEN_PANEL, () => {
      openPanel();
    }),
    { dispose: () => current?.dispose() },
  );

  if (vscode.workspace.getConfiguration('kvmMmuLab').get<boolean>('openPanelOnStartup')) openPanel();

  return {
    host,
    panelReady() {
      if (current) return current.whenShown();
      return new Promise<LabPanel>((resolve) => openListeners.push(resolve)).then((panel) => panel.whenShown());
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
      return current ? current.webviewPanel.webview.postMessage(value) : false;
    },
  };
}
