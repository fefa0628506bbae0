/**
 * Writing SPTEs: mmu_spte_set(), mmu_spte_update() for permission changes, and drop_spte(),
 * each keeping the rmap, the parent pointers and the subtree cache in step, and recording the
 * write in the step being built.
 */
import type { Sptep } from '../state';
import { isLastSpte, isShadowPresent } from '../spte';
import type { MmuContext } from './context';
import { gfnToMemslot, rmapAdd, rmapRemove } from './rmap';
import { spGetGfn } from './shadow_page';

function record(ctx: MmuContext, spId: number, index: number, level: number, oldFlags: number, oldTarget: number, newFlags: number, newTarget: number): void {
  ctx.state.counters.spteWrites++;
  ctx.draft.writeCount++;
  if (ctx.recordWrites) ctx.draft.writes.push({ sp: spId, index, level, oldFlags, oldTarget, newFlags, newTarget });
  ctx.cache.invalidate(spId);
}

/**
 * mmu_spte_set() of a leaf, plus __rmap_add() for it. `gfn` is what the SPTE maps; for an
 * indirect SP it is stored as the shadowed translation.
 */
export function setLeaf(ctx: MmuContext, spId: number, index: number, flags: number, pfn: number, gfn: number, access: number): void {
  const state = ctx.state;
  const sp = state.sps[spId];
  const level = sp.role.level;
  const oldFlags = sp.flags[index];
  const oldTarget = sp.target[index];
  sp.flags[index] = flags;
  sp.target[index] = pfn;
  if (sp.gfns) sp.gfns[index] = gfn;
  if (sp.accesses) sp.accesses[index] = access;
  record(ctx, spId, index, level, oldFlags, oldTarget, flags, pfn);
  const slot = gfnToMemslot(state, gfn);
  if (!slot) throw new Error(`no memslot maps gfn 0x${gfn.toString(16)}`);
  rmapAdd(state, slot, level, gfn, spId * state.geo.entries + index);
}

/** mmu_spte_update() of a present leaf's permission bits; the rmap does not change. */
export function updateLeafFlags(ctx: MmuContext, sptep: Sptep, flags: number): void {
  const e = ctx.state.geo.entries;
  const spId = Math.floor(sptep / e);
  const index = sptep % e;
  const sp = ctx.state.sps[spId];
  const old = sp.flags[index];
  if (old === flags) return;
  sp.flags[index] = flags;
  record(ctx, spId, index, sp.role.level, old, sp.target[index], flags, sp.target[index]);
}

/** make_nonleaf_spte() + mmu_spte_set() + mmu_page_add_parent_pte(). */
export function setNonLeaf(ctx: MmuContext, spId: number, index: number, flags: number, childId: number, gfn: number, access: number): void {
  const state = ctx.state;
  const sp = state.sps[spId];
  const oldFlags = sp.flags[index];
  const oldTarget = sp.target[index];
  sp.flags[index] = flags;
  sp.target[index] = childId;
  if (sp.gfns) sp.gfns[index] = gfn;
  if (sp.accesses) sp.accesses[index] = access;
  state.sps[childId].parentPtes.push(spId * state.geo.entries + index);
  record(ctx, spId, index, sp.role.level, oldFlags, oldTarget, flags, childId);
}

/**
 * drop_spte(): clear the SPTE and take it off the rmap (a leaf) or off the child's parent_ptes
 * (a non-leaf). Returns the gfn the SPTE mapped.
 */
export function dropSpte(ctx: MmuContext, sptep: Sptep): number {
  const state = ctx.state;
  const e = state.geo.entries;
  const spId = Math.floor(sptep / e);
  const index = sptep % e;
  const sp = state.sps[spId];
  const level = sp.role.level;
  const flags = sp.flags[index];
  const target = sp.target[index];
  const gfn = spGetGfn(state, sp, index);
  if (!isShadowPresent(flags)) return gfn;
  sp.flags[index] = 0;
  sp.target[index] = 0;
  record(ctx, spId, index, level, flags, target, 0, 0);
  if (isLastSpte(flags, level)) {
    const slot = gfnToMemslot(state, gfn);
    if (slot) rmapRemove(state, slot, level, gfn, sptep);
  } else {
    const child = state.sps[target];
    const at = child.parentPtes.indexOf(sptep);
    if (at >= 0) child.parentPtes.splice(at, 1);
  }
  return gfn;
}
