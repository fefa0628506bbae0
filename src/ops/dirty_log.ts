/**
 * The dirty-logging ioctls, one step per statement that matters:
 * - enabling logging on a memslot (kvm_mmu_slot_apply_flags): eager split unless initially-set,
 *   then write-protect, then the memslot flush after mmu_lock is released;
 * - KVM_CLEAR_DIRTY_LOG (kvm_clear_dirty_log_protect): per 64-page word of the bitmap, clear the
 *   bits and call kvm_arch_mmu_enable_log_dirty_pt_masked() (eager split of the huge pages over the
 *   range when initially-set, then write-protect), and after the lock the memslot flush if any bit
 *   was really cleared;
 * - KVM_GET_DIRTY_LOG (kvm_get_dirty_log_protect): harvest, and in classic mode write-protect what
 *   was harvested and flush after the lock.
 * The callers' flushes are steps of their own after the release: an invalidation can run between.
 */
import { hex } from '../kernel/geometry';
import { enableLogAlwaysFlushes } from '../kernel/variants';
import { ctxNames } from '../mmu/context';
import { kvmFlushRemoteTlbsWithAddress, skipFlush } from '../mmu/flush';
import { gfnToIndex } from '../mmu/rmap';
import type { Memslot } from '../model/state';
import type { Violation } from '../model/step';
import type { ClearLogFrame, EnableLogFrame, GetLogFrame, OpFrame } from '../model/frames';
import type { Machine } from '../machine/machine';
import { advanceSplit, newSplit } from './split';
import { gfnWriteProtect, rmapWriteProtect, slotWriteProtect } from './write_protect';
import { ownMemslot } from '../model/fork';

/** BITS_PER_LONG: the dirty bitmap is handled a word of 64 pages at a time. */
export const BITS_PER_LONG = 64;

/**
 * The memslot flush a dirty-log ioctl does after KVM_MMU_UNLOCK, still under slots_lock (the flush
 * helper asserts it). `caller` is the statement's function and argument in the kernel: the
 * enable path's is kvm_mmu_slot_remove_write_access() before b64d740ea7dd and
 * kvm_mmu_slot_apply_flags() after it.
 */
function memslotFlush(m: Machine, op: OpFrame, slot: Memslot, flush: boolean, anchor: 'wpMemslotFlush' | 'clearFlush' | 'getLogFlush', caller: string, arg: string, skipReason: string): void {
  const n = ctxNames(m.ctx);
  const call = `${n.memslotFlush}(kvm, ${arg}) -> ${n.rangeFlush}(kvm, ${hex(slot.baseGfn)}, ${slot.npages})`;
  if (flush) {
    const rec = kvmFlushRemoteTlbsWithAddress(m.ctx, slot.baseGfn, slot.npages, call);
    m.emit(op, { kind: 'flush', anchor, text: `${caller}, after the mmu_lock release and under slots_lock: ${call}; ${rec.removed.length ? `removed ${rec.removed.join(', ')}` : 'no TLB entry to remove'}` });
  } else {
    skipFlush(m.ctx, call, skipReason, { gfn: slot.baseGfn, pages: slot.npages });
    m.emit(op, { kind: 'flush-skipped', anchor, text: `${caller}: no memslot flush: ${skipReason}` });
  }
}

function lock(m: Machine, op: OpFrame, anchor: 'trySplitLock' | 'wpLock' | 'clearLock' | 'getLogLock', text: string): void {
  m.state.mmuLockHeld = true;
  m.emit(op, { kind: 'lock', anchor, text });
}

function unlock(m: Machine, op: OpFrame, anchor: 'trySplitUnlock' | 'wpUnlock' | 'clearUnlock' | 'getLogUnlock', text: string): void {
  m.state.mmuLockHeld = false;
  m.emit(op, { kind: 'unlock', anchor, text });
}

