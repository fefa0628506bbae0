/**
 * Kernel eras: the code a preset models, and the names that code gives the functions the steps
 * go through. Every function name a step's text or anchor uses comes from here (or is the same in
 * every era, like shadow_mmu_split_huge_page()), so a trace under a preset reads like the kernel
 * it claims. Each name was checked in that era's source or in the commit that renamed it; the
 * sources are in docs/kernel-notes.md section 4 (kernel-notes cells marked [I] are inferred from
 * the merge window of the renaming commit, and say so there).
 */
import type { AnchorId } from './anchors';

export type EraId = 'v6.0' | 'v6.3' | 'mainline-2026';

/** Names that differ between eras; a `null` is a function that does not exist in that era. */
export interface EraNames {
  /** The gfn-range remote flush: kvm_flush_remote_tlbs_with_address() (<= v6.3), renamed in v6.4 (8c63e8c21765). */
  rangeFlush: string;
  /** The per-SPTE flush helper Hou Wenlong added in v6.3 (4ad980aea7f5). */
  sptepFlush: string | null;
  /** Its per-gfn inner helper, same commit. */
  gfnFlush: string | null;
  /** The memslot flush: x86's kvm_arch_flush_remote_tlbs_memslot() until it moved to common code (~v6.6). */
  memslotFlush: string;
  /** The whole-memslot rmap walker kvm_mmu_slot_remove_write_access() calls (renamed with __walk_slot_rmaps, v6.4). */
  slotWalker: string;
  /** The split's SPTE maker: make_huge_page_split_spte(), later make_small_spte(). */
  splitSpte: string;
  /** The function whose statement is `return kvm_zap_all_rmap_sptes(kvm, rmap_head);`. */
  zapRmap: string;
  /** How kvm_unmap_gfn_range() reaches it. */
  unmapPath: string;
  /** The function that takes slots_lock for KVM_SET_USER_MEMORY_REGION. */
  setMemoryRegion: string;
  /** drop_large_spte(): deleted by the 2026 use-after-free fix 0cb2af2ea66a (linkPresent=zap-and-flush). */
  dropLargeSpte: string | null;
  /**
   * How a memslot deletion reaches kvm_mmu_zap_all_fast() from kvm_invalidate_memslot(): through the
   * page-track notifier until Sean Christopherson's 2023 page-track cleanup (~v6.6) called it from
   * kvm_arch_flush_shadow_memslot() directly; KVM_X86_QUIRK_SLOT_ZAP_ALL (~v6.12) keeps that the default.
   */
  flushShadowMemslot: string;
  /**
   * With KVM_X86_QUIRK_SLOT_ZAP_ALL disabled (slotZap=memslot), the path kvm_arch_flush_shadow_memslot()
   * takes instead: kvm_mmu_zap_memslot() (aa8d1f48d353 added the quirk for v6.12; fcd1ec9cb59c and
   * 58a20a9435aa gave the shadow MMU's part the form read in SNEXT). null: the era has no quirk.
   */
  zapMemslot: string | null;
  /**
   * The MMU's hook for an emulated guest write: kvm_mmu_pte_write(), the page-track notifier's
   * track_write (v6.0..v6.5, read in 6.1.y), became kvm_mmu_track_write(), which
   * kvm_page_track_write() calls directly (read in SNEXT).
   */
  trackWrite: string;
}

export interface Era {
  id: EraId;
  /** One line: which kernel the code is. */
  label: string;
  names: EraNames;
  /** Steps whose statement lives elsewhere in this era: the logical anchor -> this era's form. */
  anchors: Partial<Record<AnchorId, AnchorId>>;
  /**
   * What pte_list_remove() does when rmap_remove() does not find the SPTE (docs/kernel-guest-tables.md
   * section 5): bug: pr_err() and BUG() (before 2023's KVM_BUG_ON_DATA_CORRUPTION()); warn:
   * KVM_BUG_ON_DATA_CORRUPTION() with CONFIG_BUG_ON_DATA_CORRUPTION=n: WARN_ON_ONCE(), the VM is
   * bugged (dead), the rmap is left as it is and the caller goes on.
   */
  rmapMiss: 'bug' | 'warn';
}

const V6_0_NAMES: EraNames = {
  rangeFlush: 'kvm_flush_remote_tlbs_with_address',
  sptepFlush: null,
  gfnFlush: null,
  memslotFlush: 'kvm_arch_flush_remote_tlbs_memslot',
  slotWalker: 'slot_handle_level',
  splitSpte: 'make_huge_page_split_spte',
  zapRmap: '__kvm_zap_rmap',
  unmapPath: 'kvm_handle_gfn_range(kvm, range, kvm_zap_rmap)',
  setMemoryRegion: 'kvm_set_memory_region',
  dropLargeSpte: 'drop_large_spte',
  // x86.c's kvm_arch_flush_shadow_memslot() only calls kvm_page_track_flush_slot(); mmu.c registers
  // kvm_mmu_invalidate_zap_pages_in_memslot() as the track_flush_slot hook, and it calls kvm_mmu_zap_all_fast().
  flushShadowMemslot: 'kvm_arch_flush_shadow_memslot() -> kvm_page_track_flush_slot() -> kvm_mmu_invalidate_zap_pages_in_memslot() -> kvm_mmu_zap_all_fast()',
  trackWrite: 'kvm_mmu_pte_write',
  zapMemslot: null,
};

