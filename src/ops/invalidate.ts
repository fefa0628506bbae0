/**
 * An mmu-notifier invalidation of a gfn range (kvm_mmu_notifier_invalidate_range_start ->
 * kvm_unmap_gfn_range): zap the leaf SPTEs the rmaps hold for the range, flush before releasing
 * mmu_lock only if something was zapped, then the host frees the pages. A TLB entry that outlived
 * its SPTE across an earlier lock release is not found here, and so is not flushed.
 */
import { hex } from '../kernel/geometry';
import { ctxNames } from '../mmu/context';
import { kvmFlushRemoteTlbs, skipFlush } from '../mmu/flush';
import { gfnToPfn } from '../mmu/host';
import { gfnToIndex } from '../mmu/rmap';
import { zapAllRmapSptes, type RmapZapResult } from '../mmu/rmap_zap';
import type { InvalidateFrame } from '../model/frames';
import type { Machine } from '../machine/machine';
import { ownMemslot } from '../model/fork';

export function advanceInvalidate(m: Machine, f: InvalidateFrame): void {
  const state = m.state;
  const range = `gfns ${hex(f.gfn)}..${hex(f.gfn + f.npages - 1)}`;
  switch (f.pc) {
    case 'lock':
      state.mmuLockHeld = true;
      // kvm_mmu_invalidate_begin(): mmu_invalidate_in_progress++, the range reset when the count
      // goes from 0 to 1; then (in the handler, under the same lock hold, so no one sees between)
      // kvm_mmu_invalidate_range_add(): the range widened to the hull with this one's.
      if (state.invalidating.length === 0) state.invalidateRange = null;
      state.invalidating.push([f.gfn, f.npages]);
      state.invalidateRange = state.invalidateRange
        ? [Math.min(state.invalidateRange[0], f.gfn), Math.max(state.invalidateRange[1], f.gfn + f.npages)]
        : [f.gfn, f.gfn + f.npages];
      m.emit(f, {
        kind: 'lock', anchor: 'notifierLock', actor: 'kvm',
        text: `mmu-notifier invalidate_range_start for ${range}: kvm_mmu_notifier_invalidate_range_start() raises mn_active_invalidate_count (no slots_lock); ` +
          '__kvm_handle_hva_range(): srcu_read_lock(&kvm->srcu), KVM_MMU_LOCK(kvm), and the invalidation begins (faults on the range retry until it ends)',
      });
      f.pc = 'zap';
      return;
    case 'zap': {
      for (const slot of state.memslots) {
        const lo = Math.max(f.gfn, slot.baseGfn);
        const hi = Math.min(f.gfn + f.npages, slot.baseGfn + slot.npages) - 1;
        if (lo > hi) continue;
        for (let level = 1; level <= 3; level++) {
          const last = gfnToIndex(state, hi, slot.baseGfn, level);
          for (let i = gfnToIndex(state, lo, slot.baseGfn, level); i <= last; i++) {
            // kvm_zap_all_rmap_sptes(): each entry's SPTE cleared, the rmap reset as a whole; no
            // rmap_remove(), so a leaf filed under another gfn than its SP computes leaves cleanly.
            const out: RmapZapResult = { cleared: [], dangling: [] };
            zapAllRmapSptes(m.ctx, slot, level, i, `${ctxNames(m.ctx).zapRmap}()`, out, (spId, idx) => `zap of sp#${spId}[${idx}] by the invalidation`);
            f.zapped += out.cleared.length + out.dangling.length;
          }
        }
      }
      const via = `kvm_unmap_gfn_range() -> ${ctxNames(m.ctx).unmapPath}`;
      m.emit(f, { kind: 'zap', anchor: 'notifierZap', text: f.zapped ? `${via}: ${f.zapped} SPTE${f.zapped === 1 ? '' : 's'} zapped` : `${via}: the rmaps hold no SPTE for ${range}, nothing zapped` });
      f.pc = 'flush';
      return;
    }
    case 'flush':
      if (f.zapped) {
        const rec = kvmFlushRemoteTlbs(m.ctx);
        m.emit(f, { kind: 'flush', anchor: 'notifierFlush', text: `__kvm_handle_hva_range(): something was zapped (flush_on_ret): kvm_flush_remote_tlbs() before KVM_MMU_UNLOCK; ${rec.removed.length ? `removed ${rec.removed.join(', ')}` : 'no TLB entry to remove'}` });
      } else {
        skipFlush(m.ctx, 'kvm_flush_remote_tlbs(kvm)', 'nothing was zapped');
        m.emit(f, { kind: 'flush-skipped', anchor: 'notifierFlush', text: '__kvm_handle_hva_range(): nothing was zapped, so no flush' });
      }
      f.pc = 'unlock';
      return;
    case 'unlock':
      state.mmuLockHeld = false;
      m.emit(f, { kind: 'unlock', anchor: 'notifierUnlock', text: '__kvm_handle_hva_range(): KVM_MMU_UNLOCK(kvm), srcu_read_unlock(&kvm->srcu); the invalidation stays in progress until invalidate_range_end' });
      f.pc = 'free';
      return;
    case 'free': {
      // The host frees the pages; a later fault finds new ones (modelled as fresh pfns).
      for (const slot of state.memslots) {
        const lo = Math.max(f.gfn, slot.baseGfn);
        const hi = Math.min(f.gfn + f.npages, slot.baseGfn + slot.npages);
        for (let g = lo; g < hi; ) {
          const pfn = gfnToPfn(slot, g);
          let run = 1;
          while (g + run < hi && gfnToPfn(slot, g + run) === pfn + run) run++;
          state.freedPfns.push([pfn, pfn + run]);
          g += run;
        }
        if (lo < hi) {
          ownMemslot(state, slot);
          slot.remaps.push({ gfn: lo, npages: hi - lo, pfn: state.nextHostPfn });
          state.nextHostPfn += hi - lo;
        }
      }
      const at = state.invalidating.findIndex(([g, n]) => g === f.gfn && n === f.npages);
      if (at >= 0) state.invalidating.splice(at, 1);
      // kvm_mmu_invalidate_end(): mmu_invalidate_seq++ (the explorer marks its stopped faults:
      // FaultFrame.seqMoved), mmu_invalidate_in_progress--. The range is not narrowed; at zero it is
      // unread until the next begin resets it, so the model forgets it there.
      if (state.invalidating.length === 0) state.invalidateRange = null;
      m.emit(f, {
        kind: 'host-free', anchor: 'hostFree', actor: 'host',
        text: `invalidate_range_end: kvm_mmu_notifier_invalidate_range_end() ends the invalidation under KVM_MMU_LOCK(kvm) and drops mn_active_invalidate_count (a waiting memslot update may go on); the host frees the pages backing ${range}`,
      });
      f.done = true;
      return;
    }
  }
}