/** The ioctl returns: its caller releases slots_lock (the lock table's last step of every memslot ioctl). */
function opEnd(m: Machine, op: OpFrame, anchor: 'setMemoryRegionUnlock' | 'clearIoctlUnlock' | 'getLogIoctlUnlock', text: string): void {
  m.checkPermissionsAtOpEnd(op);
  m.emit(op, { kind: 'op-end', anchor, actor: 'userspace', text });
  op.done = true;
}

export function advanceEnableLog(m: Machine, f: EnableLogFrame): void {
  const state = m.state;
  const slot = state.memslots[f.slot];
  switch (f.pc) {
    case 'flags': {
      slot.logDirty = true;
      slot.manualProtect = f.manualProtect;
      slot.initiallySet = f.initiallySet;
      ownMemslot(state, slot);
      slot.dirtyBitmap.fill(f.initiallySet ? 1 : 0);
      const mode = f.manualProtect ? `manual-protect${f.initiallySet ? ', initially-set' : ''}` : 'classic';
      m.emit(f, {
        kind: 'memslot-flags', anchor: 'memslotFlags', actor: 'userspace',
        text: `KVM_SET_USER_MEMORY_REGION: KVM_MEM_LOG_DIRTY_PAGES on slot ${slot.id} (${mode}); ${ctxNames(m.ctx).setMemoryRegion}() takes slots_lock for the whole ioctl; ` +
          `kvm_set_memslot() installs the new memslot (kvm_swap_active_memslots(): no mmu-notifier invalidation in progress, then synchronize_srcu_expedited()), ` +
          `then kvm_commit_memory_region() -> kvm_mmu_slot_apply_flags(); dirty bitmap all ${f.initiallySet ? 'ones' : 'zeros'}`,
      });
      f.pc = f.manualProtect && f.initiallySet ? 'init-set' : 'split-lock';
      return;
    }
    case 'init-set':
      m.emit(f, { kind: 'note', anchor: 'applyFlagsInitSet', text: 'kvm_mmu_slot_apply_flags(): initially-set, so nothing is split or write-protected now; KVM_CLEAR_DIRTY_LOG will do it range by range' });
      f.pc = 'end';
      return;
    case 'split-lock':
      f.split = newSplit(m, f.slot, slot.baseGfn, slot.baseGfn + slot.npages, 1);
      lock(m, f, 'trySplitLock', 'kvm_mmu_slot_try_split_huge_pages(): eager_page_split and kvm_memslots_have_rmaps(), so write_lock(&kvm->mmu_lock) for kvm_shadow_mmu_try_split_huge_pages()');
      f.pc = 'split';
      return;
    case 'split':
      if (advanceSplit(m, f, f.split!)) return;
      unlock(m, f, 'trySplitUnlock', 'kvm_mmu_slot_try_split_huge_pages(): write_unlock(&kvm->mmu_lock) (the TDP MMU\'s split under read_lock() follows, not modelled); no flush here: the write-protection that follows flushes');
      f.pc = 'wp-lock';
      return;
    case 'wp-lock':
      lock(m, f, 'wpLock', 'kvm_mmu_slot_remove_write_access(): kvm_memslots_have_rmaps(), so write_lock(&kvm->mmu_lock)');
      f.pc = 'wp';
      return;
    case 'wp': {
      const changed = slotWriteProtect(m, f, slot);
      f.writeProtected = changed > 0;
      m.emit(f, { kind: 'write-protect', anchor: 'wpRmap', text: `${ctxNames(m.ctx).slotWalker}(slot_rmap_write_protect, 4K..1G): ${changed} SPTE${changed === 1 ? '' : 's'} write-protected` });
      f.pc = 'wp-unlock';
      return;
    }
    case 'wp-unlock':
      unlock(m, f, 'wpUnlock', 'kvm_mmu_slot_remove_write_access(): write_unlock(&kvm->mmu_lock)');
      f.pc = 'wp-flush';
      return;
    case 'wp-flush': {
      const always = enableLogAlwaysFlushes(m.ctx.variant);
      const caller = always ? 'kvm_mmu_slot_apply_flags() flushes unconditionally' : 'kvm_mmu_slot_remove_write_access()';
      memslotFlush(m, f, slot, always || f.writeProtected, 'wpMemslotFlush', caller, always ? 'new' : 'memslot', 'no SPTE was write-protected');
      f.pc = 'end';
      return;
    }
    case 'end':
      // Userspace copies all of memory once logging is on: every gfn counts as protected now.
      for (const g of [...state.writtenSinceProtect]) if (g >= slot.baseGfn && g < slot.baseGfn + slot.npages) state.writtenSinceProtect.delete(g);
      opEnd(m, f, 'setMemoryRegionUnlock', `KVM_SET_USER_MEMORY_REGION returns: ${ctxNames(m.ctx).setMemoryRegion}() releases slots_lock; dirty logging is on`);
      return;
  }
}

