/** The patch review's data (src/review.ts): what the extension's review view renders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { looksLikePatch, reviewPatch } from '../../src/review';

const PATCH = join(__dirname, '..', 'fixtures', 'patch');
const read = (f: string) => readFileSync(join(PATCH, f), 'utf8');
const tree = [{ path: 'arch/x86/kvm/mmu/mmu.c', text: readFileSync(join(__dirname, '..', 'fixtures', 'kernel', 'arch', 'x86', 'kvm', 'mmu', 'mmu.c'), 'utf8') }];

test('seed-like patch: pre-patch before, v7 after, verdicts under both, steps anchored in the tree', () => {
  const r = reviewPatch(read('seed-like.format-patch.patch'), 'seed-like.format-patch.patch', tree);
  assert.equal(r.before, 'pre-patch');
  assert.equal(r.after, 'v7');
  assert.equal(r.patches[0].prefix, '[PATCH v2]');
  assert.ok(r.patches[0].functions.includes('drop_large_spte'));
  assert.ok(r.steps.some((s) => s.id === 'dropLargeFlush' && typeof s.line === 'number'));
  const c = r.checks.find((x) => x.scenario === 'common-1g')!;
  assert.equal(c.before?.remoteFlushes, 515);
  assert.equal(c.after?.remoteFlushes, 2);
  assert.equal(r.counterexample, null);
  assert.equal(r.tree, true);
});

test('a patch to never-flush gets reused-partial as the counterexample to walk', () => {
  const r = reviewPatch(read('never-flush.unified.diff'), 'never-flush.unified.diff');
  assert.equal(r.after, 'never-flush');
  assert.deepEqual(r.counterexample, { scenario: 'reused-partial', variant: 'never-flush' });
  assert.ok(r.steps.every((s) => s.line === undefined), 'no tree, no lines');
});

test('not understood: no after variant, the unexplained lines and the steps touched', () => {
  const r = reviewPatch(read('reused-flush.not-understood.patch'), 'x.patch');
  assert.equal(r.understood, false);
  assert.equal(r.after, '');
  assert.ok(r.unexplained.some((u) => u.includes('sp_was_reused')));
  assert.ok(r.steps.some((s) => s.id === 'splitLink'));
  assert.ok(r.checks.every((c) => c.after === null));
});

test('looksLikePatch', () => {
  assert.equal(looksLikePatch(read('series.mbox')), true);
  assert.equal(looksLikePatch('int main(void) { return 0; }\n'), false);
});
