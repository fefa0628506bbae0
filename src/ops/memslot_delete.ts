/**
 * Deleting a memslot (KVM_SET_USER_MEMORY_REGION with memory_size 0), in the mainline-2026 era with
 * the default KVM_X86_QUIRK_SLOT_ZAP_ALL (and in v6.0/v6.3, which reach the same zap through the
 * page-track notifier, the era's flushShadowMemslot path):
 * kvm_set_memory_region() takes slots_lock; kvm_invalidate_memslot() swaps in a copy of the slot
 * marked KVM_MEMSLOT_INVALID (waiting for mmu-notifier invalidations in progress and for kvm->srcu
 * readers) and calls kvm_arch_flush_shadow_memslot(), i.e. kvm_mmu_zap_all_fast(): under mmu_lock
 * toggle mmu_valid_gen (every SP obsolete), ask every vCPU to drop obsolete roots, zap the obsolete
 * SPs oldest first (kvm_zap_obsolete_pages(): one step each here), then kvm_mmu_commit_zap_page():
 * flush, then free. kvm_delete_memslot() then removes the slot; its rmaps are freed with it,
 * without being walked (whatever entries they still hold go with them). docs/kernel-guest-tables.md
 * section 7 has the sources.
 *
 * With slotZap=memslot (userspace disabled KVM_X86_QUIRK_SLOT_ZAP_ALL; mainline-2026 era only),
 * kvm_arch_flush_shadow_memslot() calls kvm_mmu_zap_memslot() instead: under mmu_lock,
 * kvm_unmap_gfn_range() over the slot's gfns (each rmap of the slot emptied by
 * kvm_zap_all_rmap_sptes(), its leaf SPTEs cleared; a flush is owed if any was), then
 * kvm_mmu_zap_memslot_pages_and_flush(): every valid SP that shadows a guest table at a gfn of the
 * slot is prepared for zapping (one step each), and kvm_mmu_remote_flush_or_zap() commits them
 * (flush, then free) or, with nothing to free, flushes if the unmap owed it. No generation toggle,
 * no root reload: every other SP lives on, direct SPs whose gfn is in the slot included.
 */
import { hex } from '../kernel/geometry';
import { ctxNames } from '../mmu/context';
import { kvmFlushRemoteTlbs } from '../mmu/flush';
import { zapAllRmapSptes, type RmapZapResult } from '../mmu/rmap_zap';
import { commitZapFlush, commitZapFree, describeSp, nextGfnValidSpWithGptes, nextObsoleteSp, prepareZapPage, type PrepareZapResult } from '../mmu/zap';
import { eraConflict, slotZapsMemslotOnly } from '../kernel/variants';
import { ctxEra } from '../mmu/context';
import { ModelInputError } from '../model/errors';
import type { MemslotDeleteFrame } from '../model/frames';
import type { Memslot } from '../model/state';
import type { Machine } from '../machine/machine';

function slotOf(m: Machine, f: MemslotDeleteFrame): Memslot {
  const slot = m.state.memslots.find((s) => s.id === f.slotId);
  if (!slot) throw new ModelInputError(`no memslot with id ${f.slotId}`);
  return slot;
}

function range(slot: Memslot): string {
  return `gfns ${hex(slot.baseGfn)}..${hex(slot.baseGfn + slot.npages - 1)}`;
}

/** slotZap=memslot, after the unmap and after each prepare: the next SP with guest PTEs in the slot, or kvm_mmu_remote_flush_or_zap(). */
function afterSlotZap(m: Machine, f: MemslotDeleteFrame): void {
  const slot = slotOf(m, f);
  if (nextGfnValidSpWithGptes(m.ctx, slot.baseGfn, slot.npages)) f.pc = 'slot-zap';
  else f.pc = f.invalidList.length ? 'commit-flush' : 'remote-flush';
}

/** The prepare step's words, the same for both walks: the leaves dropped, the children zapped with it, a root kept. */
function prepared(sp: { id: number }, r: PrepareZapResult, listName: string): string {
  // r.listed is every SP the recursion put on the invalid list, the SP itself last (when it is
  // not a root kept for its vCPUs): the children are the others.
  const children = r.listed.filter((id) => id !== sp.id);
  const more = children.length ? `, and the children left without a parent, zapped recursively: ${children.map((id) => `sp#${id}`).join(', ')}` : '';
  const kept = r.rootKept ? '; a root still loaded (root_count > 0): marked invalid and kept until its vCPUs drop it' : `; onto ${listName}`;
  return `${r.leaves} leaf SPTE${r.leaves === 1 ? '' : 's'} dropped (drop_spte() -> rmap_remove()), unlinked from its parents${more}${kept}`;
}

