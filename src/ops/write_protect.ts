/**
 * rmap_write_protect(rmap_head, pt_protect = false) as the dirty-log paths call it: clear the
 * writable bit of every SPTE in one rmap (mmu-writable stays, so the next write takes the fast
 * path and marks the page dirty). Records what it reduced for the permissions check.
 */
import { gfnToIndex, rmapSptes } from '../mmu/rmap';
import { derefRmapSpte } from '../mmu/deref';
import { spGetGfn } from '../mmu/shadow_page';
import { updateLeafFlags } from '../mmu/spte_ops';
import type { Memslot } from '../model/state';
import { SPTE_WRITABLE } from '../kernel/spte';
import { addRange, type Machine } from '../machine/machine';
import type { OpFrame } from '../model/frames';
import { ownSp } from '../model/fork';

/** Write-protect the SPTEs of rmap frame `index` at `level`; returns how many changed. */
export function rmapWriteProtect(m: Machine, op: OpFrame, slot: Memslot, level: number, index: number): number {
  const state = m.state;
  const e = m.geo.entries;
  let changed = 0;
  for (const sptep of rmapSptes(slot, level, index)) {
    const sp = derefRmapSpte(m.ctx, sptep, 'rmap_write_protect()');
    if (!sp) continue;
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

/**
 * slot_handle_level(slot_rmap_write_protect) over a whole memslot, 4K..1G: every rmap walked in
 * place. The gfn of an rmap entry is its frame's, so nothing is looked up per SPTE.
 */
export function slotWriteProtect(m: Machine, op: OpFrame, slot: Memslot): number {
  const { ctx } = m;
  const state = m.state;
  const e = m.geo.entries;
  let changed = 0;
  for (let level = 1; level <= 3; level++) {
    const r = slot.rmap[level];
    const head = r.head;
    const n = m.geo.pages(level);
    const frame0 = Math.floor(slot.baseGfn / n);
    let lastSp = -1;
    const protect = (sptep: number, gfn: number): void => {
      const spId = (sptep / e) | 0;
      const sp = derefRmapSpte(ctx, sptep, 'slot_rmap_write_protect()');
      if (!sp) return;
      const idx = sptep - spId * e;
      const flags = sp.flags[idx];
      if (!(flags & SPTE_WRITABLE)) return;
      if (ctx.recordWrites) {
        updateLeafFlags(ctx, sptep, flags & ~SPTE_WRITABLE);
      } else {
        // The same write as updateLeafFlags(), its bookkeeping batched: only the permission
        // changed, so the subtree cache keeps the mapping and learns "not all writable" once
        // per SP; the counters are added once at the end.
        ownSp(state, sp);
        sp.flags[idx] = flags & ~SPTE_WRITABLE;
        if (spId !== lastSp) { ctx.cache.permissionsReduced(spId); lastSp = spId; }
      }
      addRange(op.reduced, gfn, n);
      changed++;
    };
    const hasMore = r.more.size > 0;
    for (let i = 0; i < head.length; i++) {
      if (head[i] === 0) continue;
      protect(head[i] - 1, (frame0 + i) * n);
      if (hasMore) for (const sptep of r.more.get(i) ?? []) protect(sptep, (frame0 + i) * n);
    }
  }
  if (!ctx.recordWrites) {
    state.counters.spteWrites += changed;
    ctx.draft.writeCount += changed;
  }
  return changed;
}
