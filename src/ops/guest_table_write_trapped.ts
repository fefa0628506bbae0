/**
 * A write of a guest page-table entry by the guest itself (by: "guest"), the kernel's way
 * (docs/kernel-guest-tables.md section 8 has the sources):
 *
 * - While an indirect SP of level > 1 shadows the table's gfn, account_shadowed() has made the gfn
 *   write-tracked (__kvm_write_track_add_gfn(); kvm_slot_page_track_add_page() before the 2023
 *   rename), so the guest's store faults and kvm_mmu_page_fault() hands it to the emulator
 *   (x86_emulate_instruction()). The emulator writes guest memory first (emulator_write_phys():
 *   kvm_vcpu_write_guest()) and only then calls kvm_page_track_write(), whose MMU hook
 *   (kvm_mmu_track_write(), kvm_mmu_pte_write() in v6.0/v6.3) takes mmu_lock and, in every valid SP
 *   with gptes at that gfn (for_each_gfn_valid_sp_with_gptes()), zaps the SPTE at the written index
 *   (mmu_page_zap_pte(..., NULL): a leaf through drop_spte() -> rmap_remove(), a link through
 *   drop_parent_pte(); with no invalid_list the child left without a parent is not zapped), then
 *   kvm_mmu_remote_flush_or_zap(): a flush if a zapped SPTE was present. Between the memory write
 *   and write_lock() no lock is held: a fault by another vCPU can walk the new entry there.
 * - Not write-tracked (no such SP): the store is a plain store; guest memory changes as with the
 *   VMM's write and no KVM code runs.
 *
 * Left out (docs/kernel-guest-tables.md section 8): the write-flooding counter and misaligned
 * writes (both zap the whole SP instead), the emulator's unprotect-and-retry, and level-1 tables
 * (not write-tracked: KVM unsyncs their SPs; the scenario reader refuses such a write).
 */
import { hex } from '../kernel/geometry';
import { isLastSpte, isShadowPresent } from '../kernel/spte';
import { ctxNames } from '../mmu/context';
import { describeGuestPte, NOT_PRESENT } from '../mmu/guest_walk';
import { spUsable } from '../mmu/shadow_page';
import { kvmFlushRemoteTlbs, noteUnmap } from '../mmu/flush';
import { describeSp, mmuPageZapPte, type PrepareZapResult } from '../mmu/zap';
import { ModelInputError } from '../model/errors';
import type { GuestTableWriteFrame } from '../model/frames';
import type { KvmMmuPage, MmuState } from '../model/state';
import type { Machine } from '../machine/machine';
import { withGuestPte } from '../scenario/guest_tables';

/**
 * kvm_gfn_is_write_tracked(): account_shadowed() counts every indirect SP of level > 1 at its gfn
 * until __kvm_mmu_prepare_zap_page() unaccounts it (the moment it sets role.invalid). An obsolete
 * SP not yet zapped still counts; a level-1 SP is write-protected but not tracked.
 */
export function isWriteTracked(state: MmuState, gfn: number): boolean {
  return state.sps.some((sp) => !sp.role.direct && sp.role.level > 1 && !sp.invalid && sp.gfn === gfn);
}

/** kvm->arch.indirect_shadow_pages != 0: some indirect SP is accounted (any level). */
function hasIndirectShadowPages(state: MmuState): boolean {
  return state.sps.some((sp) => !sp.role.direct && !sp.invalid);
}

/** for_each_gfn_valid_sp_with_gptes(kvm, sp, gfn) from after `cursor`: hashed, not obsolete, indirect, that gfn. */
export function nextShadowingSp(state: MmuState, gfn: number, cursor: number): KvmMmuPage | undefined {
  for (let id = cursor + 1; id < state.sps.length; id++) {
    const sp = state.sps[id];
    if (!sp.role.direct && sp.gfn === gfn && spUsable(state, sp)) return sp;
  }
  return undefined;
}

function writeMemory(m: Machine, f: GuestTableWriteFrame): string {
  const table = m.state.guestMemory.get(f.table);
  if (!table) throw new ModelInputError(`gfn ${hex(f.table)} holds no guest page table`);
  const old = table.entries.get(f.index) ?? NOT_PRESENT;
  // Tables are replaced, never changed in place: a cloned state shares them (state.ts).
  m.state.guestMemory = withGuestPte(m.state.guestMemory, f.table, f.index, { ...f.entry });
  return `entry ${f.index} of the level-${table.level} guest table at gfn ${hex(f.table)}: ${describeGuestPte(old)} -> ${describeGuestPte(f.entry)}`;
}

