/**
 * Known names of the modelled functions and statements across kernel versions (v5.19 .. mainline
 * 2026), from docs/kernel-notes.md section 4, and across the revisions of the series that added the
 * shadow-MMU eager split (v1 .. v7, February to June 2022; docs/patches.md says where each was
 * read). Each entry says when the name applies. Entries the notes mark as from memory ([M]) say so.
 * KNOWN_MOVES lists the statements the kernel's history moved to another function, with the commit:
 * the only places a statement is looked for outside its own function.
 */
import type { AnchorId } from '../kernel/anchors';

export interface NameAlias {
  name: string;
  /** The version range or event, in words. */
  when: string;
}

/** Other names a modelled function has had. */
export const FUNCTION_ALIASES: Record<string, NameAlias[]> = {
  drop_large_spte: [
    { name: '__drop_large_spte', when: 'v5.19: __drop_large_spte(kvm, sptep) next to drop_large_spte(vcpu, sptep); in the split series\' v2 to v6 (2022-03 .. 2022-05) __drop_large_spte(kvm, sptep, flush) held the flush' },
  ],
  shadow_mmu_split_huge_page: [
    { name: 'kvm_mmu_split_huge_page', when: 'the split series\' v1 (2022-02-03) and v2 (2022-03-11)' },
    { name: 'nested_mmu_split_huge_page', when: 'the split series\' v4 (2022-04-22) and v6 (2022-05-16)' },
  ],
  shadow_mmu_try_split_huge_page: [
    { name: 'nested_mmu_try_split_huge_page', when: 'the split series\' v4 and v6 (2022-04 .. 2022-05)' },
    { name: 'prepare_to_split_huge_page', when: 'the split series\' v1 and v2 (2022-02 .. 2022-03): it dropped mmu_lock to allocate' },
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
  kvm_mmu_track_write: [{ name: 'kvm_mmu_pte_write', when: 'until the 2023 page-track cleanup (v6.6 [I]): the page-track notifier\'s track_write (checked on a 6.1.y mmu.c)' }],
  kvm_mmu_zap_collapsible_sptes: [{ name: 'kvm_mmu_recover_huge_pages', when: 'mainline' }],
};

/** Function names that do not exist in some range, with the reason to print when one is missing. */
export const FUNCTION_ABSENCE: Record<string, string> = {
  shadow_mmu_split_huge_page: 'the shadow-MMU eager split arrived in v6.0 (kvm-5.20); a v5.19 or older mmu.c has only the TDP-MMU split',
  shadow_mmu_try_split_huge_page: 'the shadow-MMU eager split arrived in v6.0 (kvm-5.20)',
  drop_large_spte: 'drop_large_spte() was removed in 2026 (0cb2af2ea66a, the shadow-paging use-after-free fix): __link_shadow_page() zaps the present SPTE itself',
  __link_shadow_page: '__link_shadow_page() arrived with the shadow-MMU split series (v6.0); v5.19 has only link_shadow_page()',
};

/**
 * A function's other names, looked up as an own key: names come from patches and trees, and one
 * called `constructor` or `toString` must not find Object.prototype's (a function, not a list).
 */
export function functionAliases(fn: string): NameAlias[] {
  return Object.hasOwn(FUNCTION_ALIASES, fn) ? FUNCTION_ALIASES[fn] : [];
}

/** Why a function may be missing from a tree, if it is one that some versions lack (own keys only). */
export function functionAbsence(fn: string): string | undefined {
  return Object.hasOwn(FUNCTION_ABSENCE, fn) ? FUNCTION_ABSENCE[fn] : undefined;
}

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
  splitGetSp: [
    { stmt: 'sp = nested_mmu_get_sp_for_split(kvm, huge_sptep);', when: 'the split series\' v4 and v6' },
    { stmt: 'split_sp = kvm_mmu_get_sp_for_split(kvm, slot, huge_sptep, spp);', when: 'the split series\' v1 and v2' },
  ],
  splitPresent: [
    { stmt: 'if (is_shadow_present_pte(*sptep))', when: 'before the seed: the present case was a bare continue' },
    { stmt: 'if (is_shadow_present_pte(*split_sptep)) {', when: 'the split series\' v1 22/23: split_sptep' },
  ],
  splitPresentFlush: [{ stmt: 'flush |= !is_last_spte(*split_sptep, split_level);', when: 'the split series\' v1 22/23: split_sptep, split_level' }],
  splitMakeSpte: [
    { stmt: 'spte = make_small_spte(kvm, huge_spte, sp->role, index);', when: 'mainline: make_huge_page_split_spte() renamed make_small_spte()' },
    { stmt: 'spte = make_huge_page_split_spte(huge_spte, sp->role, index);', when: 'the split series\' v6: no kvm argument' },
    { stmt: 'spte = make_huge_page_split_spte(huge_spte, sp, index);', when: 'the split series\' v4: the sp itself' },
  ],
  splitLink: [
    { stmt: '__link_shadow_page(kvm, cache, huge_sptep, sp);', when: 'before the seed (v7 23/23): no flush argument' },
    { stmt: '__link_shadow_page(cache, huge_sptep, sp);', when: 'the split series\' v4 and v6: no kvm argument; the split dropped the huge SPTE itself first' },
    { stmt: '__link_shadow_page(cache, huge_sptep, split_sp);', when: 'the split series\' v1 22/23' },
    { stmt: '__link_shadow_page(NULL, huge_sptep, split_sp);', when: 'the split series\' v1 and v2: no pte_list_desc cache' },
  ],
  linkDropLarge: [
    { stmt: 'drop_large_spte(kvm, sptep);', when: 'before the seed: no flush argument' },
  ],
  dropLargeFlush: [
    { stmt: 'kvm_flush_remote_tlbs_with_address(vcpu->kvm, sp->gfn,', when: 'v5.19: drop_large_spte(vcpu, sptep) flushed after __drop_large_spte() reported a drop' },
    { stmt: 'kvm_flush_remote_tlbs_range(kvm, sp->gfn,', when: 'v6.4 rename, if the sp->gfn range had survived (it did not: v6.3 moved to _sptep)' },
  ],
  faultLink: [{ stmt: '__link_shadow_page(vcpu->kvm, &vcpu->arch.mmu_pte_list_desc_cache, sptep, sp);', when: 'before the seed' }],
  // FNAME(fetch) before kvm_mmu_get_child_sp() (the split series, v6.0) asked kvm_mmu_get_page()
  // for the child; read in the series' own diffs of paging_tmpl.h (stored mails 49789051885,
  // 35473759950) and, with addr, in the kvm_page_fault conversion's (22905761386): docs/kernel-notes.md section 4.
  faultIndirect: [
    { stmt: 'sp = kvm_mmu_get_page(vcpu, table_gfn, fault->addr,', when: 'v5.16 .. v5.19: kvm_mmu_get_page(), with struct kvm_page_fault' },
    { stmt: 'sp = kvm_mmu_get_page(vcpu, table_gfn, addr,', when: 'v5.15 and before: kvm_mmu_get_page() with the fault address as a parameter' },
  ],
  faultDirect: [
    { stmt: 'sp = kvm_mmu_get_page(vcpu, base_gfn, fault->addr,', when: 'v5.16 .. v5.19: kvm_mmu_get_page(), with struct kvm_page_fault' },
  ],
  clearFlush: [{ stmt: 'kvm_flush_remote_tlbs_memslot(kvm, memslot);', when: 'v6.6 and later [I]' }],
  getLogFlush: [{ stmt: 'kvm_flush_remote_tlbs_memslot(kvm, memslot);', when: 'v6.6 and later [I]' }],
  maskedSplit: [{ stmt: 'kvm_mmu_try_split_huge_pages(kvm, slot, start, end, PG_LEVEL_4K);', when: 'v6.0 .. 2023: the end+1 off-by-one not yet fixed' }],
  notifierZap: [{ stmt: 'return kvm_zap_rmapp(kvm, rmap_head, slot);', fn: 'kvm_unmap_rmapp', when: 'before the 2022 rmap helper renames [M]' }],
};

