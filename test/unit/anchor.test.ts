/** Source anchoring across the miniature versions (test/fixtures/patch/src), renames and code motion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorSources, type AnchorResult } from '../../src/anchor/anchor';
import { definitionName, indexFunctions } from '../../src/anchor/cfunc';

const SRC = join(__dirname, '..', 'fixtures', 'patch', 'src');
const mmu = (v: string) => ({ path: 'arch/x86/kvm/mmu/mmu.c', text: readFileSync(join(SRC, v, 'mmu.c'), 'utf8') });
const x86 = (v: string) => ({ path: 'arch/x86/kvm/x86.c', text: readFileSync(join(SRC, v, 'x86.c'), 'utf8') });
const byId = (rs: AnchorResult[]) => Object.fromEntries(rs.map((r) => [r.id, r]));

test('function index: kernel-style definitions, FNAME(), declarations skipped', () => {
  assert.equal(definitionName('static void drop_large_spte(struct kvm *kvm, u64 *sptep)'), 'drop_large_spte');
  assert.equal(definitionName('static int FNAME(page_fault)(struct kvm_vcpu *vcpu, struct kvm_page_fault *fault)'), 'FNAME(page_fault)');
  assert.equal(definitionName('drop_spte(kvm, sptep);'), undefined, 'a call, not a definition');
  assert.equal(definitionName('static void f(int a);'), undefined, 'a declaration');
  assert.equal(definitionName('if (is_shadow_present_pte(*sptep))'), undefined);
  const spans = indexFunctions(mmu('pre-seed').text.split('\n'));
  // pre-seed/mmu.c defines 7 functions (drop_spte .. kvm_mmu_slot_try_split_huge_pages), drop_spte first at line 8.
  assert.equal(spans.length, 7);
  assert.deepEqual([spans[0].name, spans[0].start], ['drop_spte', 8]);
});

test('post-seed: the seed-era statements are found exactly', () => {
  const r = byId(anchorSources([mmu('post-seed')]));
  for (const id of ['splitPresentFlush', 'splitLink', 'linkDropLarge', 'dropLargeFlush', 'linkSet']) {
    const a = r[id];
    assert.ok(a.found && a.how === 'exact' && a.confidence === 1, `${id}: ${JSON.stringify(a)}`);
  }
  const f = r.splitPresentFlush;
  assert.ok(f.found);
  // Line 74 of post-seed/mmu.c is the flush |= !is_last_spte(...) line.
  assert.equal(f.line, 74);
  assert.equal(f.function, 'shadow_mmu_split_huge_page');
});

test('pre-seed: the older forms match as renamed, the seed\'s own line is not found with the reason', () => {
  const r = byId(anchorSources([mmu('pre-seed')]));
  assert.ok(r.splitLink.found && r.splitLink.how === 'renamed' && /no flush argument/.test(r.splitLink.note ?? ''));
  assert.ok(!r.splitPresentFlush.found);
  assert.match(r.splitPresentFlush.found ? '' : r.splitPresentFlush.reason, /is the seed/);
  assert.ok(!r.dropLargeFlushSptep.found && /arrived in v6.3/.test(r.dropLargeFlushSptep.reason));
});

test('v6.4-style: make_small_spte is a rename, moved functions are still found in their function', () => {
  const r = byId(anchorSources([mmu('v6.4')]));
  assert.ok(r.splitMakeSpte.found && r.splitMakeSpte.how === 'renamed');
  assert.ok(r.dropLargeFlushSptep.found && r.dropLargeFlushSptep.how === 'exact');
  // __link_shadow_page moved below the split: its statements are found at the new place (after line 60).
  assert.ok(r.linkSet.found && r.linkSet.line > 60 && r.linkSet.function === '__link_shadow_page');
  assert.ok(!r.dropLargeFlush.found && /v6.3/.test(r.dropLargeFlush.reason));
});

test('2026-style: drop_large_spte is gone, and the reason says so; the zap-and-flush is found', () => {
  const r = byId(anchorSources([mmu('2026')]));
  assert.ok(!r.dropSpte.found);
  assert.match(r.dropSpte.found ? '' : r.dropSpte.reason, /removed in 2026/);
  assert.ok(r.linkZapFlush.found && r.linkZapFlush.how === 'exact');
});

test('fuzzy: the same call with changed arguments is found with a lower confidence', () => {
  const f = mmu('post-seed');
  f.text = f.text.replace('__link_shadow_page(kvm, cache, huge_sptep, sp, flush);', '__link_shadow_page(kvm, split_cache, huge_sptep, sp, flush);');
  const a = byId(anchorSources([f])).splitLink;
  assert.ok(a.found && a.how === 'fuzzy', JSON.stringify(a));
  // Six distinct tokens (__link_shadow_page kvm cache huge_sptep sp flush); 'cache' is missing:
  // score 5/6, confidence 0.7 * 5/6 = 0.58.
  assert.ok(a.found && a.confidence === 0.58, String(a.found && a.confidence));
});

test('other files: x86.c steps anchor there, missing files are named, hardware steps have no source', () => {
  const r = byId(anchorSources([mmu('post-seed'), x86('x86-new')]));
  assert.ok(r.applyFlagsInitSet.found && r.applyFlagsInitSet.file.endsWith('x86.c'));
  // wpMemslotFlush lives in mmu.c in the anchor table; since v6.0 the flush is in x86.c's kvm_mmu_slot_apply_flags.
  assert.ok(r.wpMemslotFlush.found && r.wpMemslotFlush.function === 'kvm_mmu_slot_apply_flags', JSON.stringify(r.wpMemslotFlush));
  assert.ok(!r.clearLock.found && /kvm_main\.c, which was not given/.test(r.clearLock.reason));
  assert.ok(!r.hwAccess.found && /hardware/.test(r.hwAccess.reason));
  // A lock statement found elsewhere is not taken as "moved": write_lock occurs twice in the file.
  assert.ok(!r.wpLock.found);
});
