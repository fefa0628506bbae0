/** A standalone eager split of a gfn range to 4K (kvm_mmu_slot_try_split_huge_pages over a range). */
import type { EagerSplitFrame } from '../engine/frames';
import type { Machine } from '../engine/machine';
import { advanceSplit, newSplit } from './split';

export function advanceEagerSplit(m: Machine, f: EagerSplitFrame): void {
  switch (f.pc) {
    case 'lock':
      m.state.mmuLockHeld = true;
      f.split = newSplit(m, f.slot, f.gfn, f.gfn + f.npages, 1);
      m.emit(f, { kind: 'lock', anchor: 'trySplitLock', text: 'kvm_mmu_try_split_huge_pages(): write_lock(&kvm->mmu_lock)' });
      f.pc = 'split';
      return;
    case 'split':
      if (advanceSplit(m, f, f.split!)) return;
      m.state.mmuLockHeld = false;
      m.emit(f, { kind: 'unlock', anchor: 'trySplitUnlock', text: 'write_unlock(&kvm->mmu_lock)' });
      f.done = true;
      return;
  }
}