/** Index of the first of the ascending `gfns` at or above `g` (binary search). */
function firstAtOrAbove(gfns: readonly number[], g: number): number {
  let lo = 0;
  let hi = gfns.length;
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (gfns[mid] < g) lo = mid + 1; else hi = mid;
  }
  return lo;
}

/**
 * Gfns of word `w` of a clear request. The gfns ascend (clearGfns()), so a word's are found by
 * binary search: a filter of every gfn for every word was quadratic in the range (2^18 pages, 4,096
 * words of 2^18 gfns each).
 */
function wordGfns(f: ClearLogFrame, w: number): number[] {
  const lo = f.first + w * BITS_PER_LONG;
  return f.gfns.slice(firstAtOrAbove(f.gfns, lo), firstAtOrAbove(f.gfns, lo + BITS_PER_LONG));
}

/** A clear's gfns in ascending order, as wordGfns() needs (the reader's already are: no copy then). */
export function clearGfns(gfns: readonly number[]): number[] {
  for (let i = 1; i < gfns.length; i++) if (gfns[i] <= gfns[i - 1]) return [...new Set(gfns)].sort((a, b) => a - b);
  return gfns as number[];
}

export function advanceClearLog(m: Machine, f: ClearLogFrame): void {
  const state = m.state;
  const slot = state.memslots[f.slot];
  const words = Math.ceil(((f.gfns.length ? f.gfns[f.gfns.length - 1] : f.first) - f.first + 1) / BITS_PER_LONG);
  for (;;) {
    switch (f.pc) {
      case 'lock':
        lock(m, f, 'clearLock', `KVM_CLEAR_DIRTY_LOG of ${f.gfns.length} gfns from ${hex(f.first)}: kvm_vm_ioctl_clear_dirty_log() takes slots_lock for the whole ioctl; kvm_clear_dirty_log_protect(): KVM_MMU_LOCK(kvm), held across every word`);
        f.pc = 'word';
        return;
      case 'word': {
        if (f.word >= words) { f.pc = 'unlock'; continue; }
        const asked = wordGfns(f, f.word);
        if (asked.length === 0) { f.word++; continue; }
        const cleared = asked.filter((g) => slot.dirtyBitmap[g - slot.baseGfn] === 1);
        ownMemslot(m.state, slot);
        for (const g of asked) slot.dirtyBitmap[g - slot.baseGfn] = 0;
        f.mask = cleared;
        if (cleared.length === 0) {
          m.emit(f, { kind: 'dirty-bitmap', anchor: 'clearMask', actor: 'kvm', text: `word ${hex(f.first + f.word * BITS_PER_LONG)}: none of the ${asked.length} bits was set, nothing to protect` });
          f.word++;
          return;
        }
        f.flush = true;
        const split = slot.manualProtect && slot.initiallySet;
        m.emit(f, {
          kind: 'dirty-bitmap', anchor: 'clearMask',
          text: `word ${hex(f.first + f.word * BITS_PER_LONG)}: atomic_long_fetch_andnot() clears ${cleared.length} dirty bit${cleared.length === 1 ? '' : 's'} (${hex(cleared[0])}..${hex(cleared[cleared.length - 1])}), flush = true; kvm_arch_mmu_enable_log_dirty_pt_masked()` +
            (split ? ': initially-set, so kvm_mmu_try_split_huge_pages() first, under the mmu_lock already held (it takes none)' : ''),
        });
        f.pc = split ? 'split-start' : 'wp';
        return;
      }
      case 'split-start': {
        const start = f.mask[0];
        const end = f.mask[f.mask.length - 1];
        f.split = newSplit(m, f.slot, start, end + 1, 1);
        f.pc = 'split';
        continue;
      }
      case 'split':
        if (advanceSplit(m, f, f.split!)) return;
        f.pc = 'wp';
        continue;
      case 'wp': {
        let changed = 0;
        const start = f.mask[0];
        const end = f.mask[f.mask.length - 1];
        if (slot.manualProtect && slot.initiallySet) {
          changed += gfnWriteProtect(m, f, slot, start, 2);
          if (m.geo.round(start, 2) !== m.geo.round(end, 2)) changed += gfnWriteProtect(m, f, slot, end, 2);
        }
        for (const g of f.mask) changed += rmapWriteProtect(m, f, slot, 1, gfnToIndex(state, g, slot.baseGfn, 1));
        m.emit(f, { kind: 'write-protect', anchor: 'maskedWp4k', text: `${slot.initiallySet ? 'kvm_mmu_slot_gfn_write_protect(2M+) and ' : ''}kvm_mmu_write_protect_pt_masked(): ${f.mask.length} gfns, ${changed === 0 ? 'no SPTE found to write-protect' : `${changed} SPTE${changed === 1 ? '' : 's'} write-protected`}` });
        f.word++;
        f.pc = 'word';
        return;
      }
      case 'unlock':
        unlock(m, f, 'clearUnlock', 'kvm_clear_dirty_log_protect(): KVM_MMU_UNLOCK(kvm); slots_lock stays held, the memslot flush is still to come');
        f.pc = 'flush';
        return;
      case 'flush':
        memslotFlush(m, f, slot, f.flush, 'clearFlush', 'kvm_clear_dirty_log_protect()', 'memslot', 'no dirty bit was actually cleared');
        f.pc = 'end';
        return;
      case 'end':
        for (const g of f.gfns) state.writtenSinceProtect.delete(g);
        opEnd(m, f, 'clearIoctlUnlock', 'KVM_CLEAR_DIRTY_LOG returns: kvm_vm_ioctl_clear_dirty_log() releases slots_lock; userspace will copy the cleared pages on their next harvest');
        return;
    }
  }
}

