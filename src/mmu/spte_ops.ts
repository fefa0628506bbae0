/**
 * Writing SPTEs: mmu_spte_set(), mmu_spte_update() for permission changes, and drop_spte(),
 * each keeping the rmap, the parent pointers and the subtree cache in step, and recording the
 * write in the step being built.
 */
import { sptepIndex, sptepSp, type Sptep } from '../model/state';
import { isLastSpte, isShadowPresent, SPTE_WRITABLE } from '../kernel/spte';
import type { MmuContext } from './context';
import { gfnToIndex, gfnToMemslot, rmapAdd, rmapRemove, rmapSptes } from './rmap';
import { spGetGfn } from './shadow_page';
import { ModelInputError } from '../model/errors';
import { reportRmapMiss } from './rmap_miss';
import { ownMemslot, ownSp } from '../model/fork';

/**
 * Ghost bookkeeping of where __rmap_add() filed a leaf: only a leaf filed under a gfn other than the
 * one kvm_mmu_page_get_gfn() computes is recorded (KvmMmuPage.misfiled), with the step that did it.
 */
function noteFiled(ctx: MmuContext, spId: number, index: number, gfn: number): void {
  const sp = ctx.state.sps[spId];
  if (spGetGfn(ctx.state, sp, index) === gfn) {
    if (sp.misfiled?.has(index)) { ownSp(ctx.state, sp); sp.misfiled!.delete(index); }
    return;
  }
  ownSp(ctx.state, sp);
  if (!sp.misfiled) sp.misfiled = new Map();
  sp.misfiled.set(index, { gfn, step: ctx.stepIndex });
}

/**
 * rmap_remove(): the gfn is recomputed with kvm_mmu_page_get_gfn(), its memslot found, and
 * pte_list_remove() takes the SPTE off that gfn's rmap; a miss is pte_list_remove()'s report
 * (rmap_miss.ts). The ghost record of a misfiled leaf stays after a miss: the entry still dangles
 * in the rmap it was filed in, and a later walk that reaches it names the step that filed it.
 */
export function rmapRemoveOrReport(ctx: MmuContext, sptep: Sptep): void {
  const state = ctx.state;
  const spId = sptepSp(state, sptep);
  const index = sptepIndex(state, sptep);
  const sp = state.sps[spId];
  const gfn = spGetGfn(state, sp, index);
  const slot = gfnToMemslot(state, gfn);
  const filed = sp.misfiled?.get(index);
  if (slot && rmapRemove(state, slot, sp.role.level, gfn, sptep)) {
    if (filed) { ownSp(state, sp); sp.misfiled!.delete(index); }
    return;
  }
  // How many entries the rmap it looked in holds: pte_list_remove()'s three miss cases differ by it.
  const held = slot ? rmapSptes(slot, sp.role.level, gfnToIndex(state, gfn, slot.baseGfn, sp.role.level)).length : 0;
  reportRmapMiss(ctx, sptep, spId, index, gfn, !!slot, filed, held);
}

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
  ownSp(state, sp);
  sp.flags[index] = flags;
  sp.target[index] = pfn;
  if (sp.gfns) sp.gfns[index] = gfn;
  if (sp.accesses) sp.accesses[index] = access;
  record(ctx, spId, index, level, oldFlags, oldTarget, flags, pfn);
  const slot = gfnToMemslot(state, gfn);
  if (!slot) throw new ModelInputError(`no memslot maps gfn 0x${gfn.toString(16)}`);
  rmapAdd(state, slot, level, gfn, spId * state.geo.entries + index);
  noteFiled(ctx, spId, index, gfn);
  // A leaf filed off kvm_mmu_page_get_gfn() is recorded even when per-write records are off (the
  // patch review, the walkthrough's snapshots): the rmap-agreement check reads the step's writes,
  // and a verdict must not depend on whether they are kept. Such leaves are rare; the cost is nil.
  if (!ctx.recordWrites && sp.misfiled?.get(index)?.step === ctx.stepIndex) {
    ctx.draft.writes.push({ sp: spId, index, level, oldFlags, oldTarget, newFlags: flags, newTarget: pfn });
  }
}

/** mmu_spte_update() of a present leaf's permission bits; the rmap does not change. */
export function updateLeafFlags(ctx: MmuContext, sptep: Sptep, flags: number): void {
  const e = ctx.state.geo.entries;
  const spId = Math.floor(sptep / e);
  const index = sptep % e;
  const sp = ctx.state.sps[spId];
  const old = sp.flags[index];
  if (old === flags) return;
  ownSp(ctx.state, sp);
  sp.flags[index] = flags;
  record(ctx, spId, index, sp.role.level, old, sp.target[index], flags, sp.target[index]);
}

