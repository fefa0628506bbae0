/**
 * kvm_zap_all_rmap_sptes(kvm, rmap_head), the handler kvm_zap_rmap() gives __walk_slot_rmaps() when
 * kvm_unmap_gfn_range() zaps a gfn range (docs/kernel-guest-tables.md sections 6 and 7): every
 * entry of the rmap is followed to its SPTE, which is cleared (mmu_spte_clear_track_bits()), and the
 * rmap head is then reset as a whole. Unlike drop_spte() nothing recomputes the SPTE's gfn: an entry
 * filed under a gfn its SP does not compute is found here, where it was filed, and leaves cleanly.
 */
import type { Memslot, Sptep } from '../model/state';
import { ownMemslot } from '../model/fork';
import type { MmuContext } from './context';
import { derefRmapSpte } from './deref';
import { noteUnmap } from './flush';
import { rmapSptes } from './rmap';
import { clearLeafTrackBits } from './spte_ops';

/** What one rmap's zap did: the SPTEs cleared (live ones) and the entries into freed SPs dropped. */
export interface RmapZapResult {
  cleared: Sptep[];
  dangling: Sptep[];
}

/**
 * Zap the rmap of frame `index` at `level` of `slot`; `who` names the walker for a use-after-free
 * report. Returns whether it held anything (the walk's flush is owed when it did).
 */
export function zapAllRmapSptes(
  ctx: MmuContext, slot: Memslot, level: number, index: number, who: string, out: RmapZapResult,
  what: (spId: number, index: number) => string = (spId, i) => `zap of sp#${spId}[${i}] through the rmap`,
): boolean {
  const state = ctx.state;
  const sptes = rmapSptes(slot, level, index);
  if (sptes.length === 0) return false;
  const pages = state.geo.pages(level);
  // The gfn the rmap stands for: what each of its entries maps (gfn_to_rmap()'s inverse).
  const gfn = (Math.floor(slot.baseGfn / pages) + index) * pages;
  for (const sptep of sptes) {
    const sp = derefRmapSpte(ctx, sptep, who);
    if (!sp) {
      // The walk writes the freed page (the clear) all the same; the model's freed pages hold cleared SPTEs.
      out.dangling.push(sptep);
      continue;
    }
    clearLeafTrackBits(ctx, sptep);
    noteUnmap(ctx, gfn, pages, what(sp.id, sptep % state.geo.entries));
    out.cleared.push(sptep);
  }
  // The rmap head reset: the slot's rmaps become its own before they are written (fork.ts).
  ownMemslot(state, slot);
  const r = slot.rmap[level];
  r.head[index] = 0;
  r.more.delete(index);
  return true;
}
