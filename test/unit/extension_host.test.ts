// The extension host's thread against hostile workspace files (docs/reliability.md, "The extension
// host"): a file is stat'ed before it is read, and a folder, a FIFO or a file over the limit for its
// kind is refused with a message naming it and the limit, without being read. The lab's modules run
// against test/support/vscode-stub.ts and its in-memory file system, which records every read.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { requireVscodeAs, vscodeStub } from '../support/vscode-stub';
import { inThreadJobs, type Jobs } from '../../src/session/jobs';
import type { InputJob } from '../../src/session/input_jobs';

// One stub for the file: the extension's modules (and their `vscode`) are loaded once and cached.
const stub = vscodeStub();
const restore = requireVscodeAs(stub);
/* eslint-disable @typescript-eslint/no-require-imports -- after the stub is in place */
const bounded = require('../../extension/read_bounded') as typeof import('../../extension/read_bounded');
const scenarios = require('../../extension/scenarios') as typeof import('../../extension/scenarios');
const kernelTree = require('../../extension/kernel_tree') as typeof import('../../extension/kernel_tree');
const source = require('../../extension/source') as typeof import('../../extension/source');
const status = require('../../extension/status') as typeof import('../../extension/status');
const reports = require('../../extension/reports') as typeof import('../../extension/reports');
const { COMMANDS } = require('../../extension/commands') as typeof import('../../extension/commands');
const checkPatch = require('../../extension/check_patch') as typeof import('../../extension/check_patch');
const compare = require('../../extension/compare') as typeof import('../../extension/compare');
/* eslint-enable @typescript-eslint/no-require-imports */
restore();

const { Uri } = stub.module as unknown as { Uri: { file(p: string): { toString(): string } } };
const FIFO = 0; // vscode.FileType.Unknown: what VS Code's disk provider says of a FIFO or a device
const DIR = 2;
const FILE = 1;

const window = stub.module.window as Record<string, unknown>;
const workspace = stub.module.workspace as Record<string, unknown>;
const TabInputText = stub.module.TabInputText as new (uri: unknown) => unknown;

function reset(): void {
  stub.files.clear();
  stub.reads.length = 0;
  stub.shown.length = 0;
  stub.settings.clear();
  window.tabGroups = { all: [] };
  workspace.textDocuments = [];
}

/** A log that keeps its warnings. */
function log(): { warnings: string[] } & Record<string, unknown> {
  const warnings: string[] = [];
  return { warnings, warn: (m: string) => void warnings.push(m), info: () => {}, debug: () => {}, error: () => {} };
}

/** Tabs open on these files, in this order (no editor visible or active). */
function openTabs(...uris: unknown[]): void {
  window.tabGroups = { all: [{ tabs: uris.map((uri) => ({ input: new TabInputText(uri) })) }] };
}

/** A diff of one hunk in mmu.c: enough for the editor to use it as the walk's patch. */
const GOOD_PATCH = ['diff --git a/arch/x86/kvm/mmu/mmu.c b/arch/x86/kvm/mmu/mmu.c', '--- a/arch/x86/kvm/mmu/mmu.c', '+++ b/arch/x86/kvm/mmu/mmu.c', '@@ -1,3 +1,3 @@', ' a', '-b', '+c', ' d', ''].join('\n');

test('a scenario that is a FIFO is refused by name before it is read (reading one blocks the host)', async () => {
  reset();
  const uri = Uri.file('/ws/pipe.scenario.json').toString();
  stub.files.set(uri, { type: FIFO });
  await assert.rejects(scenarios.loadScenario(scenarios.fileOrigin(uri), inThreadJobs), /ws\/pipe\.scenario\.json is not a regular file \(a folder, a FIFO or a device\)/);
  assert.deepEqual(stub.reads, [], 'the FIFO was read');
});

