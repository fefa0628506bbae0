/**
 * Export Trace (extension/trace_export.ts) against test/support/vscode-stub.ts: the quick pick
 * offers the brief first, so Enter (which accepts the first item) exports the brief; the full
 * plain text and Markdown are the other items, and a format named by the caller skips the pick.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { requireVscodeAs, vscodeStub } from '../support/vscode-stub';
import { builtinScenario } from '../../src/scenario/builtins';
import { findPreset } from '../../src/kernel/variants';
import { Walkthrough } from '../../src/run/walkthrough';
import { traceBrief } from '../../src/view/trace_brief';
import { traceText } from '../../src/view/trace_text';
import { walkthroughTrace } from '../../src/view/export';

const stub = vscodeStub();
const restore = requireVscodeAs(stub);
// eslint-disable-next-line @typescript-eslint/no-require-imports -- after the stub is in place
const exporter = require('../../extension/trace_export') as typeof import('../../extension/trace_export');
restore();

interface Item { label: string; format: string }
const window = stub.module.window as Record<string, unknown>;
const workspace = stub.module.workspace as Record<string, unknown>;
const opened: Array<{ content: string; language: string }> = [];
workspace.openTextDocument = (doc: { content: string; language: string }) => {
  opened.push(doc);
  return Promise.resolve({ uri: { toString: () => `untitled:${opened.length}` } });
};
window.showTextDocument = () => Promise.resolve(undefined);

const walk = new Walkthrough(builtinScenario('reused-partial')!, { variant: findPreset('never-flush')! });

test('Export Trace: Enter on the quick pick gives the brief; the full text and Markdown are the next items', async () => {
  let offered: Item[] = [];
  window.showQuickPick = (items: Item[]) => {
    offered = items;
    return Promise.resolve(items[0]);
  };
  opened.length = 0;
  assert.equal(await exporter.exportTrace(walk), 'untitled:1');
  assert.deepEqual(offered.map((i) => i.format), ['brief', 'text', 'markdown']);
  assert.equal(opened[0].content, traceBrief(walkthroughTrace(walk)));
  assert.equal(opened[0].language, 'plaintext');
  assert.match(opened[0].content, /^verdict: VIOLATION \(2 violations\)\n/);
});

test('Export Trace: the full text when named or picked, nothing when the pick is dismissed', async () => {
  opened.length = 0;
  await exporter.exportTrace(walk, 'text');
  assert.equal(opened[0].content, traceText(walkthroughTrace(walk)));
  window.showQuickPick = (items: Item[]) => Promise.resolve(items.find((i) => i.format === 'text'));
  await exporter.exportTrace(walk);
  assert.match(opened[1].content, /^kvm-mmu-lab trace: scenario reused-partial, variant never-flush/);
  window.showQuickPick = () => Promise.resolve(undefined);
  assert.equal(await exporter.exportTrace(walk), undefined);
  assert.equal(opened.length, 2, 'a dismissed pick opens nothing');
});
