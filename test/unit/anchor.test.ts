/** Source anchoring across the miniature versions (test/fixtures/patch/src), renames and code motion. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { anchorSources, confidenceText, type AnchorResult } from '../../src/anchor/anchor';
import { definitionName, indexFunctions } from '../../src/source/cfunc';

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

// A function of our own, in the shape of mainline's collapsible-SPTE zap, which flushes one SPTE's
// range with the same call drop_large_spte() used: a look-alike, not a place the flush moved to.
const COLLAPSIBLE = `
static bool kvm_mmu_zap_collapsible_spte(struct kvm *kvm,
					 struct kvm_rmap_head *rmap_head,
					 const struct kvm_memory_slot *slot)
{
	struct rmap_iterator iter;
	u64 *sptep;

	for_each_rmap_spte(rmap_head, &iter, sptep) {
		if (!can_be_huge(kvm, slot, sptep))
			continue;
		kvm_zap_one_rmap_spte(kvm, rmap_head, sptep);
		kvm_flush_remote_tlbs_sptep(kvm, sptep);
	}
	return false;
}
`;

test('a look-alike elsewhere is not a move: without drop_large_spte(), its flush is not found in the collapsible zap', () => {
  const tree = mmu('2026');
  tree.text += COLLAPSIBLE;
  const r = byId(anchorSources([tree])).dropLargeFlushSptep;
  // The statement occurs once in the file, in kvm_mmu_zap_collapsible_spte(); no commit moved it there.
  assert.ok(!r.found, `anchored in ${r.found ? r.function : ''}()`);
  assert.match(r.found ? '' : r.reason, /no function drop_large_spte\(\).*removed in 2026/);
  for (const a of anchorSources([tree])) assert.ok(!a.found || a.function !== 'kvm_mmu_zap_collapsible_spte', `${a.id} anchored in the collapsible zap`);
});

test('the 2022 revisions: their names are renames, and a statement the history moved is found there with the commit', () => {
  // The v6-style miniature: nested_mmu_split_huge_page() drops the huge SPTE itself, then links.
  const v6 = byId(anchorSources([mmu('rev-v6-22')]));
  const present = v6.splitPresentFlush;
  assert.ok(present.found && present.how === 'renamed' && present.function === 'nested_mmu_split_huge_page', JSON.stringify(present));
  const drop = v6.linkDropLarge;
  assert.ok(drop.found && drop.how === 'moved' && drop.commit === '0cd8dc739833' && drop.function === 'nested_mmu_split_huge_page', JSON.stringify(drop));
  assert.equal(confidenceText(drop), 'moved by 0cd8dc739833, 0.75');
  // The flush in __drop_large_spte(kvm, sptep, flush): the function by its other name.
  assert.ok(v6.dropLargeFlush.found && v6.dropLargeFlush.how === 'renamed' && v6.dropLargeFlush.function === '__drop_large_spte');
  assert.ok(v6.splitLink.found && v6.splitLink.how === 'renamed', JSON.stringify(v6.splitLink));
  // Before the split existed, the fault path dropped the huge SPTE: __direct_map(), the same commit.
  const pre = byId(anchorSources([mmu('rev-v6-20')])).linkDropLarge;
  assert.ok(pre.found && pre.how === 'moved' && pre.function === '__direct_map', JSON.stringify(pre));
  // v1's kvm_mmu_split_huge_page() names its variables split_sptep and split_level.
  const v1 = byId(anchorSources([mmu('rev-v1-22')]));
  assert.ok(v1.splitPresentFlush.found && v1.splitPresentFlush.how === 'renamed' && v1.splitPresentFlush.function === 'kvm_mmu_split_huge_page', JSON.stringify(v1.splitPresentFlush));
});

test('confidence in words: exact, renamed, moved with its commit, fuzzy with its score', () => {
  assert.equal(confidenceText({ how: 'exact', confidence: 1 }), 'exact');
  assert.equal(confidenceText({ how: 'renamed', confidence: 0.9 }), 'renamed, 0.9');
  assert.equal(confidenceText({ how: 'fuzzy', confidence: 0.58 }), 'fuzzy, score 0.58');
  const r = byId(anchorSources([mmu('post-seed'), x86('x86-new')])).wpMemslotFlush;
  assert.ok(r.found);
  assert.equal(confidenceText(r), 'moved by b64d740ea7dd, 0.75');
});