test('a scenario over 4 MiB is refused with its size and the limit, before it is read', async () => {
  reset();
  const uri = Uri.file('/ws/huge.scenario.json').toString();
  // The limit is the parser's own (MAX_SCENARIO_BYTES = 4 MiB = 4,194,304 bytes); one byte more is refused.
  stub.files.set(uri, { type: FILE, size: 4 * 2 ** 20 + 1 });
  await assert.rejects(scenarios.loadScenario(scenarios.fileOrigin(uri), inThreadJobs), /ws\/huge\.scenario\.json is 4194305 bytes; KVM MMU Lab reads such a file only up to 4194304 bytes \(4 MiB\)/);
  assert.deepEqual(stub.reads, []);
});

test('a scenario folder is refused as not a regular file', async () => {
  reset();
  const uri = Uri.file('/ws/dir.scenario.json').toString();
  stub.files.set(uri, { type: DIR });
  await assert.rejects(scenarios.loadScenario(scenarios.fileOrigin(uri), inThreadJobs), /is not a regular file/);
  assert.deepEqual(stub.reads, []);
});

test('a symbolic link to a small regular file is read (FileType.File | SymbolicLink)', async () => {
  reset();
  const uri = Uri.file('/ws/link.txt');
  stub.files.set(uri.toString(), { type: FILE | 64, text: 'hello' });
  assert.equal(await bounded.readBounded(uri as never, 10), 'hello');
  assert.equal(bounded.refusal(uri as never, { type: FILE, size: 11, ctime: 0, mtime: 0 }, 10)?.includes('is 11 bytes'), true);
});

test('kvmMmuLab.kernelTree pointing at a tree whose mmu.c is a FIFO and whose x86.c is huge: neither is read, the warning names both and the limit', async () => {
  reset();
  stub.settings.set('kvmMmuLab.kernelTree', '/tree');
  stub.files.set(Uri.file('/tree/arch/x86/kvm/mmu/mmu.c').toString(), { type: FIFO });
  stub.files.set(Uri.file('/tree/arch/x86/kvm/x86.c').toString(), { type: FILE, size: 5 * 2 ** 20 });
  const files = await kernelTree.readTreeFiles();
  assert.deepEqual(files, []);
  assert.deepEqual(stub.reads.filter((r) => r.endsWith('mmu/mmu.c') || r.endsWith('x86.c')), []);
  const warnings = stub.shown.filter(([kind]) => kind === 'warning').map(([, text]) => text).join('\n');
  assert.match(warnings, /tree\/arch\/x86\/kvm\/mmu\/mmu\.c is not a regular file/);
  assert.match(warnings, /x86\.c is 5242880 bytes; KVM MMU Lab reads such a file only up to 4194304 bytes/);
});

test('a patch tab whose text cannot be had does not stop the walk from using the next tab, and is not tried again', async () => {
  reset();
  const bad = Uri.file('/ws/bad.patch');
  const good = Uri.file('/ws/good.patch');
  // The bad tab's document throws when its text is asked for (a body that does not decode).
  let asked = 0;
  workspace.textDocuments = [{ uri: bad, getText: () => { asked++; throw new Error('the body does not decode'); } }];
  stub.files.set(good.toString(), { type: FILE, text: GOOD_PATCH });
  openTabs(bad, good);
  const l = log();
  const view = new source.SourceView(Uri.file('/ext') as never, l as never);
  const first = await view.currentPatch();
  assert.equal(first?.name, 'ws/good.patch');
  const second = await view.currentPatch();
  assert.equal(second?.name, 'ws/good.patch');
  assert.equal(asked, 1, 'the bad tab was read again at the next render');
  assert.match(l.warnings.join('\n'), /bad\.patch is not used to show the steps: the body does not decode/);
  view.dispose();
});

test('a patch tab over the 4 MiB tab limit is not parsed on the host thread; the log says which and why', async () => {
  reset();
  const big = Uri.file('/ws/big.patch');
  // Open in the editor, so its text is at hand: 4 MiB and one character of a valid diff.
  const text = GOOD_PATCH + ' '.repeat(4 * 2 ** 20 + 1 - GOOD_PATCH.length);
  workspace.textDocuments = [{ uri: big, getText: () => text }];
  openTabs(big);
  const l = log();
  const view = new source.SourceView(Uri.file('/ext') as never, l as never);
  assert.equal(await view.currentPatch(), undefined);
  assert.match(l.warnings.join('\n'), /ws\/big\.patch is 4194305 bytes; KVM MMU Lab reads such a file only up to 4194304 bytes/);
  view.dispose();
});

