/**
 * Shadow pages die in two phases, as in mmu.c: kvm_mmu_prepare_zap_page() unlinks an SP from the
 * tables (its children, its parents) and puts it on an invalid list; kvm_mmu_commit_zap_page()
 * flushes every TLB and then frees what the list holds. A root a vCPU still has loaded
 * (root_count) is marked invalid but kept until the vCPU drops it (kvm_mmu_free_obsolete_roots()).
 * SP ids are never reused: a freed SP stays in state.sps with `freed` and `freedAt`, so a dangling
 * rmap entry still names the allocation it pointed into (docs/kernel-guest-tables.md section 6).
 */
import { hex } from '../kernel/geometry';
import { isLastSpte, isShadowPresent } from '../kernel/spte';
import type { KvmMmuPage } from '../model/state';
import type { FlushRecord } from '../model/step';
import type { MmuContext } from './context';
import { kvmFlushRemoteTlbs, noteUnmap } from './flush';
import { spGetGfn, spHashKey } from './shadow_page';
import { dropSpte } from './spte_ops';
import { ownHash } from '../model/fork';

/** What one kvm_mmu_prepare_zap_page() did, for the step's text. */
export interface PrepareZapResult {
  /** SPs put on the invalid list (this one and the children zapped recursively), in order. */
  listed: number[];
  /** Leaf SPTEs dropped (drop_spte() -> rmap_remove()). */
  leaves: number;
  /** The SP is a root still loaded (root_count > 0): invalid, kept, its vCPUs asked to reload. */
  rootKept: boolean;
}

/**
 * mmu_page_zap_pte(kvm, sp, spte, invalid_list): a present leaf goes through drop_spte(); a present
 * non-leaf through drop_parent_pte(), and a child left with no parent is zapped too (the kernel
 * does so for nested TDP SPs, `tdp_enabled && invalid_list && child->role.guest_mode`; every SP
 * of the model is one). Returns the SPs that recursion listed.
 */
export function mmuPageZapPte(ctx: MmuContext, sp: KvmMmuPage, index: number, invalidList: number[] | null, out: PrepareZapResult): void {
  const state = ctx.state;
  const flags = sp.flags[index];
  if (!isShadowPresent(flags)) return;
  const sptep = sp.id * state.geo.entries + index;
  if (isLastSpte(flags, sp.role.level)) {
    const gfn = sp.misfiled?.get(index)?.gfn ?? spGetGfn(state, sp, index);
    dropSpte(ctx, sptep);
    noteUnmap(ctx, gfn, state.geo.pages(sp.role.level), `zap of sp#${sp.id}[${index}]`);
    out.leaves++;
    return;
  }
  const child = state.sps[sp.target[index]];
  dropSpte(ctx, sptep); // drop_parent_pte(): clear the SPTE, take it off child->parent_ptes
  if (invalidList && child.parentPtes.length === 0 && !child.invalid) prepareZapInto(ctx, child, invalidList, out);
}

function prepareZapInto(ctx: MmuContext, sp: KvmMmuPage, invalidList: number[], out: PrepareZapResult): boolean {
  const state = ctx.state;
  // kvm_mmu_page_unlink_children()
  for (let i = 0; i < state.geo.entries; i++) mmuPageZapPte(ctx, sp, i, invalidList, out);
  // kvm_mmu_unlink_parents(): drop_parent_pte() of each parent SPTE
  while (sp.parentPtes.length) dropSpte(ctx, sp.parentPtes[0]);
  let kept = false;
  if (sp.rootCount === 0) {
    // list_move() onto the invalid list; kvm_unaccount_mmu_page()
    if (!invalidList.includes(sp.id)) invalidList.push(sp.id);
    out.listed.push(sp.id);
  } else {
    // A root in use leaves active_mmu_pages (list_del()) and is freed when its root_count drops
    // to 0; its vCPUs are asked to drop it (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS, after role.invalid is set).
    kept = true;
    const at = state.activeMmuPages.indexOf(sp.id);
    if (at >= 0) state.activeMmuPages.splice(at, 1);
    for (const v of state.vcpus) v.reloadPending = true;
  }
  sp.invalid = true;
  ctx.cache.invalidate(sp.id);
  return kept;
}