/** kvm_unmap_gfn_range() over the whole slot: every rmap of the slot, levels 1 to 3, emptied. */
function unmapSlot(m: Machine, f: MemslotDeleteFrame): RmapZapResult {
  const slot = slotOf(m, f);
  const out: RmapZapResult = { cleared: [], dangling: [] };
  const who = `kvm_mmu_zap_memslot() -> kvm_unmap_gfn_range() -> ${ctxNames(m.ctx).zapRmap}()`;
  for (let level = 1; level <= 3; level++) {
    const heads = slot.rmap[level].head.length;
    for (let i = 0; i < heads; i++) zapAllRmapSptes(m.ctx, slot, level, i, who, out);
  }
  return out;
}

/** After the generation toggle and after each zap: the next obsolete SP, or the commit. */
function afterZap(m: Machine, f: MemslotDeleteFrame): void {
  f.pc = nextObsoleteSp(m.ctx) ? 'zap' : 'commit-flush';
}

export function advanceMemslotDelete(m: Machine, f: MemslotDeleteFrame): void {
  const state = m.state;
  switch (f.pc) {
    case 'slots-lock': {
      const slot = slotOf(m, f);
      m.emit(f, { kind: 'lock', anchor: 'setMemoryRegionLock', actor: 'userspace', text: `KVM_SET_USER_MEMORY_REGION deletes memslot ${slot.id} (${range(slot)}): ${ctxNames(m.ctx).setMemoryRegion}() takes slots_lock for the whole ioctl` });
      f.pc = 'invalidate';
      return;
    }
    case 'invalidate': {
      const slot = slotOf(m, f);
      slot.invalid = true;
      m.emit(f, { kind: 'memslot-delete', anchor: 'memslotInvalidate', text: `kvm_invalidate_memslot(): a copy of memslot ${slot.id} marked KVM_MEMSLOT_INVALID replaces it; kvm_swap_active_memslots() waits for mmu-notifier invalidations in progress and synchronize_srcu_expedited() for every vCPU in kvm->srcu: from here faults on the slot retry` });
      f.pc = 'zap-lock';
      return;
    }
    case 'zap-lock':
      if (slotZapsMemslotOnly(m.ctx.variant)) {
        const conflict = eraConflict(m.ctx.variant, ctxEra(m.ctx));
        if (conflict) throw new ModelInputError(conflict);
        state.mmuLockHeld = true;
        m.emit(f, { kind: 'lock', anchor: 'zapMemslotLock', text: `kvm_invalidate_memslot() -> ${ctxNames(m.ctx).zapMemslot}: write_lock(&kvm->mmu_lock); no generation toggle, no root reload: only what the slot needs is zapped` });
        f.pc = 'unmap';
        return;
      }
      state.mmuLockHeld = true;
      m.emit(f, { kind: 'lock', anchor: 'zapAllFastLock', text: `kvm_invalidate_memslot() -> ${ctxNames(m.ctx).flushShadowMemslot}: write_lock(&kvm->mmu_lock)` });
      f.pc = 'gen';
      return;
    case 'unmap': {
      const slot = slotOf(m, f);
      const r = unmapSlot(m, f);
      f.unmapFlush = r.cleared.length > 0;
      const what = r.cleared.length
        ? `${r.cleared.length} leaf SPTE${r.cleared.length === 1 ? '' : 's'} cleared (${r.cleared.map((p) => `sp#${Math.floor(p / m.geo.entries)}[${p % m.geo.entries}]`).join(', ')}), each rmap emptied as a whole (no rmap_remove()); a flush is owed`
        : 'the slot\'s rmaps hold no live SPTE; no flush owed';
      const dangling = r.dangling.length ? `; ${r.dangling.length} entr${r.dangling.length === 1 ? 'y' : 'ies'} into freed SPs dropped with their rmaps` : '';
      m.emit(f, { kind: 'zap', anchor: 'zapMemslotUnmap', text: `kvm_mmu_zap_memslot(): kvm_unmap_gfn_range() over memslot ${slot.id} (${range(slot)}) -> ${ctxNames(m.ctx).unmapPath}: ${what}${dangling}` });
      afterSlotZap(m, f);
      return;
    }
    case 'slot-zap': {
      const slot = slotOf(m, f);
      const sp = nextGfnValidSpWithGptes(m.ctx, slot.baseGfn, slot.npages)!;
      const r = prepareZapPage(m.ctx, sp, f.invalidList);
      f.zapped++;
      m.emit(f, {
        kind: 'zap-sp', anchor: 'zapMemslotPrepare',
        text: `kvm_mmu_zap_memslot_pages_and_flush(): for_each_gfn_valid_sp_with_gptes() at gfn ${hex(sp.gfn)} of memslot ${slot.id}: kvm_mmu_prepare_zap_page(${describeSp(sp)}): ${prepared(sp, r, 'invalid_list')}`,
      });
      afterSlotZap(m, f);
      return;
    }
    case 'remote-flush': {
      // kvm_mmu_remote_flush_or_zap() with an empty list: a flush only if the unmap owed one.
      if (f.unmapFlush) {
        const rec = kvmFlushRemoteTlbs(m.ctx);
        m.emit(f, { kind: 'flush', anchor: 'flushOrZapFlush', text: `kvm_mmu_zap_memslot_pages_and_flush() -> kvm_mmu_remote_flush_or_zap(): no SP to free, the unmap's flush is owed: kvm_flush_remote_tlbs(); ${rec.removed.length ? `removed ${rec.removed.join(', ')}` : 'no TLB entry to remove'}` });
      } else {
        m.emit(f, { kind: 'note', anchor: 'flushOrZapNone', text: 'kvm_mmu_zap_memslot_pages_and_flush() -> kvm_mmu_remote_flush_or_zap(): nothing zapped, no SP to free: no flush' });
      }
      f.pc = 'zap-unlock';
      return;
    }
    case 'gen': {
      state.mmuValidGen = state.mmuValidGen ? 0 : 1;
      // kvm_make_all_cpus_request(KVM_REQ_MMU_FREE_OBSOLETE_ROOTS): every vCPU drops its obsolete root before it next enters the guest.
      for (const v of state.vcpus) v.reloadPending = true;
      m.emit(f, { kind: 'zap', anchor: 'zapAllFastGen', text: `kvm_mmu_zap_all_fast(): mmu_valid_gen toggled to ${state.mmuValidGen}: every shadow page is obsolete; KVM_REQ_MMU_FREE_OBSOLETE_ROOTS to every vCPU` });
      afterZap(m, f);
      return;
    }
    case 'zap': {
      const sp = nextObsoleteSp(m.ctx)!;
      const r = prepareZapPage(m.ctx, sp, f.invalidList);
      f.zapped++;
      m.emit(f, { kind: 'zap-sp', anchor: 'zapObsoletePrepare', text: `kvm_zap_obsolete_pages(): __kvm_mmu_prepare_zap_page(${describeSp(sp)}): ${prepared(sp, r, 'zapped_obsolete_pages')}` });
      afterZap(m, f);
      return;
    }
    case 'commit-flush': {
      const rec = commitZapFlush(m.ctx, f.invalidList);
      if (rec) {
        const via = slotZapsMemslotOnly(m.ctx.variant) ? 'kvm_mmu_zap_memslot_pages_and_flush() -> kvm_mmu_remote_flush_or_zap(): the list is not empty, so ' : '';
        m.emit(f, { kind: 'flush', anchor: 'commitZapFlush', text: `${via}kvm_mmu_commit_zap_page(): ${f.invalidList.length} SP${f.invalidList.length === 1 ? '' : 's'} to free: kvm_flush_remote_tlbs() first (kicks every vCPU out of a lockless walk); ${rec.removed.length ? `removed ${rec.removed.join(', ')}` : 'no TLB entry to remove'}` });
        f.pc = 'commit-free';
      } else {
        m.emit(f, { kind: 'note', anchor: 'commitZapFlush', text: 'kvm_mmu_commit_zap_page(): the list is empty: no flush, nothing to free' });
        f.pc = 'zap-unlock';
      }
      return;
    }
    case 'commit-free': {
      const freed = commitZapFree(m.ctx, f.invalidList);
      m.emit(f, { kind: 'free-sp', anchor: 'commitZapFree', text: `kvm_mmu_commit_zap_page(): kvm_mmu_free_shadow_page() of ${freed.map((id) => `sp#${id}`).join(', ')}: off the hash and active_mmu_pages, their pages freed` });
      f.pc = 'zap-unlock';
      return;
    }
    case 'zap-unlock':
      state.mmuLockHeld = false;
      if (slotZapsMemslotOnly(m.ctx.variant)) m.emit(f, { kind: 'unlock', anchor: 'zapMemslotUnlock', text: 'kvm_mmu_zap_memslot(): write_unlock(&kvm->mmu_lock); slots_lock stays held' });
      else m.emit(f, { kind: 'unlock', anchor: 'zapAllFastUnlock', text: 'kvm_mmu_zap_all_fast(): write_unlock(&kvm->mmu_lock); slots_lock stays held' });
      f.pc = 'delete';
      return;
    case 'delete': {
      const slot = slotOf(m, f);
      let left = 0;
      for (let level = 1; level <= 3; level++) {
        const r = slot.rmap[level];
        for (let i = 0; i < r.head.length; i++) if (r.head[i]) left += 1 + (r.more.get(i)?.length ?? 0);
      }
      state.memslots = state.memslots.filter((s) => s !== slot);
      m.emit(f, { kind: 'memslot-delete', anchor: 'memslotDelete', text: `kvm_delete_memslot(): memslot ${slot.id} leaves the memslots (kvm_activate_memslot() swaps again, waiting for kvm->srcu readers) and kvm_free_memslot() frees its rmaps${left ? `, still holding ${left} entr${left === 1 ? 'y' : 'ies'}, unwalked` : ''}` });
      f.pc = 'slots-unlock';
      return;
    }
    case 'slots-unlock':
      m.emit(f, { kind: 'op-end', anchor: 'setMemoryRegionUnlock', actor: 'userspace', text: `KVM_SET_USER_MEMORY_REGION returns: ${ctxNames(m.ctx).setMemoryRegion}() releases slots_lock` });
      f.done = true;
      return;
  }
}