test("the hover of a step shows a root's name as text: a link or an image in it is escaped, not made", async () => {
  const { builtinScenario } = await import('../../src/scenario/builtins');
  const { Walkthrough } = await import('../../src/run/walkthrough');
  const { parseVariant } = await import('../../src/kernel/variants');
  // never-flush on reused-partial: a stale TLB entry, whose violation names the root it is cached under.
  const w = new Walkthrough(builtinScenario('reused-partial')!, { variant: parseVariant('never-flush') });
  const step = w.steps.find((s) => s.violations.length);
  assert.ok(step, 'reused-partial under never-flush has no violation step');
  // The root's name as a scenario file could give it, put where the model writes root names.
  const evil = '[click](https://evil.example/x) ![img](https://evil.example/i.png)';
  const hostile = { ...step, tlbFilled: `vcpu0 tlb#1: 4K via root ${evil}`, violations: step.violations.map((v) => ({ ...v, message: `${v.message} root ${evil}` })) };
  const MarkdownString = stub.module.MarkdownString as new () => { value: string };
  const md = new MarkdownString();
  source.appendStepsHover(md as never, [hostile], w.length, 4);
  // Unescaped, "](" starts a link target and "![" an image; escaped they are "\]\(" and "!\[".
  assert.doesNotMatch(md.value, /\]\(https:\/\/evil/, `a link or an image reached the hover:\n${md.value}`);
  assert.match(md.value, /\\\[click\\\]\\\(https:\/\/evil\.example\/x\\\)/);
});