/** kvm_mmu_prepare_zap_page(kvm, sp, invalid_list). */
export function prepareZapPage(ctx: MmuContext, sp: KvmMmuPage, invalidList: number[]): PrepareZapResult {
  const out: PrepareZapResult = { listed: [], leaves: 0, rootKept: false };
  out.rootKept = prepareZapInto(ctx, sp, invalidList, out);
  return out;
}

/** kvm_mmu_free_shadow_page(): off the hash and the active list, and the memory goes back. */
export function freeShadowPage(ctx: MmuContext, sp: KvmMmuPage): void {
  const state = ctx.state;
  const key = spHashKey(sp.gfn, sp.role);
  if (state.hash.get(key) === sp.id) {
    ownHash(state);
    state.hash.delete(key);
  }
  const at = state.activeMmuPages.indexOf(sp.id);
  if (at >= 0) state.activeMmuPages.splice(at, 1);
  sp.freed = true;
  sp.freedAt = ctx.stepIndex;
}

/**
 * The first half of kvm_mmu_commit_zap_page(): if the list is not empty, kvm_flush_remote_tlbs()
 * before anything is freed (a vCPU may still be walking the pages). Null when the list is empty.
 */
export function commitZapFlush(ctx: MmuContext, invalidList: readonly number[]): FlushRecord | null {
  if (invalidList.length === 0) return null;
  return kvmFlushRemoteTlbs(ctx, 'kvm_flush_remote_tlbs(kvm)');
}

/** The second half: kvm_mmu_free_shadow_page() of every SP on the list. Returns their ids. */
export function commitZapFree(ctx: MmuContext, invalidList: number[]): number[] {
  const freed = invalidList.splice(0);
  for (const id of freed) freeShadowPage(ctx, ctx.state.sps[id]);
  return freed;
}

/**
 * kvm_zap_obsolete_pages()'s next SP: walking active_mmu_pages from the tail (the oldest), it stops
 * at the first SP that is not obsolete (every SP made after the generation toggle is newer than
 * all obsolete ones) and skips an invalid one (WARN_ON_ONCE: none should be left on the list).
 */
export function nextObsoleteSp(ctx: MmuContext): KvmMmuPage | undefined {
  const state = ctx.state;
  for (const id of state.activeMmuPages) {
    const sp = state.sps[id];
    if (!sp.invalid && sp.mmuValidGen === state.mmuValidGen) return undefined;
    if (sp.invalid) continue;
    return sp;
  }
  return undefined;
}

/**
 * The next SP kvm_mmu_zap_memslot_pages_and_flush() prepares: for each gfn of the slot in turn,
 * for_each_gfn_valid_sp_with_gptes() walks the gfn's hash bucket and takes each SP that is not
 * obsolete (is_obsolete_sp(): role.invalid, or another mmu_valid_gen), has that gfn and shadows
 * guest PTEs (sp_has_gptes(): not direct; passthrough SPs are not modelled). Lowest gfn first; for
 * one gfn the newest SP first (hlist_add_head() puts each new SP at the bucket's head). An SP the
 * walk has prepared is invalid and so not taken again; neither is a child the recursion zapped.
 */
export function nextGfnValidSpWithGptes(ctx: MmuContext, baseGfn: number, npages: number): KvmMmuPage | undefined {
  const state = ctx.state;
  let best: KvmMmuPage | undefined;
  for (const sp of state.sps) {
    if (sp.freed || sp.invalid || sp.mmuValidGen !== state.mmuValidGen || sp.role.direct) continue;
    if (sp.gfn < baseGfn || sp.gfn >= baseGfn + npages) continue;
    if (!best || sp.gfn < best.gfn || (sp.gfn === best.gfn && sp.id > best.id)) best = sp;
  }
  return best;
}

/** "sp#3 (direct L1, gfn 0x200)" */
export function describeSp(sp: KvmMmuPage): string {
  return `sp#${sp.id} (${sp.role.direct ? 'direct' : 'indirect'}, level ${sp.role.level}, gfn ${hex(sp.gfn)})`;
}
