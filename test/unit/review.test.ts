/** The patch review's data (src/review/review.ts): what the extension's review view renders. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { checkVariant, variantDependentSteps } from '../../src/review/checks';
import { looksLikePatch, reviewPatch, type PatchReviewView } from '../../src/review/review';
import { builtinScenario, BUILTIN_SCENARIOS } from '../../src/scenario/builtins';
import { runScenario } from '../../src/run/run';
import { findPreset, PRESETS } from '../../src/kernel/variants';

const PATCH = join(__dirname, '..', 'fixtures', 'patch');
const read = (f: string) => readFileSync(join(PATCH, f), 'utf8');
const tree = [{ path: 'arch/x86/kvm/mmu/mmu.c', text: readFileSync(join(__dirname, '..', 'fixtures', 'kernel', 'arch', 'x86', 'kvm', 'mmu', 'mmu.c'), 'utf8') }];
const check = (r: PatchReviewView, scenario: string, flushMode: string) => r.checks.find((c) => c.scenario === scenario && c.flushMode === flushMode)!;

test('seed-like patch: pre-patch before, v7 after, verdicts under both, steps anchored in the tree', () => {
  const r = reviewPatch(read('seed-like.format-patch.patch'), 'seed-like.format-patch.patch', tree);
  assert.equal(r.before, 'pre-patch');
  assert.equal(r.after, 'v7');
  assert.equal(r.patches[0].prefix, '[PATCH v2]');
  assert.ok(r.patches[0].functions.includes('drop_large_spte'));
  assert.ok(r.steps.some((s) => s.id === 'dropLargeFlush' && typeof s.line === 'number'));
  const c = check(r, 'common-1g', 'bare-metal');
  assert.equal(c.before?.remoteFlushes, 515);
  assert.equal(c.after?.remoteFlushes, 2);
  assert.equal(r.tree, true);
});

test('both flush modes: the seed-like patch passes the split scenarios on bare metal, and fails reused-partial before and after with a range-capable flush', () => {
  const r = reviewPatch(read('seed-like.format-patch.patch'), 'seed-like.format-patch.patch');
  assert.deepEqual(r.modes, ['bare metal', 'range-capable flush (Hyper-V)']);
  // Bare metal: every remote flush is full, so every scenario passes on both sides (spec section 6).
  const bareRows = r.checks.filter((x) => x.flushMode === 'bare-metal');
  // One row a built-in scenario: without them the loop below would check nothing.
  assert.deepEqual(bareRows.map((c) => c.scenario).sort(), [...BUILTIN_SCENARIOS].sort());
  // The split scenarios pass on both sides. The two 2026 use-after-free flows fail on both: pre-patch
  // and v7 are v6.0-era code, whose kvm_mmu_get_child_sp() reuses any present non-large child
  // (childReuse=present), so the second fault files its leaf off sp->gfn + index, and the deletion's
  // rmap_remove() misses it, a BUG() in that era. The holes date from 2032a93d66fa (2010).
  const UAF = ['uaf-unexpected-gfn', 'uaf-unexpected-role'];
  for (const c of bareRows) assert.deepEqual([c.before?.verdict, c.after?.verdict], UAF.includes(c.scenario) ? ['violation', 'violation'] : ['pass', 'pass'], c.scenario);
  for (const s of UAF) assert.ok(r.findings.includes(`${s}, bare metal: fails before and after the patch: the weakness predates it`), r.findings.join('\n'));
  // Range: pre-patch and v7 both flush sp->gfn of the table holding the huge SPTE, which for
  // reused-partial's shadowed guest table misses the huge page (README, kernel-notes 2.1).
  const rp = check(r, 'reused-partial', 'range');
  assert.deepEqual([rp.before?.verdict, rp.after?.verdict, rp.mode], ['violation', 'violation', 'range-capable flush (Hyper-V)']);
  assert.equal(r.outcome, 'violation');
  assert.match(r.verdict, /bare metal: uaf-unexpected-gfn fails after the patch, as it did before, uaf-unexpected-role fails after the patch, as it did before; range-capable flush \(Hyper-V\): reused-partial fails after the patch, as it did before/);
  assert.ok(r.findings.some((f) => /^reused-partial, range-capable flush \(Hyper-V\): fails before and after the patch: the weakness predates it$/.test(f)), r.findings.join('\n'));
  assert.ok(r.findings.some((f) => /under pre-patch and v7: passes on bare metal and fails with a range-capable flush: .*sp->gfn.*v6\.3 \(1b2dc7360463\)/.test(f)), r.findings.join('\n'));
  // The walk goes to what fails, in the mode it fails in.
  assert.deepEqual(r.counterexample, { scenario: 'reused-partial', variant: 'v7', flushMode: 'range' });
  // Checked in one mode only, the review says so and shows only that mode.
  const bare = reviewPatch(read('seed-like.format-patch.patch'), 'x.patch', undefined, ['bare-metal']);
  assert.deepEqual(bare.modes, ['bare metal']);
  // Bare metal alone: the split scenarios pass, the 2026 flows fail on both sides (above).
  assert.equal(bare.outcome, 'violation');
  assert.ok(bare.checks.every((c) => c.flushMode === 'bare-metal'));
});

test('a patch to never-flush gets reused-partial as the counterexample, in the mode the patch breaks', () => {
  const r = reviewPatch(read('never-flush.unified.diff'), 'never-flush.unified.diff');
  assert.equal(r.after, 'never-flush');
  // v7 passes reused-partial on bare metal and never-flush does not: the patch introduces that one.
  assert.deepEqual(r.counterexample, { scenario: 'reused-partial', variant: 'never-flush', flushMode: 'bare-metal' });
  assert.ok(r.findings.includes('reused-partial, bare metal: passes before the patch and fails after it: the patch introduces it'), r.findings.join('\n'));
  assert.ok(r.steps.every((s) => s.line === undefined && /no kernel tree was given/.test(s.why ?? '')), 'no tree: no lines, and why');
});

test('modelled steps: only the steps the code before or after the patch has, each with its line or why not', () => {
  // The model emits these under some presets only (read off the model, spec section 4): the
  // policies' own steps, and the statements each kernel era writes its own way (docs/locking.md,
  // kernel-notes 4.1): v6.0/v6.3 against mainline's kvm_flush_remote_tlbs_memslot() in the clear
  // (clearFlush / clearFlushCommon), __kvm_zap_rmap() against __kvm_rmap_zap_gfn_range()
  // (notifierZap / notifierZapRmap), the ioctl's mutex_unlock(&kvm->slots_lock) against
  // guard(mutex) (setMemoryRegionUnlock / setMemoryRegionGuard), make_huge_page_split_spte()
  // against make_small_spte() (splitMakeSpte / splitMakeSmallSpte), and drop_spte() against the
  // 2026 fix's mmu_page_zap_pte() (dropSpte / linkZapPte).
  assert.deepEqual([...variantDependentSteps()].sort(), [
    'clearFlush', 'clearFlushCommon', 'dropLargeFlush', 'dropLargeFlushSptep', 'dropSpte', 'linkZapFlush', 'linkZapPte',
    'notifierZap', 'notifierZapRmap', 'setMemoryRegionGuard', 'setMemoryRegionUnlock', 'splitMakeSmallSpte', 'splitMakeSpte',
    'splitPresent', 'splitPresentFlush',
  ]);
  // pre-patch -> v7: drop_large_spte() flushes sp->gfn on both sides; kvm_flush_remote_tlbs_sptep()
  // (v6.3) and the zap-and-flush (2026) are later kernels' steps.
  const seed = reviewPatch(read('seed-like.format-patch.patch'), 'x.patch', tree);
  const ids = seed.steps.map((s) => s.id);
  for (const id of ['splitPresent', 'splitPresentFlush', 'dropSpte', 'dropLargeFlush']) assert.ok(ids.includes(id), `${id} in ${ids}`);
  for (const id of ['dropLargeFlushSptep', 'linkZapFlush']) assert.ok(!ids.includes(id), `${id} in ${ids}`);
  assert.deepEqual(seed.patches[0].steps.map((s) => s.id), ids);
  for (const s of seed.steps) assert.ok(s.line !== undefined ? /^(exact|renamed, |moved by |fuzzy, score )/.test(s.how ?? '') : (s.why ?? '') !== '', JSON.stringify(s));
  // The miniature tree is post-seed: splitPresent's older form is not in it, and the step says why.
  const sp = seed.steps.find((s) => s.id === 'splitPresentFlush')!;
  assert.equal(sp.how, 'exact');
  // v6.3 -> mainline-2026 (it deletes drop_large_spte() and zaps in __link_shadow_page()): the
  // _sptep flush and drop_spte() before, the zap and its flush after; never the sp->gfn flush.
  const zap = reviewPatch(read('zap-and-flush.patch'), 'x.patch').steps.map((s) => s.id);
  for (const id of ['dropLargeFlushSptep', 'dropSpte', 'linkZapFlush']) assert.ok(zap.includes(id), `${id} in ${zap}`);
  assert.ok(!zap.includes('dropLargeFlush'), `dropLargeFlush in ${zap}`);
});

test('not understood: no after variant, the unexplained lines and the steps touched', () => {
  const r = reviewPatch(read('reused-flush.not-understood.patch'), 'x.patch');
  assert.equal(r.understood, false);
  assert.equal(r.outcome, 'not-understood');
  assert.equal(r.after, '');
  assert.ok(r.unexplained.some((u) => u.includes('sp_was_reused')));
  assert.ok(r.steps.some((s) => s.id === 'splitLink'));
  assert.ok(r.checks.every((c) => c.after === null));
});

test('an earlier revision of the split series: not understood, said the same way everywhere', () => {
  const r = reviewPatch(read('rev-v6-nested.patch'), 'rev-v6-nested.patch');
  assert.deepEqual([r.modelled, r.understood, r.outcome], [true, false, 'not-understood']);
  assert.ok(r.patches[0].functions.includes('nested_mmu_split_huge_page'));
  assert.match(r.verdict, /^not understood: it adds nested_mmu_split_huge_page\(\) \(the model's shadow_mmu_split_huge_page\(\)\) whole/);
  assert.ok(r.reasons.length === 3 && r.verdict.includes(r.reasons.join('; ')), r.verdict);
  assert.deepEqual([r.before, r.after], ['', '']);
  assert.ok(r.checks.every((c) => c.before === null && c.after === null));
  assert.ok(!r.notes.some((n) => /model is unchanged/.test(n)), r.notes.join('\n'));
});

test('mails without a diff: the series with its subjects and commit ids, nothing to check', () => {
  const pull = reviewPatch(read('pull-request.txt'), 'pull-request.txt');
  assert.equal(pull.outcome, 'no-diff');
  assert.deepEqual(pull.diagnostics, []);
  assert.equal(pull.patches[0].kind, 'pull request');
  assert.equal(pull.patches[0].prefix, '[GIT PULL]');
  assert.deepEqual(pull.patches[0].listed, [
    'mini: skip the split flush when the child table maps the huge page (Ada Example)',
    '444444444444 mini: zap the present SPTE when linking a table (Ada Example)',
    'mini: flush the dropped SPTE own range (Dan Helper)',
  ]);
  assert.match(pull.verdict, /^no diff: pull request listing 3 commit\(s\); nothing to classify or check$/);
  const push = reviewPatch(read('push-notification.txt'), 'push.txt');
  assert.equal(push.patches[0].kind, 'push notification');
  assert.equal(push.patches[0].listed[0], '222222222222 mini: skip the split flush when the child table maps the huge page');
});

test("the review's checks (per-write records off) give the verdicts of a run with every check on", () => {
  for (const p of PRESETS) {
    const v = findPreset(p.name)!;
    const rows = checkVariant(v).rows.filter((r) => r.scenario !== 'common-1g');
    for (const r of rows) {
      const full = runScenario(builtinScenario(r.scenario)!, { variant: v, flushMode: r.flushMode, checks: { keepSteps: false } });
      assert.deepEqual([r.verdict, r.violations.length, r.remoteFlushes], [full.verdict, full.violations.length, full.counters.remoteFlushes], `${p.name} ${r.scenario} ${r.flushMode}`);
    }
  }
});

test('looksLikePatch', () => {
  assert.equal(looksLikePatch(read('series.mbox')), true);
  assert.equal(looksLikePatch('int main(void) { return 0; }\n'), false);
});