test("the status bar's tooltip names the patch beside the panel as text: a link or an image in its file name is escaped", async () => {
  const { builtinScenario } = await import('../../src/scenario/builtins');
  const { parseVariant } = await import('../../src/kernel/variants');
  const { WalkSession } = await import('../../src/session/session');
  const s = new WalkSession(builtinScenario('reused-partial')!, { kind: 'builtin', id: 'reused-partial', label: 'reused-partial' }, { variant: parseVariant('v7') });
  s.goTo(3);
  const name = '![img](https://evil.example/i.png).patch';
  const view = status.statusView(s, s.snapshot(() => 0).snapshot, { kind: 'patch', label: `the patch ${name}`, location: `${name}:12`, note: '' });
  const markdown = view.tooltip.map((p) => ('markdown' in p ? p.markdown : '')).join('');
  assert.doesNotMatch(markdown, /!\[img\]\(/, `an image reached the tooltip's Markdown:\n${markdown}`);
  assert.match(markdown, /!\\\[img\\\]\\\(https:/);
});

test("the review view's Walk button may name only a scenario file a report offered, or a built-in scenario", async () => {
  reset();
  const walks: unknown[] = [];
  stub.commands.set(COMMANDS.walk, (args) => void walks.push(args));
  const l = log();
  const r = new reports.Reports({ extensionUri: Uri.file('/ext') as never, log: l as never, guard: (fn) => async (...args) => fn(...args), received: () => {}, openCounterexample: () => Promise.resolve() });
  const offered = Uri.file('/ws/.kvm-mmu-lab/counterexamples/never-flush-1.scenario.json').toString();
  // What the explorer's result offers (src/view/protocol.ts, ExploreMessage), as show() records it.
  r.offer({ type: 'explore', variant: 'never-flush', bound: '', verdict: 'violation', standing: 'violation', status: '', lines: [], unreached: [], unreachedHint: '', counterexample: offered, counterexamplePath: '' });
  const walk = (file: string, scenario = '') => r.walkFromView({ type: 'walk', scenario, file, variant: 'never-flush', flushMode: '' });
  // A webview message naming any other file, a FIFO or a huge file included, is refused before anything is read.
  await assert.rejects(walk(Uri.file('/dev/stdin').toString()), /walks only the scenario files its views offered, not "file:\/\/\/dev\/stdin"/);
  await assert.rejects(walk('', 'constructor'), /no built-in scenario "constructor"/);
  assert.deepEqual(walks, []);
  assert.deepEqual(stub.reads, []);
  await walk(offered);
  await walk('', 'reused-partial');
  assert.deepEqual(walks, [{ file: offered, variant: 'never-flush' }, { scenario: 'reused-partial', variant: 'never-flush' }]);
  stub.commands.delete(COMMANDS.walk);
});

test('a built-in scenario is looked up by the list: "constructor" and "toString" are no scenario', () => {
  for (const name of ['constructor', 'toString', '__proto__']) assert.throws(() => scenarios.builtinOrThrow(name), new RegExp(`no built-in scenario "${name}"`));
  assert.equal(scenarios.builtinOrThrow('reused-partial').name.length > 0, true);
});

/** Jobs that run nothing: each input job is recorded and refused with a reason naming its kind. */
function refusingJobs(): { jobs: Jobs; seen: InputJob[] } {
  const seen: InputJob[] = [];
  const jobs: Jobs = {
    where: 'a fake worker',
    fullScale: () => Promise.reject(new Error('not in this test')),
    explore: () => Promise.reject(new Error('not in this test')),
    input: (job) => {
      seen.push(job);
      return Promise.resolve({ kind: 'refused', reason: `refused by the worker: ${job.kind}` });
    },
  };
  return { jobs, seen };
}

/** A command table that keeps what one controller registers (CommandTable.all() wants every command). */
function commandTable() {
  const handlers = new Map<string, (...args: unknown[]) => unknown>();
  return { table: { register: (id: string, h: (...args: unknown[]) => unknown) => void handlers.set(id, h) } as never, run: (id: string, ...args: unknown[]) => Promise.resolve(handlers.get(id)!(...args)) };
}

const rethrow = <A extends unknown[], R>(fn: (...args: A) => R | Promise<R>) => async (...args: A) => fn(...args);

test('Check Patch… reviews the patch in a job, not on the host thread; a refusal is the error shown', async () => {
  reset();
  const { jobs, seen } = refusingJobs();
  const commands = commandTable();
  new checkPatch.CheckPatchController(log() as never, {} as never, jobs, commands.table, rethrow);
  const text = GOOD_PATCH;
  await assert.rejects(commands.run(COMMANDS.checkPatch, { text, name: 'x.patch' }), /refused by the worker: review/);
  assert.deepEqual(seen.map((j) => j.kind), ['review']);
  assert.equal((seen[0] as { text: string }).text, text);
});

test('Compare Variants runs the presets in a job; a scenario file is parsed in one too', async () => {
  reset();
  const { jobs, seen } = refusingJobs();
  const commands = commandTable();
  new compare.CompareController(log() as never, {} as never, jobs, commands.table, rethrow);
  await assert.rejects(commands.run(COMMANDS.compare, { scenario: 'reused-partial', fullScale: false }), /refused by the worker: compare/);
  const uri = Uri.file('/ws/a.scenario.json').toString();
  stub.files.set(uri, { type: FILE, text: '{ "not": "read here" }' });
  await assert.rejects(commands.run(COMMANDS.compare, { file: uri, fullScale: false }), /refused by the worker: scenario/);
  assert.deepEqual(seen.map((j) => j.kind), ['compare', 'scenario']);
});

test("an mmu.c over the tree files' limit gets no CodeLens: its functions are not indexed on the host thread", () => {
  reset();
  const l = log();
  const view = new source.SourceView(Uri.file('/ext') as never, l as never);
  let split = 0;
  // A document that says how often its text was split into lines (indexFunctions's input).
  const big = Object.assign('static void kvm_mmu_split_huge_pages(void)\n{\n}\n'.padEnd(4 * 2 ** 20 + 1, ' '), {});
  const text = { length: big.length, split: (sep: string) => (split++, big.split(sep)) };
  const lenses = (view as unknown as { lenses(d: unknown): unknown[] }).lenses({ uri: Uri.file('/tree/arch/x86/kvm/mmu/mmu.c'), getText: () => text });
  assert.deepEqual(lenses, []);
  assert.equal(split, 0, 'the 4 MiB + 1 mmu.c was indexed');
  assert.match(l.warnings.join('\n'), /mmu\.c is 4194305 bytes/);
  view.dispose();
});
