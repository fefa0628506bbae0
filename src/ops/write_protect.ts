/**
 * rmap_write_protect(rmap_head, pt_protect = false) as the dirty-log paths call it: clear the
 * writable bit of every SPTE in one rmap (mmu-writable stays, so the next write takes the fast
 * path and marks the page dirty). Records what it reduced for the permissions check.
 */
import { gfnToIndex, rmapSptes } from '../mmu/rmap';
import { spGetGfn } from '../mmu/shadow_page';
import { updateLeafFlags } from '../mmu/spte_ops';
import type { Memslot } from '../state';
import { SPTE_WRITABLE } from '../spte';
import { addRange, type Machine } from '../engine/machine';
import type { OpFrame } from '../engine/frames';

/** Write-protect the SPTEs of rmap frame `index` at `level`; returns how many changed. */
export function rmapWriteProtect(m: Machine, op: OpFrame, slot: Memslot, level: number, index: number): number {
  const state = m.state;
  const e = m.geo.entries;
  let changed = 0;
  for (const sptep of rmapSptes(slot, level, index)) {
    const sp = state.sps[Math.floor(sptep / e)];
    const flags = sp.flags[sptep % e];
    if (!(flags & SPTE_WRITABLE)) continue;
    updateLeafFlags(m.ctx, sptep, flags & ~SPTE_WRITABLE);
    addRange(op.reduced, spGetGfn(state, sp, sptep % e), m.geo.pages(level));
    changed++;
  }
  return changed;
}

/** The rmap frame of `gfn` at `level`, write-protected (kvm_mmu_slot_gfn_write_protect per level). */
export function gfnWriteProtect(m: Machine, op: OpFrame, slot: Memslot, gfn: number, minLevel: number): number {
  let changed = 0;
  for (let level = minLevel; level <= 3; level++) {
    changed += rmapWriteProtect(m, op, slot, level, gfnToIndex(m.state, gfn, slot.baseGfn, level));
  }
  return changed;
}
