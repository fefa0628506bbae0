// Activation stays cheap: what activate() registers, that it loads no lab until a command or the
// view needs it, and that the Node host's entry bundle holds none of the simulation core. The
// shell runs against test/support/vscode-stub.ts; the bundle is built in memory with the shipped options
// (scripts/lib/bundles.mjs). Timing is the bench's business (bench/activation.bench.ts), not this.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { test } from 'node:test';
import { pathToFileURL } from 'node:url';
import * as esbuild from 'esbuild';
import { requireVscodeAs, vscodeStub } from '../support/vscode-stub';
import type { Lab, LabModule } from '../../extension/activate';
import { searchRow } from '../../src/view/explore_searches';
import { COMMANDS, CONTEXT_SEARCHES_FINISHED, DEBUG_TYPE, EXPLORE_VIEW_ID, SIDE_VIEW_ID } from '../../extension/commands';

const ROOT = join(__dirname, '..', '..');
const manifest = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as {
  activationEvents: string[];
  contributes: { commands: { command: string }[]; views: Record<string, { id: string }[]> };
};

// One stub for the file: the shell's module (and its `vscode`) is loaded once and cached.
const stub = vscodeStub();

/** The shell with `vscode` stubbed, and a lab whose loads and command calls are counted. */
function activateWithStub() {
  stub.commands.clear();
  stub.views.clear();
  stub.treeViews.clear();
  const restore = requireVscodeAs(stub);
  try {
    // eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stub is in place
    const { activateShell } = require('../../extension/shell') as typeof import('../../extension/shell');
    const calls: { command: string; args: unknown[] }[] = [];
    let loads = 0;
    const commands = Object.fromEntries(Object.values(COMMANDS).map((id) => [id, (...args: unknown[]) => calls.push({ command: id, args })])) as Lab['commands'];
    const resolved: unknown[] = [];
    const labModule: LabModule = {
      createLab: () => {
        loads++;
        return { commands, debug: {} as Lab['debug'], sideView: { resolveWebviewView: (view) => void resolved.push(view) }, api: {} as Lab['api'] };
      },
    };
    const api = activateShell(stub.context(ROOT, manifest) as never, { host: 'node', bundleEvalMs: undefined, loadLab: () => labModule });
    return { stub, api, calls, resolved, loads: () => loads };
  } finally {
    restore();
  }
}

test('package.json contributes exactly the commands the shell registers, the side view and the Explore view', () => {
  const contributed = manifest.contributes.commands.map((c) => c.command).sort();
  assert.deepEqual(contributed, Object.values(COMMANDS).sort());
  for (const id of [SIDE_VIEW_ID, EXPLORE_VIEW_ID]) assert.ok(Object.values(manifest.contributes.views).flat().some((v) => v.id === id), `no view ${id}`);
});

test('the Explore view\'s menus: Cancel inline on a running row only, Clear Finished once a search has finished, and a welcome that runs Explore Variant…', () => {
  const m = manifest as unknown as { contributes: { menus: Record<string, { command: string; when: string; group?: string }[]>; viewsWelcome: { view: string; contents: string }[] } };
  // The row's contextValue is its state (extension/explore_view.ts): a running row's is "running".
  const running = searchRow({ id: 1, variant: 'v7', engine: 'packed', bound: '' }).state;
  const cancel = m.contributes.menus['view/item/context'].find((x) => x.command === COMMANDS.cancelSearch);
  assert.deepEqual(cancel, { command: COMMANDS.cancelSearch, when: `view == ${EXPLORE_VIEW_ID} && viewItem == ${running}`, group: 'inline' });
  const clear = m.contributes.menus['view/title'].find((x) => x.command === COMMANDS.clearFinishedSearches);
  assert.equal(clear?.when, `view == ${EXPLORE_VIEW_ID} && ${CONTEXT_SEARCHES_FINISHED}`);
  // Neither is offered in the palette without a row to act on: Cancel needs the row's search.
  const palette = new Map(m.contributes.menus.commandPalette.map((x) => [x.command, x.when]));
  assert.equal(palette.get(COMMANDS.cancelSearch), 'false');
  assert.equal(palette.get(COMMANDS.clearFinishedSearches), CONTEXT_SEARCHES_FINISHED);
  const welcome = m.contributes.viewsWelcome.find((w) => w.view === EXPLORE_VIEW_ID);
  assert.ok(welcome, 'no welcome for the Explore view');
  const nls = JSON.parse(readFileSync(join(ROOT, 'package.nls.json'), 'utf8')) as Record<string, string>;
  assert.match(nls[welcome.contents.slice(1, -1)], new RegExp(`\\]\\(command:${COMMANDS.explore.replace('.', '\\.')}\\)`));
});

test('activation events are precise: no "*", no onStartupFinished', () => {
  // Commands, views and the walkthrough activate implicitly (VS Code generates onCommand:, onView:
  // and onWalkthrough: from contributes); docs/activation.md lists why each explicit event is there.
  assert.ok(!manifest.activationEvents.includes('*'));
  assert.ok(!manifest.activationEvents.includes('onStartupFinished'));
  assert.deepEqual(manifest.activationEvents, ['workspaceContains:arch/x86/kvm/mmu/mmu.c', 'workspaceContains:**/arch/x86/kvm/mmu/mmu.c', 'onFileSystem:kvm-mmu-lab', 'onDebugResolve:kvm-mmu-lab']);
});