export const ERAS: Readonly<Record<EraId, Era>> = {
  'v6.0': {
    id: 'v6.0',
    label: 'v6.0: the seed (v7 23/23) and the kvm/queue of June 2022 it applies to, released in v6.0',
    names: V6_0_NAMES,
    anchors: {},
    rmapMiss: 'bug',
  },
  'v6.3': {
    id: 'v6.3',
    label: 'v6.3: Hou Wenlong\'s range-flush fixes (kvm_flush_remote_tlbs_sptep, 1b2dc7360463), before the v6.4 renames',
    // v6.0's names, plus the helpers of 4ad980aea7f5; the renames came in v6.4 and later.
    names: { ...V6_0_NAMES, sptepFlush: 'kvm_flush_remote_tlbs_sptep', gfnFlush: 'kvm_flush_remote_tlbs_gfn' },
    anchors: {},
    rmapMiss: 'bug',
  },
  'mainline-2026': {
    id: 'mainline-2026',
    label: 'mainline of 2026 (linux-next just before 0cb2af2ea66a); its two use-after-free fixes, 0cb2af2ea66a ("unexpected GFN") and 81ccda30b4e8 ("unexpected role"), are the policies linkPresent and childReuse',
    names: {
      rangeFlush: 'kvm_flush_remote_tlbs_range',
      sptepFlush: 'kvm_flush_remote_tlbs_sptep',
      gfnFlush: 'kvm_flush_remote_tlbs_gfn',
      memslotFlush: 'kvm_flush_remote_tlbs_memslot',
      slotWalker: 'walk_slot_rmaps',
      splitSpte: 'make_small_spte',
      zapRmap: 'kvm_zap_rmap',
      unmapPath: '__kvm_rmap_zap_gfn_range() -> __walk_slot_rmaps(kvm_zap_rmap)',
      setMemoryRegion: 'kvm_vm_ioctl_set_memory_region',
      // The era's code still has it (SNEXT); linkPresent=zap-and-flush is the fix that deletes it.
      dropLargeSpte: 'drop_large_spte',
      flushShadowMemslot: 'kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_all_fast() (the default KVM_X86_QUIRK_SLOT_ZAP_ALL)',
      trackWrite: 'kvm_mmu_track_write',
      zapMemslot: 'kvm_arch_flush_shadow_memslot() -> kvm_mmu_zap_memslot() (KVM_X86_QUIRK_SLOT_ZAP_ALL disabled)',
    },
    anchors: {
      clearFlush: 'clearFlushCommon',
      getLogFlush: 'getLogFlushCommon',
      splitMakeSpte: 'splitMakeSmallSpte',
      notifierZap: 'notifierZapRmap',
      setMemoryRegionUnlock: 'setMemoryRegionGuard',
      setMemoryRegionLock: 'setMemoryRegionGuard',
      trackWriteLock: 'trackWriteLockMainline',
      trackWriteZap: 'trackWriteZapMainline',
      trackWriteFlush: 'trackWriteFlushMainline',
      trackWriteUnlock: 'trackWriteUnlockMainline',
    },
    rmapMiss: 'warn',
  },
};

export const ERA_IDS = Object.keys(ERAS) as EraId[];

/**
 * Anchors whose statement is not in the code the seed applies to (the v6.0-era forms): the later
 * eras' forms, and the statements of the later policies (v6.3's sptep flush, the 2026 zap, the
 * unconditional enable-logging flush of b64d740ea7dd in its two names).
 */
export const LATER_FORMS: readonly AnchorId[] = [
  'splitMakeSmallSpte', 'notifierZapRmap', 'clearFlushCommon', 'getLogFlushCommon', 'setMemoryRegionGuard',
  'dropLargeFlushSptep', 'linkZapPte', 'linkZapFlush', 'applyFlagsFlush', 'applyFlagsFlushCommon',
  'trackWriteLockMainline', 'trackWriteZapMainline', 'trackWriteFlushMainline', 'trackWriteUnlockMainline',
  'zapMemslotLock', 'zapMemslotUnmap', 'zapMemslotPrepare', 'zapMemslotUnlock',
];

/**
 * Functions of LATER_FORMS anchors that the seed's code has under no name (so neither the test
 * fixture nor a v6.0 tree holds them): the path of KVM_X86_QUIRK_SLOT_ZAP_ALL disabled (v6.12).
 */
export const LATER_FUNCTIONS: readonly string[] = ['kvm_mmu_zap_memslot', 'kvm_mmu_zap_memslot_pages_and_flush'];

/**
 * The anchor a step has in an era. `enableLogFlush` decides where the memslot flush after
 * enabling logging is: if-write-protected is the seed's base, where kvm_mmu_slot_remove_write_access()
 * flushed only when it changed an SPTE; always is b64d740ea7dd, the unconditional flush in
 * kvm_mmu_slot_apply_flags() (x86.c), in whatever name the era gives it.
 */
export function eraAnchor(era: Era, id: AnchorId, enableLogFlush?: 'if-write-protected' | 'always'): AnchorId {
  if (id === 'wpMemslotFlush') {
    // An exhaustive switch (variants.ts cannot be imported here: it imports this file).
    switch (enableLogFlush) {
      case 'if-write-protected': return 'wpMemslotFlush';
      case 'always': case undefined: return era.id === 'mainline-2026' ? 'applyFlagsFlushCommon' : 'applyFlagsFlush';
      default: {
        const unknown: never = enableLogFlush;
        throw new Error(`internal: unknown enableLogFlush policy ${JSON.stringify(unknown)}: expected one of if-write-protected, always`);
      }
    }
  }
  return era.anchors[id] ?? id;
}