export function advanceGuestTableWriteTrapped(m: Machine, f: GuestTableWriteFrame): void {
  const state = m.state;
  const vcpu = f.vcpu ?? 0;
  const hook = ctxNames(m.ctx).trackWrite;
  switch (f.pc) {
    case 'trap': {
      if (!isWriteTracked(state, f.table)) {
        const level1 = nextShadowingSp(state, f.table, -1);
        // Only a level-1 SP can shadow an untracked gfn: KVM would unsync it (mmu_try_to_unsync_pages()).
        if (level1) throw new ModelInputError(`gfn ${hex(f.table)} is shadowed by ${describeSp(level1)}, a level-1 SP: a guest write there is not write-tracked and KVM unsyncs the SP (mmu_try_to_unsync_pages()), which the model does not model`);
        const what = writeMemory(m, f);
        m.emit(f, { kind: 'guest-table-write', anchor: 'guestStore', actor: 'guest', vcpu, text: `vCPU ${vcpu} (the guest) writes ${what}: no indirect SP shadows gfn ${hex(f.table)}, so it is not write-tracked and the store goes through its own mapping; no trap, no lock, no SPTE changes (KVM sees it at the next guest walk)` });
        f.done = true;
        return;
      }
      m.emit(f, { kind: 'note', anchor: 'trackTrap', vcpu, text: `vCPU ${vcpu} (the guest) stores to entry ${f.index} of its guest table at gfn ${hex(f.table)}: the gfn is write-tracked (an indirect SP of level > 1 shadows it, account_shadowed()), so the store faults and kvm_mmu_page_fault() hands it to x86_emulate_instruction()` });
      f.pc = 'write';
      return;
    }
    case 'write': {
      const what = writeMemory(m, f);
      m.emit(f, { kind: 'guest-table-write', anchor: 'trackWriteGuest', vcpu, text: `emulator_write_phys(): kvm_vcpu_write_guest() writes ${what}; no lock is held until kvm_page_track_write() -> ${hook}() takes mmu_lock` });
      f.pc = 'lock';
      return;
    }
    case 'lock': {
      if (!hasIndirectShadowPages(state)) {
        m.emit(f, { kind: 'note', anchor: 'trackWriteLock', vcpu, text: `${hook}(): kvm->arch.indirect_shadow_pages is 0 (every indirect SP went since the trap): it returns without taking mmu_lock` });
        f.done = true;
        return;
      }
      state.mmuLockHeld = true;
      f.spCursor = -1;
      f.flush = false;
      f.zapped = 0;
      m.emit(f, { kind: 'lock', anchor: 'trackWriteLock', vcpu, text: `kvm_page_track_write() -> ${hook}(): write_lock(&vcpu->kvm->mmu_lock)` });
      f.pc = nextShadowingSp(state, f.table, -1) ? 'zap' : 'flush';
      return;
    }
    case 'zap': {
      const sp = nextShadowingSp(state, f.table, f.spCursor ?? -1)!;
      f.spCursor = sp.id;
      const flags = sp.flags[f.index];
      const present = isShadowPresent(flags);
      const child = present && !isLastSpte(flags, sp.role.level) ? state.sps[sp.target[f.index]] : undefined;
      const out: PrepareZapResult = { listed: [], leaves: 0, rootKept: false };
      // Only a direct child's range is what its subtree mapped; the flush below covers it.
      if (child?.role.direct) noteUnmap(m.ctx, child.gfn, state.geo.pages(sp.role.level), `unlink of sp#${child.id} from sp#${sp.id}[${f.index}] by a trapped guest write`);
      mmuPageZapPte(m.ctx, sp, f.index, null, out);
      if (present) f.flush = true;
      f.zapped = (f.zapped ?? 0) + 1;
      const did = !present ? 'not present: nothing to zap'
        : child ? `a link to sp#${child.id}: drop_parent_pte() clears it (no invalid_list: sp#${child.id} stays, ${child.parentPtes.length ? 'still linked elsewhere' : 'now without a parent'})`
          : 'a leaf: drop_spte() -> rmap_remove() takes it off its rmap';
      m.emit(f, { kind: present ? 'drop-spte' : 'note', anchor: 'trackWriteZap', vcpu, text: `${hook}(): for_each_gfn_valid_sp_with_gptes(): ${describeSp(sp)}: mmu_page_zap_pte() of sp#${sp.id}[${f.index}], ${did}` });
      f.pc = nextShadowingSp(state, f.table, sp.id) ? 'zap' : 'flush';
      return;
    }
    case 'flush': {
      if (f.flush) {
        const rec = kvmFlushRemoteTlbs(m.ctx, 'kvm_mmu_remote_flush_or_zap(kvm, &invalid_list, true)');
        m.emit(f, { kind: 'flush', anchor: 'trackWriteFlush', vcpu, text: `${hook}(): a zapped SPTE was present: kvm_mmu_remote_flush_or_zap() with an empty invalid_list -> kvm_flush_remote_tlbs(); ${rec.removed.length ? `removed ${rec.removed.join(', ')}` : 'no TLB entry to remove'}` });
      } else {
        m.emit(f, { kind: 'note', anchor: 'trackWriteFlush', vcpu, text: `${hook}(): ${f.zapped ? 'no zapped SPTE was present' : `no valid SP with gptes at gfn ${hex(f.table)}`} and invalid_list is empty: kvm_mmu_remote_flush_or_zap() does nothing` });
      }
      f.pc = 'unlock';
      return;
    }
    case 'unlock':
      state.mmuLockHeld = false;
      m.emit(f, { kind: 'unlock', anchor: 'trackWriteUnlock', vcpu, text: `${hook}(): write_unlock(&vcpu->kvm->mmu_lock); the emulated store retires and vCPU ${vcpu} re-enters the guest` });
      f.done = true;
      return;
  }
}

