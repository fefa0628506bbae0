/**
 * Known names of the modelled functions and statements across kernel versions (v5.19 .. mainline
 * 2026), from docs/kernel-notes.md section 4. Each entry says when the name applies. Entries the
 * notes mark as from memory ([M]) say so.
 */
import type { AnchorId } from '../mmu/anchors';

export interface NameAlias {
  name: string;
  /** The version range or event, in words. */
  when: string;
}

/** Other names a modelled function has had. */
export const FUNCTION_ALIASES: Record<string, NameAlias[]> = {
  drop_large_spte: [
    { name: '__drop_large_spte', when: 'v5.19: __drop_large_spte(kvm, sptep) next to drop_large_spte(vcpu, sptep)' },
  ],
  __link_shadow_page: [
    { name: 'link_shadow_page', when: 'v5.19: only link_shadow_page(vcpu, sptep, sp) existed' },
  ],
  kvm_zap_rmap: [
    { name: 'kvm_zap_rmapp', when: 'before the 2022 rmap helper renames [M]' },
    { name: '__kvm_zap_rmap', when: 'v6.1: kvm_zap_rmap() only calls __kvm_zap_rmap(), which holds the statement (checked on a 6.1.y mmu.c)' },
  ],
  kvm_flush_remote_tlbs_with_address: [{ name: 'kvm_flush_remote_tlbs_range', when: 'v6.4 and later (8c63e8c21765)' }],
  kvm_arch_flush_remote_tlbs_memslot: [{ name: 'kvm_flush_remote_tlbs_memslot', when: 'v6.6 and later, common code [I]' }],
  make_huge_page_split_spte: [{ name: 'make_small_spte', when: 'mainline (2024-2026)' }],
  slot_handle_level_range: [{ name: '__walk_slot_rmaps', when: 'v6.4 and later [I]' }, { name: 'walk_slot_rmaps', when: 'v6.4 and later [I]' }],
  kvm_mmu_zap_collapsible_sptes: [{ name: 'kvm_mmu_recover_huge_pages', when: 'mainline' }],
};

/** Function names that do not exist in some range, with the reason to print when one is missing. */
export const FUNCTION_ABSENCE: Record<string, string> = {
  shadow_mmu_split_huge_page: 'the shadow-MMU eager split arrived in v6.0 (kvm-5.20); a v5.19 or older mmu.c has only the TDP-MMU split',
  shadow_mmu_try_split_huge_page: 'the shadow-MMU eager split arrived in v6.0 (kvm-5.20)',
  drop_large_spte: 'drop_large_spte() was removed in 2026 (0cb2af2ea66a, the shadow-paging use-after-free fix): __link_shadow_page() zaps the present SPTE itself',
  __link_shadow_page: '__link_shadow_page() arrived with the shadow-MMU split series (v6.0); v5.19 has only link_shadow_page()',
};

export interface StatementAlias {
  stmt: string;
  /** Function that holds it in that version, when it moved. */
  fn?: string;
  /** File that holds it in that version, when it moved. */
  file?: string;
  when: string;
}

/** Other forms of an anchored statement. */
export const STATEMENT_ALIASES: Partial<Record<AnchorId, StatementAlias[]>> = {
  applyFlagsLog: [{ stmt: 'if (!log_dirty_pages) {', when: 'later kernels invert the test: the enable branch is the else of if (!log_dirty_pages) (checked on a linux-next x86.c)' }],
  splitPresent: [{ stmt: 'if (is_shadow_present_pte(*sptep))', when: 'before the seed: the present case was a bare continue' }],
  splitMakeSpte: [{ stmt: 'spte = make_small_spte(kvm, huge_spte, sp->role, index);', when: 'mainline: make_huge_page_split_spte() renamed make_small_spte()' }],
  splitLink: [{ stmt: '__link_shadow_page(kvm, cache, huge_sptep, sp);', when: 'before the seed (v7 23/23): no flush argument' }],
  linkDropLarge: [
    { stmt: 'drop_large_spte(kvm, sptep);', when: 'before the seed: no flush argument' },
    { stmt: 'drop_large_spte(vcpu, sptep);', fn: 'link_shadow_page', when: 'v5.19: link_shadow_page(vcpu, ...)' },
  ],
  dropLargeFlush: [
    { stmt: 'kvm_flush_remote_tlbs_with_address(vcpu->kvm, sp->gfn,', fn: '__drop_large_spte', when: 'v5.19' },
    { stmt: 'kvm_flush_remote_tlbs_range(kvm, sp->gfn,', when: 'v6.4 rename, if the sp->gfn range had survived (it did not: v6.3 moved to _sptep)' },
  ],
  faultLink: [{ stmt: '__link_shadow_page(vcpu->kvm, &vcpu->arch.mmu_pte_list_desc_cache, sptep, sp);', when: 'before the seed' }],
  wpMemslotFlush: [
    { stmt: 'kvm_arch_flush_remote_tlbs_memslot(kvm, new);', fn: 'kvm_mmu_slot_apply_flags', file: 'arch/x86/kvm/x86.c', when: 'v6.0 and later (b64d740ea7dd moved the flush to the caller, unconditional)' },
    { stmt: 'kvm_flush_remote_tlbs_memslot(kvm, new);', fn: 'kvm_mmu_slot_apply_flags', file: 'arch/x86/kvm/x86.c', when: 'v6.6 and later [I]: the common-code memslot flush' },
  ],
  clearFlush: [{ stmt: 'kvm_flush_remote_tlbs_memslot(kvm, memslot);', when: 'v6.6 and later [I]' }],
  getLogFlush: [{ stmt: 'kvm_flush_remote_tlbs_memslot(kvm, memslot);', when: 'v6.6 and later [I]' }],
  maskedSplit: [{ stmt: 'kvm_mmu_try_split_huge_pages(kvm, slot, start, end, PG_LEVEL_4K);', when: 'v6.0 .. 2023: the end+1 off-by-one not yet fixed' }],
  notifierZap: [{ stmt: 'return kvm_zap_rmapp(kvm, rmap_head, slot);', fn: 'kvm_unmap_rmapp', when: 'before the 2022 rmap helper renames [M]' }],
};

/** Why a statement may be missing even though its function is there. */
export const STATEMENT_ABSENCE: Partial<Record<AnchorId, string>> = {
  splitPresentFlush: 'flush |= !is_last_spte(...) is the seed (v7 23/23, v6.0); before it the split loop only skips present entries',
  dropLargeFlush: 'v6.3 (1b2dc7360463) replaced the sp->gfn range flush by kvm_flush_remote_tlbs_sptep()',
  dropLargeFlushSptep: 'kvm_flush_remote_tlbs_sptep() arrived in v6.3; before it drop_large_spte() flushed sp->gfn with kvm_flush_remote_tlbs_with_address()',
  linkZapFlush: 'the zap-and-flush in __link_shadow_page() is the 2026 use-after-free fix (0cb2af2ea66a); before it __link_shadow_page() called drop_large_spte()',
  linkDropLarge: 'the 2026 use-after-free fix (0cb2af2ea66a) replaced drop_large_spte() by mmu_page_zap_pte() + kvm_mmu_remote_flush_or_zap()',
  wpMemslotFlush: 'since v6.0 (b64d740ea7dd) the memslot flush after enabling dirty logging is in kvm_mmu_slot_apply_flags() (x86.c)',
};
