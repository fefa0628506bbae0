/**
 * Where each modelled step lives in the kernel. The statement text is what source anchoring
 * searches for (whitespace-insensitively) in the reviewer's own tree; `fn` is the function that
 * holds it. The ids without a suffix are the v6.0 forms (the seed and the code it applies to); a
 * statement that moved or was renamed later has an id of its own for its later form, and
 * src/kernel/eras.ts says which form a step takes in which era. The anchoring code keeps the table of
 * renames for reviewers' trees of other versions.
 */


/** Where a step lives in the kernel: the file, the function and the statement. */
export interface Anchor {
  /** Kernel function the step mirrors. */
  fn: string;
  /** The statement, as text to look for in the source (whitespace-insensitive). */
  stmt: string;
  file: string;
}

const MMU = 'arch/x86/kvm/mmu/mmu.c';
const SPTE = 'arch/x86/kvm/mmu/spte.c';
const TMPL = 'arch/x86/kvm/mmu/paging_tmpl.h';
const KVM_MAIN = 'virt/kvm/kvm_main.c';
const X86 = 'arch/x86/kvm/x86.c';

function a(file: string, fn: string, stmt: string): Anchor {
  return { file, fn, stmt };
}

export const ANCHORS = {
  splitGetSp: a(MMU, 'shadow_mmu_split_huge_page', 'sp = shadow_mmu_get_sp_for_split(kvm, huge_sptep);'),
  splitPresent: a(MMU, 'shadow_mmu_split_huge_page', 'if (is_shadow_present_pte(*sptep)) {'),
  splitPresentFlush: a(MMU, 'shadow_mmu_split_huge_page', 'flush |= !is_last_spte(*sptep, sp->role.level);'),
  splitMakeSpte: a(MMU, 'shadow_mmu_split_huge_page', 'spte = make_huge_page_split_spte(kvm, huge_spte, sp->role, index);'),
  splitMakeSmallSpte: a(MMU, 'shadow_mmu_split_huge_page', 'spte = make_small_spte(kvm, huge_spte, sp->role, index);'),
  splitLink: a(MMU, 'shadow_mmu_split_huge_page', '__link_shadow_page(kvm, cache, huge_sptep, sp, flush);'),
  linkDropLarge: a(MMU, '__link_shadow_page', 'drop_large_spte(kvm, sptep, flush);'),
  dropSpte: a(MMU, 'drop_large_spte', 'drop_spte(kvm, sptep);'),
  dropLargeFlush: a(MMU, 'drop_large_spte', 'kvm_flush_remote_tlbs_with_address(kvm, sp->gfn,'),
  dropLargeFlushSptep: a(MMU, 'drop_large_spte', 'kvm_flush_remote_tlbs_sptep(kvm, sptep);'),
  linkZapPte: a(MMU, '__link_shadow_page', 'mmu_page_zap_pte(kvm, parent_sp, sptep, &invalid_list);'),
  linkZapFlush: a(MMU, '__link_shadow_page', 'kvm_mmu_remote_flush_or_zap('),
  linkSet: a(MMU, '__link_shadow_page', 'mmu_spte_set(sptep, spte);'),
  tryReschedUnlock: a(MMU, 'shadow_mmu_try_split_huge_page', 'write_unlock(&kvm->mmu_lock);'),
  tryReschedLock: a(MMU, 'shadow_mmu_try_split_huge_page', 'write_lock(&kvm->mmu_lock);'),
  trySplitLock: a(MMU, 'kvm_mmu_slot_try_split_huge_pages', 'write_lock(&kvm->mmu_lock);'),
  trySplitUnlock: a(MMU, 'kvm_mmu_slot_try_split_huge_pages', 'write_unlock(&kvm->mmu_lock);'),
  wpLock: a(MMU, 'kvm_mmu_slot_remove_write_access', 'write_lock(&kvm->mmu_lock);'),
  wpRmap: a(MMU, 'slot_rmap_write_protect', 'return rmap_write_protect(rmap_head, false);'),
  wpUnlock: a(MMU, 'kvm_mmu_slot_remove_write_access', 'write_unlock(&kvm->mmu_lock);'),
  wpMemslotFlush: a(MMU, 'kvm_mmu_slot_remove_write_access', 'kvm_arch_flush_remote_tlbs_memslot(kvm, memslot);'),
  applyFlagsInitSet: a(X86, 'kvm_mmu_slot_apply_flags', 'if (kvm_dirty_log_manual_protect_and_init_set(kvm))'),
  applyFlagsLog: a(X86, 'kvm_mmu_slot_apply_flags', 'if (log_dirty_pages) {'),
  applyFlagsFlush: a(X86, 'kvm_mmu_slot_apply_flags', 'kvm_arch_flush_remote_tlbs_memslot(kvm, new);'),
  applyFlagsFlushCommon: a(X86, 'kvm_mmu_slot_apply_flags', 'kvm_flush_remote_tlbs_memslot(kvm, new);'),
  clearLock: a(KVM_MAIN, 'kvm_clear_dirty_log_protect', 'KVM_MMU_LOCK(kvm);'),
  clearMask: a(KVM_MAIN, 'kvm_clear_dirty_log_protect', 'mask &= atomic_long_fetch_andnot(mask, p);'),
  clearUnlock: a(KVM_MAIN, 'kvm_clear_dirty_log_protect', 'KVM_MMU_UNLOCK(kvm);'),
  clearFlush: a(KVM_MAIN, 'kvm_clear_dirty_log_protect', 'kvm_arch_flush_remote_tlbs_memslot(kvm, memslot);'),
  clearFlushCommon: a(KVM_MAIN, 'kvm_clear_dirty_log_protect', 'kvm_flush_remote_tlbs_memslot(kvm, memslot);'),
  clearIoctlUnlock: a(KVM_MAIN, 'kvm_vm_ioctl_clear_dirty_log', 'mutex_unlock(&kvm->slots_lock);'),
  maskedSplit: a(MMU, 'kvm_arch_mmu_enable_log_dirty_pt_masked', 'kvm_mmu_try_split_huge_pages(kvm, slot, start, end + 1, PG_LEVEL_4K);'),
  maskedWp2m: a(MMU, 'kvm_arch_mmu_enable_log_dirty_pt_masked', 'kvm_mmu_slot_gfn_write_protect(kvm, slot, start, PG_LEVEL_2M);'),
  maskedWp4k: a(MMU, 'kvm_mmu_write_protect_pt_masked', 'rmap_write_protect(rmap_head, false);'),
  getLogHarvest: a(KVM_MAIN, 'kvm_get_dirty_log_protect', 'mask = xchg(&dirty_bitmap[i], 0);'),
  getLogCopy: a(KVM_MAIN, 'kvm_get_dirty_log_protect', 'if (copy_to_user(log->dirty_bitmap, dirty_bitmap_buffer, n))'),
  getLogLock: a(KVM_MAIN, 'kvm_get_dirty_log_protect', 'KVM_MMU_LOCK(kvm);'),
  getLogUnlock: a(KVM_MAIN, 'kvm_get_dirty_log_protect', 'KVM_MMU_UNLOCK(kvm);'),
  getLogFlush: a(KVM_MAIN, 'kvm_get_dirty_log_protect', 'kvm_arch_flush_remote_tlbs_memslot(kvm, memslot);'),
  getLogFlushCommon: a(KVM_MAIN, 'kvm_get_dirty_log_protect', 'kvm_flush_remote_tlbs_memslot(kvm, memslot);'),
  getLogIoctlUnlock: a(KVM_MAIN, 'kvm_vm_ioctl_get_dirty_log', 'mutex_unlock(&kvm->slots_lock);'),
  notifierLock: a(KVM_MAIN, '__kvm_handle_hva_range', 'KVM_MMU_LOCK(kvm);'),
  notifierZap: a(MMU, '__kvm_zap_rmap', 'return kvm_zap_all_rmap_sptes(kvm, rmap_head);'),
  notifierZapRmap: a(MMU, 'kvm_zap_rmap', 'return kvm_zap_all_rmap_sptes(kvm, rmap_head);'),
  notifierFlush: a(KVM_MAIN, '__kvm_handle_hva_range', 'kvm_flush_remote_tlbs(kvm);'),
  notifierUnlock: a(KVM_MAIN, '__kvm_handle_hva_range', 'KVM_MMU_UNLOCK(kvm);'),
  hostFree: a(KVM_MAIN, 'kvm_mmu_notifier_invalidate_range_end', 'kvm_mmu_notifier_invalidate_range_end('),
  faultLock: a(TMPL, 'FNAME(page_fault)', 'write_lock(&vcpu->kvm->mmu_lock);'),
  faultIndirect: a(TMPL, 'FNAME(fetch)', 'sp = kvm_mmu_get_child_sp(vcpu, it.sptep, table_gfn,'),
  faultDirect: a(TMPL, 'FNAME(fetch)', 'sp = kvm_mmu_get_child_sp(vcpu, it.sptep, base_gfn,'),
  faultLink: a(MMU, 'link_shadow_page', '__link_shadow_page(vcpu->kvm, &vcpu->arch.mmu_pte_list_desc_cache, sptep, sp, true);'),
  faultSetSpte: a(MMU, 'mmu_set_spte', 'wrprot = make_spte(vcpu, sp, slot, pte_access, gfn, pfn, *sptep, prefetch,'),
  faultMarkDirty: a(SPTE, 'make_spte', 'mark_page_dirty_in_slot(vcpu->kvm, slot, gfn);'),
  faultUnlock: a(TMPL, 'FNAME(page_fault)', 'write_unlock(&vcpu->kvm->mmu_lock);'),
  faultInject: a(TMPL, 'FNAME(page_fault)', 'kvm_inject_emulated_page_fault(vcpu, &walker.fault);'),
  faultGpteChangedTop: a(TMPL, 'FNAME(fetch)', 'if (FNAME(gpte_changed)(vcpu, gw, top_level))'),
  faultGpteChanged: a(TMPL, 'FNAME(fetch)', 'if (FNAME(gpte_changed)(vcpu, gw, it.level - 1))'),
  guestTableWriteVmm: a('(userspace)', 'VMM or device write to guest memory', 'a store through the VMM\'s own mapping of guest memory'),
  // The guest's own write of a guest page-table entry (src/ops/guest_table_write_trapped.ts). Not
  // write-tracked: a plain store, no KVM code. Write-tracked: the fault is emulated (both eras end
  // kvm_mmu_page_fault() with this call), the emulator writes guest memory, then the MMU's
  // track-write hook zaps under mmu_lock: kvm_mmu_pte_write() (a page-track notifier, v6.0/v6.3),
  // kvm_mmu_track_write() (called directly by kvm_page_track_write(), mainline-2026).
  guestStore: a('(hardware)', 'guest store', 'a store through the guest\'s own mapping (the gfn is not write-tracked)'),
  trackTrap: a(MMU, 'kvm_mmu_page_fault', 'return x86_emulate_instruction(vcpu, cr2_or_gpa, emulation_type, insn,'),
  trackWriteGuest: a(X86, 'emulator_write_phys', 'ret = kvm_vcpu_write_guest(vcpu, gpa, val, bytes);'),
  trackWriteLock: a(MMU, 'kvm_mmu_pte_write', 'write_lock(&vcpu->kvm->mmu_lock);'),
  trackWriteZap: a(MMU, 'kvm_mmu_pte_write', 'mmu_page_zap_pte(vcpu->kvm, sp, spte, NULL);'),
  trackWriteFlush: a(MMU, 'kvm_mmu_pte_write', 'kvm_mmu_remote_flush_or_zap(vcpu->kvm, &invalid_list, flush);'),
  trackWriteUnlock: a(MMU, 'kvm_mmu_pte_write', 'write_unlock(&vcpu->kvm->mmu_lock);'),
  trackWriteLockMainline: a(MMU, 'kvm_mmu_track_write', 'write_lock(&vcpu->kvm->mmu_lock);'),
  trackWriteZapMainline: a(MMU, 'kvm_mmu_track_write', 'mmu_page_zap_pte(vcpu->kvm, sp, spte, NULL);'),
  trackWriteFlushMainline: a(MMU, 'kvm_mmu_track_write', 'kvm_mmu_remote_flush_or_zap(vcpu->kvm, &invalid_list, flush);'),
  trackWriteUnlockMainline: a(MMU, 'kvm_mmu_track_write', 'write_unlock(&vcpu->kvm->mmu_lock);'),
  hwAccess: a('(hardware)', 'page walk', 'TLB lookup / page walk'),
  memslotFlags: a(KVM_MAIN, 'kvm_set_memslot', 'kvm_commit_memory_region(kvm, old, new, change);'),
  setMemoryRegionUnlock: a(KVM_MAIN, 'kvm_set_memory_region', 'mutex_unlock(&kvm->slots_lock);'),
  setMemoryRegionLock: a(KVM_MAIN, 'kvm_set_memory_region', 'mutex_lock(&kvm->slots_lock);'),
  memslotInvalidate: a(KVM_MAIN, 'kvm_invalidate_memslot', 'kvm_swap_active_memslots(kvm, old->as_id);'),
  memslotFlushShadow: a(KVM_MAIN, 'kvm_invalidate_memslot', 'kvm_arch_flush_shadow_memslot(kvm, old);'),
  memslotDelete: a(KVM_MAIN, 'kvm_delete_memslot', 'kvm_activate_memslot(kvm, invalid_slot, NULL);'),
  zapAllFastLock: a(MMU, 'kvm_mmu_zap_all_fast', 'write_lock(&kvm->mmu_lock);'),
  zapAllFastGen: a(MMU, 'kvm_mmu_zap_all_fast', 'kvm->arch.mmu_valid_gen = kvm->arch.mmu_valid_gen ? 0 : 1;'),
  zapObsoletePrepare: a(MMU, 'kvm_zap_obsolete_pages', 'unstable = __kvm_mmu_prepare_zap_page(kvm, sp,'),
  commitZapFlush: a(MMU, 'kvm_mmu_commit_zap_page', 'kvm_flush_remote_tlbs(kvm);'),
  commitZapFree: a(MMU, 'kvm_mmu_commit_zap_page', 'kvm_mmu_free_shadow_page(sp);'),
  zapAllFastUnlock: a(MMU, 'kvm_mmu_zap_all_fast', 'write_unlock(&kvm->mmu_lock);'),
  // slotZap=memslot (KVM_X86_QUIRK_SLOT_ZAP_ALL disabled; mainline since v6.12): docs/kernel-guest-tables.md section 7.
  zapMemslotLock: a(MMU, 'kvm_mmu_zap_memslot', 'write_lock(&kvm->mmu_lock);'),
  zapMemslotUnmap: a(MMU, 'kvm_mmu_zap_memslot', 'flush = kvm_unmap_gfn_range(kvm, &range);'),
  zapMemslotPrepare: a(MMU, 'kvm_mmu_zap_memslot_pages_and_flush', 'kvm_mmu_prepare_zap_page(kvm, sp, &invalid_list);'),
  flushOrZapFlush: a(MMU, 'kvm_mmu_remote_flush_or_zap', 'kvm_flush_remote_tlbs(kvm);'),
  flushOrZapNone: a(MMU, 'kvm_mmu_remote_flush_or_zap', 'if (!remote_flush && list_empty(invalid_list))'),
  zapMemslotUnlock: a(MMU, 'kvm_mmu_zap_memslot', 'write_unlock(&kvm->mmu_lock);'),
  freeObsoleteRoots: a(X86, 'vcpu_enter_guest', 'kvm_mmu_free_obsolete_roots(vcpu);'),
  setMemoryRegionGuard: a(KVM_MAIN, 'kvm_vm_ioctl_set_memory_region', 'guard(mutex)(&kvm->slots_lock);'),
} as const satisfies Record<string, Anchor>;

export type AnchorId = keyof typeof ANCHORS;

/** One string per anchor (file, function, statement): the key of the listing's lines and of anchorIdOf(). */
export function anchorKey(a: Pick<Anchor, 'file' | 'fn' | 'stmt'>): string {
  return `${a.file}\u0000${a.fn}\u0000${a.stmt}`;
}

const ID_BY_KEY = new Map<string, AnchorId>((Object.keys(ANCHORS) as AnchorId[]).map((id) => [anchorKey(ANCHORS[id]), id]));

/** The id of a step's anchor (steps carry the anchor itself), or undefined for one not in the table. */
export function anchorIdOf(a: Pick<Anchor, 'file' | 'fn' | 'stmt'>): AnchorId | undefined {
  return ID_BY_KEY.get(anchorKey(a));
}