/** make_nonleaf_spte() + mmu_spte_set() + mmu_page_add_parent_pte(). */
export function setNonLeaf(ctx: MmuContext, spId: number, index: number, flags: number, childId: number, gfn: number, access: number): void {
  const state = ctx.state;
  const sp = state.sps[spId];
  const oldFlags = sp.flags[index];
  const oldTarget = sp.target[index];
  ownSp(state, sp);
  ownSp(state, state.sps[childId]);
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
  ownSp(state, sp);
  sp.flags[index] = 0;
  sp.target[index] = 0;
  record(ctx, spId, index, level, flags, target, 0, 0);
  if (isLastSpte(flags, level)) {
    rmapRemoveOrReport(ctx, sptep);
  } else {
    const child = state.sps[target];
    const at = child.parentPtes.indexOf(sptep);
    if (at >= 0) { ownSp(state, child); child.parentPtes.splice(at, 1); }
  }
  return gfn;
}

/**
 * mmu_spte_clear_track_bits() of a present leaf, as kvm_zap_all_rmap_sptes() does for each entry of
 * an rmap it empties: the SPTE is cleared and nothing else; no rmap_remove(), so no gfn is
 * recomputed and no miss can be reported (the caller resets the whole rmap head). The ghost record
 * of a misfiled leaf goes with it: the entry it stood for leaves the rmap it was filed in.
 */
export function clearLeafTrackBits(ctx: MmuContext, sptep: Sptep): void {
  const state = ctx.state;
  const spId = sptepSp(state, sptep);
  const index = sptepIndex(state, sptep);
  const sp = state.sps[spId];
  const flags = sp.flags[index];
  if (!isShadowPresent(flags)) return;
  ownSp(state, sp);
  const target = sp.target[index];
  sp.flags[index] = 0;
  sp.target[index] = 0;
  if (sp.misfiled?.has(index)) sp.misfiled.delete(index);
  record(ctx, spId, index, sp.role.level, flags, target, 0, 0);
}

/**
 * The split loop's fill of absent entries [from, to] in one go: entry i gets `flags` and pfn
 * pfn0 + (i - from) * stride, maps gfn0 + (i - from) * stride, and goes on the rmap. The same
 * writes as setLeaf() one by one, without repeating per entry what is the same for the run.
 * Returns how many rmap heads already held an SPTE (each costs a pte_list_desc).
 */
export function setLeafRun(ctx: MmuContext, spId: number, from: number, to: number, flags: number, pfn0: number, gfn0: number, stride: number, access: number): number {
  const state = ctx.state;
  const sp = state.sps[spId];
  const level = sp.role.level;
  const slot = gfnToMemslot(state, gfn0);
  const slotEnd = gfnToMemslot(state, gfn0 + (to - from) * stride);
  // One entry at a time (with the ghost record) unless every entry maps what get_gfn says it does.
  const asComputed = spGetGfn(state, sp, from) === gfn0 && (sp.gfns !== null || stride === state.geo.pages(level));
  if (!slot || slot !== slotEnd || !asComputed) {
    for (let i = from; i <= to; i++) setLeaf(ctx, spId, i, flags, pfn0 + (i - from) * stride, gfn0 + (i - from) * stride, access);
    return 0;
  }
  ownSp(state, sp);
  ownMemslot(state, slot);
  const r = slot.rmap[level];
  const head = r.head;
  const base = spId * state.geo.entries;
  const index0 = gfnToIndex(state, gfn0, slot.baseGfn, level) - from;
  if (ctx.recordWrites) {
    for (let i = from; i <= to; i++) ctx.draft.writes.push({ sp: spId, index: i, level, oldFlags: sp.flags[i], oldTarget: sp.target[i], newFlags: flags, newTarget: pfn0 + (i - from) * stride });
  }
  sp.flags.fill(flags, from, to + 1);
  const target = sp.target;
  for (let i = from, pfn = pfn0; i <= to; i++, pfn += stride) target[i] = pfn;
  if (sp.gfns) for (let i = from; i <= to; i++) sp.gfns[i] = gfn0 + (i - from) * stride;
  if (sp.accesses) sp.accesses.fill(access, from, to + 1);
  let descs = 0;
  for (let i = from; i <= to; i++) {
    const index = index0 + i;
    if (head[index] === 0) {
      head[index] = base + i + 1;
    } else {
      descs++;
      const list = r.more.get(index);
      if (list) list.push(base + i); else r.more.set(index, [base + i]);
    }
  }
  const n = to - from + 1;
  state.counters.spteWrites += n;
  ctx.draft.writeCount += n;
  ctx.cache.invalidate(spId);
  if (n === state.geo.entries) ctx.cache.knownLinear(spId, pfn0, (flags & SPTE_WRITABLE) !== 0);
  return descs;
}
