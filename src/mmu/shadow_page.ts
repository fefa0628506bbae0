/**
 * kvm_mmu_page allocation and the SP hash: __kvm_mmu_get_shadow_page() returns the SP with the
 * same gfn and role if there is one (reuse) and creates it otherwise.
 */
import type { Level } from '../kernel/geometry';
import type { KvmMmuPage, MmuState } from '../model/state';
import type { MmuContext } from './context';
import { unknownPolicy, type Variant } from '../kernel/variants';
import { ownHash } from '../model/fork';

export interface Role {
  level: Level;
  direct: boolean;
  access: number;
}

/** The hash key: gfn plus the role word (the parts of it the model varies). */
export function spHashKey(gfn: number, role: Role): string {
  return `${gfn}:${role.level}:${role.direct ? 1 : 0}:${role.access}`;
}

/**
 * SP tables come out of shared buffers, up to CHUNK tables at a time: a full-scale split allocates
 * tens of thousands of them, and one ArrayBuffer each costs more than the split itself. A state's
 * first buffer holds FIRST tables, each next one twice as many up to CHUNK: the explorer makes one
 * or two SPs on each copy of a small state, where a buffer of CHUNK would be mostly garbage.
 */
const CHUNK = 256;
const FIRST = 4;
const pools = new WeakMap<MmuState, { flags: Uint8Array; target: Uint32Array; used: number; cap: number }>();

function tables(state: MmuState): { flags: Uint8Array; target: Uint32Array } {
  const e = state.geo.entries;
  let pool = pools.get(state);
  if (!pool || pool.used === pool.cap) {
    const cap = pool ? Math.min(CHUNK, pool.cap * 2) : FIRST;
    pool = { flags: new Uint8Array(cap * e), target: new Uint32Array(cap * e), used: 0, cap };
    pools.set(state, pool);
  }
  const at = pool.used++ * e;
  return { flags: pool.flags.subarray(at, at + e), target: pool.target.subarray(at, at + e) };
}

export function allocSp(state: MmuState, gfn: number, role: Role, rootName: string, isRoot: boolean): KvmMmuPage {
  const e = state.geo.entries;
  const id = state.sps.length;
  if ((id + 1) * e >= 2 ** 31) throw new RangeError('too many shadow pages for the sptep encoding');
  const { flags, target } = tables(state);
  const sp: KvmMmuPage = {
    id, gfn, role: { ...role },
    flags,
    target,
    gfns: role.direct ? null : new Float64Array(e),
    accesses: role.direct ? null : new Uint8Array(e),
    parentPtes: [],
    rootName,
    isRoot,
    freed: false,
    freedAt: -1,
    invalid: false,
    mmuValidGen: state.mmuValidGen,
    // A root is loaded by the vCPUs when the state is made (kvm_mmu_load()): one reference for them all.
    rootCount: isRoot ? 1 : 0,
    misfiled: null,
  };
  state.sps.push(sp);
  // list_add() at the head of active_mmu_pages; the array keeps it oldest first (see MmuState).
  state.activeMmuPages.push(id);
  ownHash(state);
  state.hash.set(spHashKey(gfn, role), id);
  state.counters.spsCreated++;
  return sp;
}

/** __kvm_mmu_get_shadow_page(): an existing SP for (gfn, role), or a new one. */
export function getShadowPage(ctx: MmuContext, gfn: number, role: Role, rootName: string): { sp: KvmMmuPage; reused: boolean } {
  const state = ctx.state;
  const id = state.hash.get(spHashKey(gfn, role));
  // An invalid SP's role.word never matches, and an obsolete one is skipped (for_each_valid_sp()).
  if (id !== undefined && spUsable(state, state.sps[id])) {
    state.counters.spsReused++;
    return { sp: state.sps[id], reused: true };
  }
  return { sp: allocSp(state, gfn, role, rootName, false), reused: false };
}

/** Neither freed, nor invalid (role.invalid), nor obsolete (is_obsolete_sp()): a hash lookup may return it. */
export function spUsable(state: MmuState, sp: KvmMmuPage): boolean {
  return !sp.freed && !sp.invalid && sp.mmuValidGen === state.mmuValidGen;
}

/**
 * kvm_mmu_get_child_sp()'s -EEXIST test, for a parent SPTE already known to be present and not
 * large: may the fault keep `child`, the SP that SPTE points to, where it asks for (gfn, role)?
 * present: always (before 0cb2af2ea66a); gfn: if `child->gfn == gfn` (0cb2af2ea66a); gfn-role:
 * and `child->role.word == role.word` (81ccda30b4e8), the role being the parts the model varies.
 */
export function childReusable(policy: Variant['childReuse'], child: KvmMmuPage, gfn: number, role: Role): boolean {
  switch (policy) {
    case 'present': return true;
    case 'gfn': return child.gfn === gfn;
    case 'gfn-role': return child.gfn === gfn && spHashKey(child.gfn, child.role) === spHashKey(gfn, role);
    default: return unknownPolicy('childReuse', policy);
  }
}

/** kvm_mmu_page_get_gfn(sp, index). */
export function spGetGfn(state: MmuState, sp: KvmMmuPage, index: number): number {
  if (sp.gfns) return sp.gfns[index];
  return sp.gfn + index * state.geo.pages(sp.role.level);
}

/** kvm_mmu_page_get_access(sp, index). */
export function spGetAccess(sp: KvmMmuPage, index: number): number {
  return sp.accesses ? sp.accesses[index] : sp.role.access;
}
