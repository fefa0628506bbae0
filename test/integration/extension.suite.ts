// What only a real VS Code can show: the extension activates in the expected extension host, its
// command is in the command registry, and running it opens a webview that really loads our script,
// answers the handshake and renders the message. Runs in both hosts (node.ts, web.ts).
import * as vscode from 'vscode';
import type { KvmMmuLabApi } from '../../extension/activate';
import { strings } from '../../extension/strings';
import { checkFromWebviewMessage, checkToWebviewMessage, PROTOCOL_VERSION, type HostKind } from '../../src/view/protocol';
import { LAB_EVALUATED_MARK } from '../../extension/commands';
import { equal, match, ok } from './assert';

const EXTENSION_ID = 'kvm-mmu-lab.kvm-mmu-lab';
const COMMAND = 'kvmMmuLab.openPanel';

/**
 * How long the host took to load the extension's bundle (read, compile, evaluate), from VS Code's own
 * performance marks around it (code/extHost/willLoadExtensionCode/<id>, didLoadExtensionCode/<id>):
 * kept in globalThis.MonacoPerformanceMarks (ms, from Date.now) in the Node host and as
 * performance marks in the web worker. Internal to VS Code, so undefined when they are not found.
 */
function hostLoadMs(): number | undefined {
  const monaco = (globalThis as { MonacoPerformanceMarks?: { getMarks(): { name: string; startTime: number }[] } }).MonacoPerformanceMarks;
  const marks = monaco?.getMarks() ?? performance.getEntriesByType('mark').map((m) => ({ name: m.name, startTime: m.startTime }));
  const at = (name: string) => marks.find((m) => m.name === `code/extHost/${name}/${EXTENSION_ID}`)?.startTime;
  const will = at('willLoadExtensionCode');
  const did = at('didLoadExtensionCode');
  return will !== undefined && did !== undefined ? Math.round((did - will) * 100) / 100 : undefined;
}

function panelTabs(): vscode.Tab[] {
  return vscode.window.tabGroups.all
    .flatMap((group) => group.tabs)
    .filter((tab) => tab.input instanceof vscode.TabInputWebview && tab.input.viewType.endsWith('kvmMmuLab.panel'));
}

