/**
 * Copy on write for the explorer's core engine (docs/explorer.md, "What a core transition costs").
 * The explorer runs every transition on a copy of a stored state and never writes the stored one;
 * most of the copy is of SPTE tables, rmaps and TLBs the transition does not touch. forkState()
 * copies the state's own objects (each SP, memslot and vCPU as a new object of its fields, the
 * maps and lists of the state) but not the arrays inside SPs, memslots and vCPUs: those stay the
 * parent's until the first write, which copies them (ownSp(), ownMemslot(), ownVcpu()). Every
 * writer of those arrays calls the matching own*() first; on a state that is not a fork (the
 * runner's, cloneState()'s) the call does nothing.
 *
 * The objects are new and only their arrays shared, so a reference to an SP, memslot or vCPU
 * taken during a transition stays the one the state holds: a write copies the arrays into the same
 * object. A reference to one of the arrays themselves must not be kept across a write.
 */
import { copyStateFields, type KvmMmuPage, type Memslot, type MmuState, type Rmap, type Sptep, type Vcpu } from './state';

/**
 * The fork being written (one at a time: the explorer forks, runs one transition on the fork and
 * ends it, synchronously), and which of its SPs (by id), memslots (by id) and vCPUs (by id) still
 * share their arrays with its parent; and whether its SP hash is still the parent's. Flags by id
 * rather than a set of objects: ids are never reused within a state (state.ts), and a flag costs
 * no allocation.
 */
let forked: MmuState | null = null;
let spShared: Uint8Array = new Uint8Array(64);
let slotShared: Uint8Array = new Uint8Array(8);
let vcpuShared: Uint8Array = new Uint8Array(4);
let hashShared = false;

function flags(a: Uint8Array, n: number): Uint8Array {
  if (a.length < n) a = new Uint8Array(Math.max(n, a.length * 2));
  a.fill(0);
  return a;
}

function forkSp(sp: KvmMmuPage): KvmMmuPage {
  return {
    id: sp.id, gfn: sp.gfn, role: sp.role, flags: sp.flags, target: sp.target, gfns: sp.gfns, accesses: sp.accesses,
    parentPtes: sp.parentPtes, rootName: sp.rootName, isRoot: sp.isRoot, freed: sp.freed, freedAt: sp.freedAt,
    invalid: sp.invalid, mmuValidGen: sp.mmuValidGen, rootCount: sp.rootCount, misfiled: sp.misfiled,
  };
}

function forkMemslot(m: Memslot): Memslot {
  const out: Memslot = {
    id: m.id, baseGfn: m.baseGfn, npages: m.npages, hostPfnBase: m.hostPfnBase, hostLevel: m.hostLevel,
    logDirty: m.logDirty, manualProtect: m.manualProtect, initiallySet: m.initiallySet,
    dirtyBitmap: m.dirtyBitmap, rmap: m.rmap, remaps: m.remaps,
  };
  if (m.invalid !== undefined) out.invalid = m.invalid;
  return out;
}

function forkVcpu(v: Vcpu): Vcpu {
  // As cloneState() writes it: a reload not pending is left out.
  return v.reloadPending ? { id: v.id, tlb: v.tlb, reloadPending: true } : { id: v.id, tlb: v.tlb };
}

/**
 * A copy of `s` that shares with it the arrays inside its SPs, memslots and vCPUs until they are
 * written. `s` must not be written afterwards (the explorer's stored states never are). Reads the
 * same as cloneState(s), field for field.
 */
export function forkState(s: MmuState): MmuState {
  const sps = s.sps.map(forkSp);
  const memslots = s.memslots.map(forkMemslot);
  const vcpus = s.vcpus.map(forkVcpu);
  spShared = flags(spShared, sps.length);
  for (const x of sps) spShared[x.id] = 1;
  slotShared = flags(slotShared, memslots.reduce((n, x) => Math.max(n, x.id + 1), 0));
  for (const x of memslots) slotShared[x.id] = 1;
  vcpuShared = flags(vcpuShared, vcpus.length);
  for (const x of vcpus) vcpuShared[x.id] = 1;
  hashShared = true;
  const out: MmuState = {
    geo: s.geo,
    sps,
    // Copied on its first write (ownHash()).
    hash: s.hash,
    memslots,
    roots: s.roots.map((r) => ({ name: r.name, guestTableGfn: r.guestTableGfn, spId: r.spId })),
    // Never written in place: a guest-table write replaces the map (withGuestPte()).
    guestMemory: s.guestMemory,
    vcpus,
    ...copyStateFields(s),
  };
  forked = out;
  return out;
}

/**
 * The transition on the fork is over: from here on it is a stored state, never written (and a
 * write to it would no longer be told apart from its parent's). A new forkState() ends the last.
 */
export function endFork(): void {
  forked = null;
}

/** Before adding to or deleting from the SP hash (mmu_page_hash): make it the state's own. */
export function ownHash(state: MmuState): void {
  if (state !== forked || !hashShared) return;
  hashShared = false;
  state.hash = new Map(state.hash);
}

/** Before writing sp's SPTEs, shadowed gfns, accesses, parent_ptes or ghost records: make them its own. */
export function ownSp(state: MmuState, sp: KvmMmuPage): void {
  if (state !== forked || !spShared[sp.id]) return;
  spShared[sp.id] = 0;
  sp.flags = sp.flags.slice();
  sp.target = sp.target.slice();
  if (sp.gfns) sp.gfns = sp.gfns.slice();
  if (sp.accesses) sp.accesses = sp.accesses.slice();
  sp.parentPtes = sp.parentPtes.slice();
  if (sp.misfiled) sp.misfiled = new Map(sp.misfiled);
}

function copyRmap(r: Rmap): Rmap {
  const more = new Map<number, Sptep[]>();
  for (const [k, v] of r.more) more.set(k, v.slice());
  return { head: r.head.slice(), more };
}

/** Before writing slot's dirty bitmap, rmaps or remaps: make them its own. */
export function ownMemslot(state: MmuState, slot: Memslot): void {
  if (state !== forked || !slotShared[slot.id]) return;
  slotShared[slot.id] = 0;
  slot.dirtyBitmap = slot.dirtyBitmap.slice();
  slot.rmap = slot.rmap.map((r) => (r ? copyRmap(r) : r));
  slot.remaps = slot.remaps.map((x) => ({ gfn: x.gfn, npages: x.npages, pfn: x.pfn }));
}

/** Before adding to a vCPU's TLB in place: make the list its own (its entries are never written). */
export function ownVcpu(state: MmuState, vcpu: Vcpu): void {
  if (state !== forked || !vcpuShared[vcpu.id]) return;
  vcpuShared[vcpu.id] = 0;
  vcpu.tlb = vcpu.tlb.slice();
}