test('activate() registers every command and the side view without loading the lab', () => {
  const { stub, api, loads } = activateWithStub();
  assert.deepEqual([...stub.commands.keys()].sort(), Object.values(COMMANDS).sort());
  assert.deepEqual([...stub.views.keys()], [SIDE_VIEW_ID]);
  // The Explore view's tree is there too, and its (empty) list is drawn without the lab: the
  // workbench then shows the view's welcome.
  assert.deepEqual([...stub.treeViews.keys()], [EXPLORE_VIEW_ID]);
  assert.deepEqual(stub.treeViews.get(EXPLORE_VIEW_ID)!.getChildren(), []);
  // The debug type's adapter factory is there from the start; it loads the lab only when a session starts.
  assert.deepEqual([...stub.debugFactories.keys()], [DEBUG_TYPE]);
  assert.equal(loads(), 0);
  assert.equal(api.labLoaded, false);
});

test('the first command loads the lab once and gets its arguments; later ones reuse it', async () => {
  const { stub, api, calls, loads } = activateWithStub();
  await stub.commands.get(COMMANDS.walk)!({ scenario: 'reused-partial' });
  assert.equal(loads(), 1);
  assert.equal(api.labLoaded, true);
  await stub.commands.get(COMMANDS.forward)!();
  assert.equal(loads(), 1);
  assert.deepEqual(calls, [{ command: COMMANDS.walk, args: [{ scenario: 'reused-partial' }] }, { command: COMMANDS.forward, args: [] }]);
});

test('the side view loads the lab when VS Code resolves it', () => {
  const { stub, resolved, loads } = activateWithStub();
  const view = { webview: {} };
  stub.views.get(SIDE_VIEW_ID)!.resolveWebviewView(view, {}, {});
  assert.equal(loads(), 1);
  assert.deepEqual(resolved, [view]);
});

test("the Node host's entry bundle holds the shell, not the lab or the simulation core", async () => {
  const { bundleTargets } = (await import(pathToFileURL(join(ROOT, 'scripts', 'lib', 'bundles.mjs')).href)) as { bundleTargets(o: object): esbuild.BuildOptions[] };
  const target = bundleTargets({}).find((t) => t.outfile === 'dist/extension.node.js');
  assert.ok(target, 'no dist/extension.node.js target');
  const result = await esbuild.build({ ...target, absWorkingDir: ROOT, write: false, metafile: true, sourcemap: false, logLevel: 'silent' });
  const inputs = Object.keys(result.metafile.inputs).sort();
  // The shell, and what the editor's CodeLens, hover and listing need from the start (source.ts):
  // the anchors table, the listing built from it, the SPTE describer, and the core's statement
  // anchoring in a tree or in a patch's hunks (src/anchor/, the patch reader and its classifier's
  // function finder, which names the variants). No scenario runner, operation or check.
  // The era table comes with the variants: kernel/variants.ts's eraOf() reads it (an era's names
  // are data, no behaviour).
  assert.deepEqual(inputs.filter((f) => f.startsWith('src/')), [
    'src/anchor/anchor.ts', 'src/anchor/hunks.ts',
    'src/kernel/anchors.ts', 'src/kernel/eras.ts', 'src/kernel/spte.ts', 'src/kernel/variants.ts',
    'src/patch/classify.ts', 'src/patch/detect.ts', 'src/patch/diagnostics.ts', 'src/patch/diff.ts', 'src/patch/listing.ts', 'src/patch/mail.ts', 'src/patch/parse.ts',
    // The Explore view (extension/explore_view.ts) is the shell's, so that its empty list loads no
    // lab: its list of searches and the words of a row, the progress line among them. Plain data
    // and text: a search's types are imported as types only.
    'src/session/explore_searches.ts',
    'src/source/cfunc.ts', 'src/source/names.ts',
    'src/view/explore_progress.ts', 'src/view/explore_searches.ts', 'src/view/listing.ts',
    // The words: strings.ts goes through extension/l10n.ts, whose English before activation hands
    // over vscode.l10n.t is src/view/translate.ts (a formatter of `{0}` places, nothing more).
    'src/view/translate.ts',
  ]);
  // read_bounded.ts: the editor reads the tree's files and patch tabs only stat'ed and under a limit.
  assert.deepEqual(inputs.filter((f) => f.startsWith('extension/')), ['extension/commands.ts', 'extension/explore_view.ts', 'extension/l10n.ts', 'extension/node.ts', 'extension/read_bounded.ts', 'extension/shell.ts', 'extension/source.ts', 'extension/strings.ts']);
  assert.ok(!inputs.some((f) => f.includes('node_modules')), `packages in the entry bundle: ${inputs.filter((f) => f.includes('node_modules')).join(', ')}`);
  const text = result.outputFiles[0].text;
  assert.match(text, /require\("\.\/lab\.node\.js"\)/, 'the entry requires dist/lab.node.js');
});