export function extensionSuite(expectedHost: HostKind): void {
  describe(`KVM MMU Lab in the ${expectedHost} extension host`, () => {
    let api: KvmMmuLabApi;
    let labLoadedAtActivation: boolean;
    let labMarksAtActivation: number;

    before(async () => {
      const extension = vscode.extensions.getExtension<KvmMmuLabApi>(EXTENSION_ID);
      ok(extension, `extension ${EXTENSION_ID} is not installed in this host`);
      api = await extension.activate();
      // Before anything runs a command: the workspace holds a kernel tree, so the extension activated
      // at startup (workspaceContains), and nothing since should have needed the lab.
      labLoadedAtActivation = api.labLoaded;
      labMarksAtActivation = performance.getEntriesByName(LAB_EVALUATED_MARK).length;
    });

    after(async () => {
      for (const tab of panelTabs()) await vscode.window.tabGroups.close(tab);
    });

    it(`activates through the ${expectedHost} entry point`, () => {
      equal(api.host, expectedHost, 'activate() was called by the wrong entry point');
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { main?: string; browser?: string };
      if (expectedHost === 'web') equal(manifest.main, undefined, 'the web run must load a manifest without "main"');
      else equal(manifest.main, './dist/extension.node.js', 'manifest main');
    });

    it(`runs in a ${expectedHost === 'node' ? 'Node process' : 'web worker'}`, () => {
      const scope = globalThis as { process?: { versions?: { node?: string } }; importScripts?: unknown; WorkerGlobalScope?: unknown };
      if (expectedHost === 'node') {
        match(scope.process?.versions?.node ?? '', /^\d+\./, 'process.versions.node');
      } else {
        equal(typeof scope.WorkerGlobalScope, 'function', 'typeof WorkerGlobalScope');
        equal(typeof scope.importScripts, 'function', 'typeof importScripts');
      }
    });

    it('activates without evaluating the lab or the simulation core; the first use loads them once', () => {
      // The lab's module sets LAB_EVALUATED_MARK when it is evaluated (extension/lab.node.ts,
      // lab.web.ts): none at activation, one after the first use, still one after a second.
      equal(labLoadedAtActivation, false, 'the lab was loaded at activation');
      equal(labMarksAtActivation, 0, `"${LAB_EVALUATED_MARK}" marks at activation (the lab module was evaluated)`);
      const t = api.activation;
      const firstUseMs = api.loadLab();
      ok(api.labLoaded, 'loadLab() did not load the lab');
      equal(performance.getEntriesByName(LAB_EVALUATED_MARK).length, 1, `"${LAB_EVALUATED_MARK}" marks after the first use`);
      equal(api.loadLab(), 0, 'a second loadLab() (already loaded)');
      equal(performance.getEntriesByName(LAB_EVALUATED_MARK).length, 1, `"${LAB_EVALUATED_MARK}" marks after a second use`);
      console.log(`kvm-mmu-lab-timing ${expectedHost} activation: activate() ${t.activateMs} ms (${Object.entries(t.parts).map(([k, v]) => `${k} ${v}`).join(', ')}); bundle evaluated in ${t.bundleEvalMs ?? '?'} ms, loaded by the host (read, compile, evaluate) in ${hostLoadMs() ?? '?'} ms; the lab and the core loaded on first use in ${firstUseMs} ms`);
    });

    it('sees a browser workbench (code-server): env.uiKind is Web', () => {
      equal(vscode.env.uiKind, vscode.UIKind.Web, 'vscode.env.uiKind');
      match(vscode.env.appName, /\S/, 'vscode.env.appName');
    });

    it(`registers ${COMMAND} in the command registry`, async () => {
      const commands = await vscode.commands.getCommands(true);
      ok(commands.includes(COMMAND), `${COMMAND} is not among the ${commands.length} registered commands`);
    });

    it('contributes the command to the palette as "KVM MMU Lab: Open Panel"', () => {
      const manifest = vscode.extensions.getExtension(EXTENSION_ID)?.packageJSON as { contributes: { commands: { command: string; title: string; category: string }[] } };
      const entry = manifest.contributes.commands.find((c) => c.command === COMMAND);
      ok(entry, `${COMMAND} is not in contributes.commands`);
      equal(`${entry.category}: ${entry.title}`, 'KVM MMU Lab: Open Panel', 'palette label');
    });

    it('opens a panel whose webview answers ready and shows the init text', async () => {
      await vscode.commands.executeCommand(COMMAND);
      const shown = await api.panelReady();
      equal(shown.text, strings.panelIntro, 'text the webview reports as rendered');
      equal(api.lastMessageFromWebview?.type, 'shown', 'last message from the webview');
      const tabs = panelTabs();
      equal(tabs.length, 1, 'open KVM MMU Lab panels');
      equal(tabs[0].label, strings.panelTitle, 'panel tab label');
      ok(tabs[0].isActive, 'the panel tab is not the active tab');
    });

    it('reveals the open panel instead of opening a second one', async () => {
      await vscode.commands.executeCommand(COMMAND);
      await api.panelReady();
      equal(panelTabs().length, 1, 'open KVM MMU Lab panels after running the command twice');
    });

    it('has the webview drop a malformed message and say why', async () => {
      const missingField = api.nextMessageFromWebview('rejected');
      ok(await api.postRawToWebview({ messageId: 900, body: { type: 'init', title: 'no text' } }), 'postMessage to the webview failed');
      match((await missingField).reason, /^init: field "protocolVersion" is missing$/, 'reason for an init without fields');

      const unknownType = api.nextMessageFromWebview('rejected');
      ok(await api.postRawToWebview({ messageId: 901, body: { type: 'explode' } }), 'postMessage to the webview failed');
      match((await unknownType).reason, /^unknown message type "explode"$/, 'reason for an unknown type');

      const notAnEnvelope = api.nextMessageFromWebview('rejected');
      ok(await api.postRawToWebview('<img src=x onerror=alert(1)>'), 'postMessage to the webview failed');
      match((await notAnEnvelope).reason, /^message is not an object$/, 'reason for a bare string');
    });

    it('repeats the handshake after the panel is closed and opened again', async () => {
      const [tab] = panelTabs();
      ok(tab, 'no panel tab to close');
      await vscode.window.tabGroups.close(tab);
      equal(panelTabs().length, 0, 'panels after closing');
      await vscode.commands.executeCommand(COMMAND);
      const shown = await api.panelReady();
      equal(shown.text, strings.panelIntro, 'text shown by the new webview');
      equal(panelTabs().length, 1, 'panels after reopening');
    });

    it('validates envelopes with the shared protocol checks in this host', () => {
      const init = { messageId: 1, body: { type: 'init', protocolVersion: PROTOCOL_VERSION, extensionVersion: '0.1.0', host: expectedHost, title: 't', text: 'x' } };
      equal(checkToWebviewMessage(init), undefined, 'a complete init');
      equal(checkToWebviewMessage({ ...init, body: { ...init.body, host: 'electron' } }), 'init: field "host" is "electron", expected one of node, web', 'an init from an unknown host');
      equal(checkToWebviewMessage({ ...init, body: { ...init.body, extra: 1 } }), 'init: unexpected field "extra"', 'an init with an extra field');
      equal(checkFromWebviewMessage({ messageId: 2, inReplyTo: 1, body: { type: 'shown', text: 'x' } }), undefined, 'a shown reply');
      equal(checkFromWebviewMessage({ messageId: 2.5, body: { type: 'ready' } }), 'messageId is not an integer', 'a fractional messageId');
      equal(checkFromWebviewMessage({ messageId: 3, body: { type: 'shown', text: 7 } }), 'shown: field "text" is number, expected string', 'a shown with a number for text');
    });
  });
}
