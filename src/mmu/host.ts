/**
 * The host side of a memslot: which pfn backs a gfn, how large a mapping the host backing allows,
 * and which pages have been freed after an mmu-notifier invalidation.
 */
import type { Level } from '../kernel/geometry';
import type { Memslot, MmuState } from '../model/state';

/** pfn backing `gfn` now (after any re-fault of invalidated pages). */
export function gfnToPfn(slot: Memslot, gfn: number): number {
  for (let i = slot.remaps.length - 1; i >= 0; i--) {
    const r = slot.remaps[i];
    if (gfn >= r.gfn && gfn < r.gfn + r.npages) return r.pfn + (gfn - r.gfn);
  }
  return slot.hostPfnBase + (gfn - slot.baseGfn);
}

/**
 * The largest level at which `gfn` may be mapped as far as the host and the memslot go
 * (kvm_mmu_max_mapping_level / lpage_info): the frame lies inside the slot, the host backs it with
 * one page of that size, and no page of it was re-faulted separately or is being taken away now.
 *
 * An invalidation in progress counts from its start, not from its end: the model's invalidation of
 * one page of a huge host page stands for the host splitting its huge mapping and then taking the
 * page (a THP split notifies the whole huge page and leaves 4K host mappings behind; a hugetlb page
 * cannot lose a part), so while it is in progress host_pfn_mapping_level() reads a 4K mapping
 * around the page. Counted only from the end, a fault on another page during the invalidation
 * (which the retry rule lets run: docs/locking.md) would map the whole huge page, the invalidated
 * page's old pfn with it, and reach that pfn after the host freed it: an artefact, not the kernel.
 */
export function hostMaxLevel(state: MmuState, slot: Memslot, gfn: number): Level {
  for (let level = slot.hostLevel; level > 1; level--) {
    const n = state.geo.pages(level);
    const frame = gfn - (gfn % n);
    if (frame < slot.baseGfn || frame + n > slot.baseGfn + slot.npages) continue;
    if ((gfnToPfn(slot, frame) % n) !== 0) continue;
    if (slot.remaps.some((r) => r.gfn < frame + n && r.gfn + r.npages > frame)) continue;
    if (state.invalidating.some(([g, pages]) => g < frame + n && g + pages > frame)) continue;
    return level as Level;
  }
  return 1;
}

export function isPfnFreed(state: MmuState, pfn: number): boolean {
  for (const [s, e] of state.freedPfns) if (pfn >= s && pfn < e) return true;
  return false;
}

/**
 * The gfn whose host page `pfn` is: the inverse of gfnToPfn(). Each host page backs one gfn in the
 * model (memslots' host ranges are disjoint, checked at load, and a re-faulted page comes from above
 * all of them), so the pfn a shadow leaf maps names the gfn the leaf was installed for; -1 if none.
 */
export function pfnToGfn(state: MmuState, pfn: number): number {
  for (const slot of state.memslots) {
    for (let i = slot.remaps.length - 1; i >= 0; i--) {
      const r = slot.remaps[i];
      if (pfn >= r.pfn && pfn < r.pfn + r.npages) return r.gfn + (pfn - r.pfn);
    }
  }
  for (const slot of state.memslots) {
    if (pfn >= slot.hostPfnBase && pfn < slot.hostPfnBase + slot.npages) return slot.baseGfn + (pfn - slot.hostPfnBase);
  }
  return -1;
}