function lostDirtyPages(m: Machine, f: GetLogFrame, harvested: (gfn: number) => boolean): void {
  for (const gfn of f.mustHarvest) {
    if (harvested(gfn)) continue;
    const w = m.state.lastWrite.get(gfn);
    const cause = m.staleCause(gfn);
    const v: Violation = {
      kind: 'lost-dirty-page', vcpu: w ? w.vcpu : -1, gfn, step: m.ctx.stepIndex,
      message: `gfn ${hex(gfn)} was written${w ? ` at step ${w.step} by vCPU ${w.vcpu}${w.tlbEntry !== null ? ` through tlb#${w.tlbEntry}` : ''}` : ''} but its dirty bit is not in the harvest` +
        (cause.staleSince !== undefined ? `; the translation went stale at step ${cause.staleSince} (${cause.what})` : '') +
        (cause.skippedFlush !== undefined ? `; the flush at step ${cause.skippedFlush} was skipped` : ''),
    };
    if (cause.staleSince !== undefined) v.staleSince = cause.staleSince;
    if (cause.skippedFlush !== undefined) v.skippedFlush = cause.skippedFlush;
    m.violate(v, `lost:${gfn}:${f.opIndex}`);
  }
}

export function advanceGetLog(m: Machine, f: GetLogFrame): void {
  const state = m.state;
  const slot = state.memslots[f.slot];
  const words = Math.ceil(slot.npages / BITS_PER_LONG);
  for (;;) {
    switch (f.pc) {
      case 'start':
        f.mustHarvest = [...state.writtenSinceProtect].filter((g) => g >= slot.baseGfn && g < slot.baseGfn + slot.npages).sort((a, b) => a - b);
        if (slot.manualProtect) {
          let n = 0;
          for (let i = 0; i < slot.npages; i++) n += slot.dirtyBitmap[i];
          f.harvestedCount = n;
          lostDirtyPages(m, f, (gfn) => slot.dirtyBitmap[gfn - slot.baseGfn] === 1);
          m.emit(f, { kind: 'harvest', anchor: 'getLogCopy', actor: 'userspace', text: `KVM_GET_DIRTY_LOG (manual-protect): kvm_vm_ioctl_get_dirty_log() takes slots_lock; kvm_get_dirty_log_protect() copies ${n} dirty gfns out without mmu_lock, bitmap left as is` });
          f.pc = 'end';
          return;
        }
        lock(m, f, 'getLogLock', 'KVM_GET_DIRTY_LOG: kvm_vm_ioctl_get_dirty_log() takes slots_lock for the whole ioctl; kvm_get_dirty_log_protect(): KVM_MMU_LOCK(kvm)');
        f.pc = 'word';
        return;
      case 'word': {
        while (f.word < words) {
          const lo = f.word * BITS_PER_LONG;
          let any = false;
          for (let i = lo; i < Math.min(lo + BITS_PER_LONG, slot.npages); i++) if (slot.dirtyBitmap[i]) { any = true; break; }
          if (any) break;
          f.word++;
        }
        if (f.word >= words) {
          const harvested = new Set(f.harvested);
          lostDirtyPages(m, f, (gfn) => harvested.has(gfn));
          f.pc = 'unlock';
          continue;
        }
        const lo = f.word * BITS_PER_LONG;
        const mask: number[] = [];
        for (let i = lo; i < Math.min(lo + BITS_PER_LONG, slot.npages); i++) {
          if (slot.dirtyBitmap[i]) { ownMemslot(m.state, slot); mask.push(slot.baseGfn + i); slot.dirtyBitmap[i] = 0; }
        }
        for (const g of mask) f.harvested.push(g);
        f.harvestedCount += mask.length;
        f.flush = true;
        let changed = 0;
        for (const g of mask) changed += rmapWriteProtect(m, f, slot, 1, gfnToIndex(state, g, slot.baseGfn, 1));
        m.emit(f, { kind: 'harvest', anchor: 'getLogHarvest', text: `word ${hex(slot.baseGfn + lo)}: xchg() harvests ${mask.length} dirty gfn${mask.length === 1 ? '' : 's'}; kvm_mmu_write_protect_pt_masked(): ${changed} SPTE${changed === 1 ? '' : 's'} write-protected` });
        f.word++;
        return;
      }
      case 'unlock':
        unlock(m, f, 'getLogUnlock', 'kvm_get_dirty_log_protect(): KVM_MMU_UNLOCK(kvm); slots_lock stays held through the memslot flush');
        f.pc = 'flush';
        return;
      case 'flush':
        memslotFlush(m, f, slot, f.flush, 'getLogFlush', 'kvm_get_dirty_log_protect()', 'memslot', 'the bitmap was empty');
        f.pc = 'end';
        return;
      case 'end':
        // Classic mode re-protects what it harvested; manual-protect waits for KVM_CLEAR_DIRTY_LOG.
        if (!slot.manualProtect) for (const g of f.harvested) state.writtenSinceProtect.delete(g);
        opEnd(m, f, 'getLogIoctlUnlock', `KVM_GET_DIRTY_LOG returns ${f.harvestedCount} dirty gfns: kvm_vm_ioctl_get_dirty_log() releases slots_lock`);
        return;
    }
  }
}