/**
 * A statement the kernel's history moved out of (or into) its anchor's function: where it is in
 * the other versions, and the commit that moved it. A statement is looked for outside its own
 * function only here; a lone look-alike elsewhere in a file is not taken (in a tree without
 * drop_large_spte(), kvm_flush_remote_tlbs_sptep(kvm, sptep) is also in the collapsible-SPTE zap).
 */
export interface KnownMove {
  /** The function holding it there: a model name (its other names are followed) or another function. */
  fn: string;
  /** The file holding it there, when that is not the anchor's file. */
  file?: string;
  /** The statement there, when its form differs from the anchor's. */
  stmt?: string;
  /** The commit that moved it (12 hex digits). */
  commit: string;
  when: string;
}

export const KNOWN_MOVES: Partial<Record<AnchorId, KnownMove[]>> = {
  wpMemslotFlush: [
    { fn: 'kvm_mmu_slot_apply_flags', file: 'arch/x86/kvm/x86.c', stmt: 'kvm_arch_flush_remote_tlbs_memslot(kvm, new);', commit: 'b64d740ea7dd', when: 'v6.0: "Always flush TLBs when enabling dirty logging" moved the memslot flush to the caller, unconditional' },
    { fn: 'kvm_mmu_slot_apply_flags', file: 'arch/x86/kvm/x86.c', stmt: 'kvm_flush_remote_tlbs_memslot(kvm, new);', commit: 'b64d740ea7dd', when: 'v6.0 moved the memslot flush to the caller; kvm_flush_remote_tlbs_memslot() is its common-code name from about v6.6 [I]' },
  ],
  linkDropLarge: [
    { fn: 'shadow_mmu_split_huge_page', stmt: '__drop_large_spte(kvm, huge_sptep, flush);', commit: '0cd8dc739833', when: 'the split series\' v4 and v6 (2022-04 .. 2022-05) dropped the huge SPTE in the split itself; v7 20/23 "pull call to drop_large_spte() into __link_shadow_page()" moved the call' },
    { fn: 'shadow_mmu_split_huge_page', stmt: 'drop_large_spte(kvm, huge_sptep, flush);', commit: '0cd8dc739833', when: 'the split series\' v1 22/23 (2022-02) dropped the huge SPTE in the split itself; v7 20/23 moved the call into __link_shadow_page()' },
    { fn: '__direct_map', stmt: 'drop_large_spte(vcpu, it.sptep);', commit: '0cd8dc739833', when: 'v5.19: each fault path (__direct_map(), FNAME(fetch)) dropped the huge SPTE before linking; v7 20/23 moved the call into __link_shadow_page()' },
  ],
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
