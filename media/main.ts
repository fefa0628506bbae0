// The panel's webview. It asks for its content with `ready`, renders what `init` carries (always as
// text, never as HTML) and answers `shown` with what its DOM now displays. It keeps only UI state
// (whether the details are open) in the webview state; the content always comes from the extension.
import {
  checkToWebviewMessage,
  MessageEndpoint,
  PROTOCOL_VERSION,
  type FromWebviewMessage,
  type InitMessage,
  type ToWebviewMessage,
} from './protocol';
import { strings } from './strings';

interface VsCodeApi {
  postMessage(message: unknown): void;
  getState(): unknown;
  setState(state: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

/** UI state only: what a person changed in this panel, restored when the webview reloads. */
interface UiState {
  detailsOpen: boolean;
}

function restoreUiState(saved: unknown): UiState {
  const state: UiState = { detailsOpen: false };
  if (typeof saved === 'object' && saved !== null && typeof (saved as UiState).detailsOpen === 'boolean') {
    state.detailsOpen = (saved as UiState).detailsOpen;
  }
  return state;
}

function element<K extends keyof HTMLElementTagNameMap>(tag: K, props: { id?: string; className?: string; text?: string } = {}, ...children: Node[]): HTMLElementTagNameMap[K] {
  const node = document.createElement(tag);
  if (props.id) node.id = props.id;
  if (props.className) node.className = props.className;
  if (props.text !== undefined) node.textContent = props.text;
  node.append(...children);
  return node;
}

function buildView(root: HTMLElement, ui: UiState, saveUi: () => void) {
  const title = element('h1', { id: 'title' });
  const status = element('span', { id: 'status', className: 'status', text: strings.connecting });
  status.setAttribute('role', 'status');
  const text = element('p', { id: 'message', className: 'message' });
  const facts = element('dl', { className: 'facts' });
  const details = element('details', { id: 'details' }, element('summary', { text: strings.details }), facts);
  details.open = ui.detailsOpen;
  details.addEventListener('toggle', () => {
    ui.detailsOpen = details.open;
    saveUi();
  });
  root.replaceChildren(element('header', { className: 'bar' }, title, status), text, details);

  return {
    showInit(message: InitMessage): string {
      title.textContent = message.title;
      text.textContent = message.text;
      status.textContent = message.protocolVersion === PROTOCOL_VERSION ? strings.connected : strings.protocolMismatch(message.protocolVersion, PROTOCOL_VERSION);
      status.classList.toggle('ok', message.protocolVersion === PROTOCOL_VERSION);
      const rows: [string, string][] = [
        [strings.host, strings.hostKinds[message.host]],
        [strings.extensionVersion, message.extensionVersion],
        [strings.protocolVersion, String(message.protocolVersion)],
      ];
      facts.replaceChildren(...rows.flatMap(([term, value]) => [element('dt', { text: term }), element('dd', { text: value })]));
      document.body.dataset.host = message.host;
      return text.textContent ?? '';
    },
  };
}

const vscode = acquireVsCodeApi();
const ui = restoreUiState(vscode.getState());
const view = buildView(document.getElementById('app') ?? document.body, ui, () => vscode.setState(ui));

const endpoint: MessageEndpoint<FromWebviewMessage, ToWebviewMessage> = new MessageEndpoint<FromWebviewMessage, ToWebviewMessage>({
  post: (envelope) => vscode.postMessage(envelope),
  check: checkToWebviewMessage,
  handle(message) {
    switch (message.type) {
      case 'init':
        return { type: 'shown', text: view.showInit(message) };
    }
  },
  dropped(reason, value) {
    console.warn('[kvm-mmu-lab] dropped a message:', reason, value);
    endpoint.send({ type: 'rejected', reason });
  },
});

window.addEventListener('message', (event: MessageEvent<unknown>) => endpoint.receive(event.data));
endpoint.send({ type: 'ready' });
