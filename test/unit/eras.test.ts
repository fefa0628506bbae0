/**
 * One kernel era per preset: every function a trace names (in a step's text, its anchor's function
 * or its anchor's statement) exists under that name in the era the preset claims, and the
 * statements that moved between eras are anchored in the function that holds them there.
 *
 * Two checks, made independently: against the era table (src/kernel/eras.ts: a name another era's
 * table gives and this one's does not is that other era's), and against the lists below, written
 * from the kernel reading in docs/kernel-notes.md section 4, not from the table.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { ERAS, ERA_IDS, type EraId } from '../../src/kernel/eras';
import { BUILTIN_SCENARIOS } from '../../src/scenario/builtins';
import { parseVariant, PRESETS, variantName } from '../../src/kernel/variants';
import { run } from './helpers';

/** Functions that do not exist under these names in the era (kernel-notes section 4). */
const ABSENT: Record<EraId, string[]> = {
  // v6.0 (S61a stands in): the per-SPTE flush helpers are v6.3 (4ad980aea7f5), the range rename
  // v6.4 (8c63e8c21765), the memslot flush moved to common code later still, the walker renames
  // v6.4, make_small_spte 2024, __kvm_rmap_zap_gfn_range later than the ~v6.5 file that still has
  // kvm_handle_gfn_range() for the notifier.
  'v6.0': ['kvm_flush_remote_tlbs_range', 'kvm_flush_remote_tlbs_sptep', 'kvm_flush_remote_tlbs_gfn', 'kvm_flush_remote_tlbs_memslot',
    'walk_slot_rmaps', '__walk_slot_rmaps', 'make_small_spte', '__kvm_rmap_zap_gfn_range', 'kvm_mmu_recover_huge_pages'],
  'v6.3': ['kvm_flush_remote_tlbs_range', 'kvm_flush_remote_tlbs_memslot', 'walk_slot_rmaps', '__walk_slot_rmaps', 'make_small_spte',
    '__kvm_rmap_zap_gfn_range', 'kvm_mmu_recover_huge_pages'],
  // Mainline of 2026 as read on SNEXT (linux-next just before 0cb2af2ea66a): the renames, no
  // __kvm_zap_rmap (kvm_zap_rmap() holds the zap), no slot_handle_level*. drop_large_spte() is
  // still there (mainline-2026-pre calls it); 0cb2af2ea66a deletes it, which is linkPresent=zap-and-flush.
  'mainline-2026': ['kvm_flush_remote_tlbs_with_address', 'kvm_arch_flush_remote_tlbs_memslot', 'slot_handle_level_range',
    'slot_handle_level', 'make_huge_page_split_spte', '__kvm_zap_rmap', 'is_tdp_mmu_enabled',
    // the page-track cleanup of ~v6.6 removed mmu.c's track_flush_slot hook (mail id 869302566);
    // kvm_page_track_flush_slot() stays, for external page-track users, after the zap.
    'kvm_mmu_invalidate_zap_pages_in_memslot'],
};

/** Statements whose function changed: where each era has them (S61a, SNEXT, the x86.c and kvm_main.c texts in docs/locking.md). */
const HOLDER: Array<{ stmt: string; fn: Record<EraId, string> }> = [
  { stmt: 'return kvm_zap_all_rmap_sptes(kvm, rmap_head);', fn: { 'v6.0': '__kvm_zap_rmap', 'v6.3': '__kvm_zap_rmap', 'mainline-2026': 'kvm_zap_rmap' } },
];

/** Who releases slots_lock when KVM_SET_USER_MEMORY_REGION returns (the mutex_unlock() of v6.0, mainline's guard(mutex)). */
const SET_MEMORY_REGION: Record<EraId, string> = { 'v6.0': 'kvm_set_memory_region', 'v6.3': 'kvm_set_memory_region', 'mainline-2026': 'kvm_vm_ioctl_set_memory_region' };

/** Where the flush after enabling logging is, by the preset's policy: the seed's base, or b64d740ea7dd's x86.c. */
const ENABLE_FLUSH: Record<EraId, { 'if-write-protected': string; always: string }> = {
  'v6.0': { 'if-write-protected': 'kvm_mmu_slot_remove_write_access', always: 'kvm_mmu_slot_apply_flags' },
  'v6.3': { 'if-write-protected': 'kvm_mmu_slot_remove_write_access', always: 'kvm_mmu_slot_apply_flags' },
  'mainline-2026': { 'if-write-protected': 'kvm_mmu_slot_remove_write_access', always: 'kvm_mmu_slot_apply_flags' },
};

