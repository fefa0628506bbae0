// Hostile text in the webviews: a scenario file whose name, title and description hold HTML and
// script, walked in the panel and compared in the review view, and a patch whose Subject does.
// Each must come out as text. The webviews answer `inspect` with what their document holds
// (elements by tag, on… attributes, text: media/dom.ts, inspectDocument), so the tests see the DOM
// itself, not only the text the renderer meant to show.
import * as vscode from 'vscode';
import type { CheckPatchResult, KvmMmuLabApi } from '../../extension/activate';
import type { HostKind, InspectedMessage } from '../../src/view/protocol';
import { equal, ok } from './assert';

const EXTENSION_ID = 'kvm-mmu-lab.kvm-mmu-lab';
const run = <T = unknown>(command: string, ...args: unknown[]) => vscode.commands.executeCommand<T>(command, ...args);

// Each would make elements (img, svg, b, script, iframe) or an on… attribute if it were parsed as
// HTML anywhere; `</script>` would end a script element if it were pasted into one.
const NAME = '<img src=x onerror="document.title=\'pwned\'"><b>name</b>';
const TITLE = '</script><script>document.title="pwned"</script><iframe src="https://example.org/"></iframe>';
const DESCRIPTION = '<svg onload=alert(3)><b>bold</b> &amp; &lt;tag&gt; "quotes" \'single\' ${x} {{x}}';
const SUBJECT = '[PATCH v2] <img src=x onerror=alert(1)> <b>bold</b> </script><script>alert(2)</script>';

/** Tags our own renderers never make (media/main.ts, media/review.ts): any of them came from input. */
const FOREIGN_TAGS = ['img', 'svg', 'b', 'iframe', 'object', 'embed'];

/** `text` with the markup taken out, as a DOM's textContent would show it had `text` been parsed as HTML. */
function asIfParsed(text: string): string {
  return text.replace(/<[^>]*>/g, '');
}

function assertOnlyText(dom: InspectedMessage | undefined, where: string, shown: string[], mayShow: string[]): void {
  ok(dom, `no ${where} to inspect`);
  for (const tag of FOREIGN_TAGS) equal(dom.elements[tag] ?? 0, 0, `<${tag}> elements in the ${where}`);
  // Scripts: ours (extension/panel.ts, webviewHtml, with its nonce) and the one VS Code adds to every
  // webview were there when the page loaded; rendering must add none.
  equal(dom.scriptsSinceLoad, 0, `<script> elements made since the ${where} loaded`);
  equal(dom.handlers, 0, `on… attributes in the ${where}`);
  for (const s of shown) ok(dom.text.includes(s), `the ${where} does not show ${JSON.stringify(s)} literally; its text: ${JSON.stringify(dom.text.slice(0, 400))}`);
  // Text the view may or may not show (the scenario's title and description): if any of it is
  // there, it is there whole, markup included.
  for (const s of mayShow) {
    const stripped = asIfParsed(s).trim();
    if (stripped && dom.text.includes(stripped)) ok(dom.text.includes(s), `the ${where} shows ${JSON.stringify(stripped)} without its markup`);
  }
}

export function injectionSuite(host: HostKind): void {
  describe(`Hostile text renders as text (${host} extension host)`, () => {
    let api: KvmMmuLabApi;
    let file: vscode.Uri;

    before(async () => {
      api = await vscode.extensions.getExtension<KvmMmuLabApi>(EXTENSION_ID)!.activate();
      const folder = vscode.workspace.workspaceFolders?.[0];
      ok(folder, 'the test workspace is not open');
      const base = JSON.parse(new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder.uri, 'scenarios', 'reused-partial-e4.scenario.json')))) as Record<string, unknown>;
      file = vscode.Uri.joinPath(folder.uri, 'scenarios', 'hostile.scenario.json');
      await vscode.workspace.fs.writeFile(file, new TextEncoder().encode(JSON.stringify({ ...base, name: NAME, title: TITLE, description: DESCRIPTION }, null, 2)));
    });

    after(async () => {
      await vscode.workspace.fs.delete(file);
    });

    it('a scenario file with HTML in its name, title and description, walked in the panel', async () => {
      // A fresh panel: one hidden behind another editor reloads when shown again, and a request
      // sent to it meanwhile gets no answer.
      await run('workbench.action.closeAllEditors');
      const total = await run<number>('kvmMmuLab.walkScenario', { file: file.toString(), variant: 'never-flush' });
      ok(total && total > 0, 'the hostile scenario file did not walk (it is a valid scenario but for its texts)');
      await run('kvmMmuLab.runToViolation');
      await api.panelReady();
      await api.settled();
      equal(api.walk()?.scenario, NAME, 'the walk\'s scenario name');
      // The panel's title is "<name> · <variant>" (media/main.ts).
      assertOnlyText(await api.inspectWebview('panel'), 'walk panel', [`${NAME} · never-flush`], [TITLE, DESCRIPTION]);
    });

    it('the same file in Compare Variants (the review view)', async () => {
      const r = await run<{ shown: { text: string } }>('kvmMmuLab.compareVariants', { file: file.toString(), fullScale: false });
      ok(r, 'no comparison');
      assertOnlyText(await api.inspectWebview('review'), 'compare view', [`Compare variants: ${NAME}`], [TITLE, DESCRIPTION]);
    });

    it('a patch whose Subject holds HTML and script, in the review view', async () => {
      const folder = vscode.workspace.workspaceFolders![0].uri;
      const base = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(folder, 'patches', 'seed-like.format-patch.patch')));
      const evil = base.replace(/^Subject: .*\n .*$/m, `Subject: ${SUBJECT}`);
      ok(evil !== base, 'the fixture patch has no two-line Subject to replace');
      const r = await run<CheckPatchResult>('kvmMmuLab.checkPatch', { text: evil, name: 'evil.patch' });
      ok(r, 'no review');
      // The review strips the "[PATCH v2]" prefix into its own span: the rest is the subject as written.
      assertOnlyText(await api.inspectWebview('review'), 'review view', [SUBJECT.replace('[PATCH v2] ', '')], []);
    });
  });
}
