/**
 * rmaps: for each memslot and level, an array indexed by frame (gfn_to_index()) of the leaf SPTEs
 * that map that frame. The first SPTE sits in a typed array; aliases go in `more`, as the kernel
 * moves a second SPTE into a pte_list_desc.
 */
import type { Memslot, MmuState, Rmap, Sptep } from '../model/state';
import { ownMemslot } from '../model/fork';

export function gfnToIndex(state: MmuState, gfn: number, baseGfn: number, level: number): number {
  const n = state.geo.pages(level);
  return Math.floor(gfn / n) - Math.floor(baseGfn / n);
}

export function newRmap(state: MmuState, slot: Pick<Memslot, 'baseGfn' | 'npages'>, level: number): Rmap {
  const size = gfnToIndex(state, slot.baseGfn + slot.npages - 1, slot.baseGfn, level) + 1;
  return { head: new Int32Array(size), more: new Map() };
}

export function gfnToMemslot(state: MmuState, gfn: number): Memslot | undefined {
  for (const slot of state.memslots) {
    if (gfn >= slot.baseGfn && gfn < slot.baseGfn + slot.npages) return slot;
  }
  return undefined;
}

export function rmapAdd(state: MmuState, slot: Memslot, level: number, gfn: number, sptep: Sptep): void {
  ownMemslot(state, slot);
  const r = slot.rmap[level];
  const i = gfnToIndex(state, gfn, slot.baseGfn, level);
  if (r.head[i] === 0) {
    r.head[i] = sptep + 1;
    return;
  }
  const list = r.more.get(i);
  if (list) list.push(sptep);
  else r.more.set(i, [sptep]);
}

/**
 * pte_list_remove() on the rmap of `gfn`: take `sptep` off it. Returns false, changing nothing, when
 * the SPTE is not there (the miss the caller reports: spte_ops.ts rmapRemoveOrReport()).
 */
export function rmapRemove(state: MmuState, slot: Memslot, level: number, gfn: number, sptep: Sptep): boolean {
  const i = gfnToIndex(state, gfn, slot.baseGfn, level);
  const seen = slot.rmap[level];
  if (i < 0 || i >= seen.head.length) return false;
  const inMore = seen.head[i] !== sptep + 1;
  if (inMore && !seen.more.get(i)?.includes(sptep)) return false;
  // Found: the slot's rmaps become its own before they are written (fork.ts).
  ownMemslot(state, slot);
  const r = slot.rmap[level];
  const list = r.more.get(i);
  if (!inMore) {
    if (list) {
      r.head[i] = list.shift()! + 1;
      if (list.length === 0) r.more.delete(i);
    } else {
      r.head[i] = 0;
    }
    return true;
  }
  list!.splice(list!.indexOf(sptep), 1);
  if (list!.length === 0) r.more.delete(i);
  return true;
}

/** The SPTEs in the rmap of frame `index` at `level` (for_each_rmap_spte), in insertion order. */
export function rmapSptes(slot: Memslot, level: number, index: number): Sptep[] {
  const r = slot.rmap[level];
  if (index < 0 || index >= r.head.length || r.head[index] === 0) return [];
  const list = r.more.get(index);
  return list ? [r.head[index] - 1, ...list] : [r.head[index] - 1];
}

export function rmapEmpty(slot: Memslot, level: number, index: number): boolean {
  return slot.rmap[level].head[index] === 0;
}