/** Identifiers a text calls: `name(` (FNAME(x) counts as its x). */
function called(text: string): string[] {
  return [...text.matchAll(/\b([A-Za-z_][A-Za-z0-9_]*)\(/g)].map((m) => m[1]).filter((n) => n !== 'FNAME' && /_/.test(n));
}

const TABLE_NAMES = (era: EraId) => new Set(Object.values(ERAS[era].names).flatMap((v) => (v ? called(`${v}(`) : [])));

for (const preset of PRESETS) {
  test(`${preset.name} (era ${preset.era}): every step names only functions of its era, anchored where its era has them`, () => {
    const era = preset.era;
    const own = TABLE_NAMES(era);
    const others = new Set(ERA_IDS.filter((e) => e !== era).flatMap((e) => [...TABLE_NAMES(e)]).filter((n) => !own.has(n)));
    for (const name of BUILTIN_SCENARIOS) {
      const t = run(name, preset.name);
      let enableFlushes = 0;
      for (const s of t.steps) {
        const names = [...called(s.text), ...called(s.anchor.stmt), s.anchor.fn.replace(/^FNAME\((.*)\)$/, '$1')];
        const where = `${name} step ${s.index} (${s.anchor.fn}: ${s.text})`;
        for (const n of names) {
          assert.ok(!ABSENT[era].includes(n), `${where}: ${n}() does not exist in ${era}`);
          assert.ok(!others.has(n), `${where}: ${n}() is another era's name (era table)`);
        }
        for (const h of HOLDER) if (s.anchor.stmt.startsWith(h.stmt)) assert.equal(s.anchor.fn, h.fn[era], `${where}: in ${era} '${h.stmt}' is in ${h.fn[era]}()`);
        if (s.opLabel.endsWith('enable-dirty-logging') && s.kind === 'op-end') assert.equal(s.anchor.fn, SET_MEMORY_REGION[era], `${where}: slots_lock's release`);
        if (s.opLabel.endsWith('enable-dirty-logging') && (s.kind === 'flush' || s.kind === 'flush-skipped') && /tlbs_memslot/.test(s.anchor.stmt)) {
          enableFlushes++;
          assert.equal(s.anchor.fn, ENABLE_FLUSH[era][preset.enableLogFlush], `${where}: the enable-logging flush`);
        }
      }
      if (name === 'common-1g') assert.equal(enableFlushes, 1, 'common-1g enables classic logging: one memslot flush step');
    }
  });
}

test('every preset names its era, and the era a composed variant keeps is the one of the preset it starts from', () => {
  assert.deepEqual(Object.fromEntries(PRESETS.map((p) => [p.name, p.era])), {
    'pre-patch': 'v6.0', v7: 'v6.0', 'never-flush': 'v6.0', 'if-reused': 'v6.0', 'v6.3': 'v6.3',
    'mainline-2026-pre': 'mainline-2026', 'mainline-2026-gfn': 'mainline-2026', 'mainline-2026': 'mainline-2026',
  });
  assert.equal(parseVariant('v6.3+splitFlush=never').era, 'v6.3');
  assert.equal(parseVariant('mainline-2026+linkPresent=drop-large').era, 'mainline-2026');
  assert.equal(parseVariant('splitFlush=reused,linkPresent=drop-large').era, 'v6.0');
  // A composition is named so that reading the name back gives the same variant, era included.
  for (const spec of ['v6.3+splitFlush=never', 'mainline-2026+dropFlushRange=table-gfn', 'v7+splitFlush=reused', 'v6.3+splitFlush=present-nonleaf']) {
    const v = parseVariant(spec);
    assert.deepEqual(parseVariant(variantName(v)), v, spec);
  }
  // The same policies under another era are not that era's preset: v7's are named from the
  // mainline-2026 preset they differ least from (mainline-2026-pre: only the flush range and the
  // enable-logging flush differ; from mainline-2026 four policies would).
  assert.equal(variantName({ ...parseVariant('v7'), era: 'mainline-2026' }), 'mainline-2026-pre+dropFlushRange=table-gfn,enableLogFlush=if-write-protected');
  // v6.3's policies are the 2026 code before both fixes (drop_large_spte(), present-not-large reuse).
  assert.equal(variantName({ ...parseVariant('v6.3'), era: 'mainline-2026' }), 'mainline-2026-pre');
  assert.deepEqual(parseVariant('mainline-2026+childReuse=gfn'), { ...parseVariant('mainline-2026-gfn'), name: 'mainline-2026-gfn' });
});

test('`kvm-mmu-lab variants` shows the era next to each preset', () => {
  const r = spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'cli', 'main.ts'), 'variants'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  for (const p of PRESETS) assert.match(r.stdout, new RegExp(`^${p.name.replace('.', '\\.')} +\\[${p.era.replace('.', '\\.')}\\] `, 'm'), r.stdout);
  const j = JSON.parse(spawnSync(process.execPath, ['--import', 'tsx', join(import.meta.dirname, '..', '..', 'cli', 'main.ts'), 'variants', '--json'], { encoding: 'utf8' }).stdout);
  assert.deepEqual(j.presets.map((p: { era: string }) => p.era), PRESETS.map((p) => p.era));
});
