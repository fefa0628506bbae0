/**
 * The machine state the model runs on: shadow pages, the SP hash, rmaps, memslots with their dirty
 * bitmaps, vCPU TLBs, host pages, mmu_lock, and the ground truth the end-to-end checks need.
 * Everything here is plain data (typed arrays, arrays, maps) so that a state can be cloned for
 * stepping back and for the explorer.
 */
import { Geometry, Level } from '../kernel/geometry';

/** A pointer to an SPTE: (sp id, index), packed as spId * E + index. */
export type Sptep = number;

export interface KvmMmuPage {
  id: number;
  /** Direct SP: base gfn of the range it maps. Indirect SP: gfn of the guest table it shadows. */
  gfn: number;
  role: { level: Level; direct: boolean; access: number };
  /** SPTE flag bits per entry (see spte.ts). */
  flags: Uint8Array;
  /**
   * Leaf: pfn. Non-leaf: child SP id. 32 bits: a pfn below 2^32 is 16 TiB of host memory, which
   * the scenario parser enforces; half the memory of a float is what a full-scale split touches.
   */
  target: Uint32Array;
  /** shadowed_translation for indirect SPs: gfn each entry maps (kvm_mmu_page_get_gfn). */
  gfns: Float64Array | null;
  /** ACC_* each entry was made with, for indirect SPs (kvm_mmu_page_get_access). */
  accesses: Uint8Array | null;
  /** parent_ptes: SPTEs that point at this SP. */
  parentPtes: Sptep[];
  /** Name of the root this SP was first reached from, for display ("A", "B"). */
  rootName: string;
  /** Root SPs are pinned by the vCPU (root_count) and never linked under another SP. */
  isRoot: boolean;
  /**
   * Freed SPs stay in the array (ids are stable, never reused, so a Sptep names one allocation)
   * but are no longer in the hash nor on the active list. kvm_mmu_free_shadow_page() has run.
   */
  freed: boolean;
  /** Step of the kvm_mmu_commit_zap_page() that freed it; -1 while it lives. */
  freedAt: number;
  /** role.invalid: set by __kvm_mmu_prepare_zap_page(); an invalid SP never matches a hash lookup. */
  invalid: boolean;
  /** sp->mmu_valid_gen: obsolete (is_obsolete_sp()) once it differs from MmuState.mmuValidGen. */
  mmuValidGen: number;
  /** sp->root_count: vCPUs that have it loaded as their root (a root in use is zapped but not freed). */
  rootCount: number;
  /**
   * Ghost state, for the checks only (the kernel keeps nothing like it): the leaves __rmap_add()
   * filed under a gfn other than the one kvm_mmu_page_get_gfn() gives for them, index -> that gfn
   * and the step that filed it. An index absent here was filed where get_gfn says. Sparse, because
   * a correct run never fills it and a full-scale split allocates tens of thousands of SPs.
   */
  misfiled: Map<number, { gfn: number; step: number }> | null;
}

export interface Rmap {
  /** head[i] = sptep + 1 of the first SPTE mapping frame i at this level, 0 if none. */
  head: Int32Array;
  /** Further SPTEs of a frame (the kernel's pte_list_desc), keyed by frame index. */
  more: Map<number, Sptep[]>;
}

export interface Memslot {
  id: number;
  baseGfn: number;
  npages: number;
  /** pfn of baseGfn in the host; the host maps the slot linearly until a page is invalidated. */
  hostPfnBase: number;
  /** Largest level the host backing allows (1 GiB pages -> 3). */
  hostLevel: Level;
  logDirty: boolean;
  manualProtect: boolean;
  initiallySet: boolean;
  /** One byte a page for speed; a bit in the kernel. */
  dirtyBitmap: Uint8Array;
  /** rmap[level] for levels 1..3 (index 0 unused). */
  rmap: Rmap[];
  /** Host pages re-faulted after an invalidation: gfn ranges mapped to new pfns. */
  remaps: Array<{ gfn: number; npages: number; pfn: number }>;
  /** KVM_MEMSLOT_INVALID: a deletion has swapped in the invalid copy (kvm_invalidate_memslot()); faults on it retry. */
  invalid?: boolean;
}

/**
 * One entry of a guest page table as FNAME(walk_addr_generic) reads it: not present, a link to the
 * next table, a huge leaf (the page-size bit, levels 2 and 3) or a 4 KiB leaf (level 1). The guest's
 * accessed and dirty bits are taken as set (simplification 3 in docs/model.md).
 */
export interface GuestPte {
  kind: 'none' | 'table' | 'huge' | 'leaf';
  /** table: gfn of the next table; huge or leaf: the first gfn it maps. */
  gfn: number;
  /** ACC_* bits of the entry (a table link's bits limit everything below it). */
  access: number;
}

/**
 * A guest page table in guest memory, at the gfn it is keyed by in MmuState.guestMemory. Entries
 * absent from the map are not present (a zeroed page). Tables are never changed in place: a write
 * replaces the table object, so a cloned state can share them.
 */
export interface GuestTable {
  level: Level;
  entries: ReadonlyMap<number, GuestPte>;
}

export interface Root {
  name: string;
  /** gfn of the guest's top-level table (L1's EPTP for L2): the root SP's gfn (an indirect SP). */
  guestTableGfn: number;
  /** SP id of the root, or -1 until a vCPU loads it. */
  spId: number;
}

export interface TlbEntry {
  /** Stable id for display ("tlb#4"). */
  id: number;
  vcpu: number;
  root: string;
  l2Base: number;
  level: Level;
  gfnBase: number;
  pfnBase: number;
  writable: boolean;
  exec: boolean;
  /** Step that filled it. */
  filledAt: number;
}

export interface Vcpu {
  id: number;
  tlb: TlbEntry[];
  /**
   * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS is pending: the vCPU's next entry runs
   * kvm_mmu_free_obsolete_roots() and kvm_mmu_load() before the guest touches memory.
   */
  reloadPending?: boolean;
}

export interface Counters {
  remoteFlushes: number;
  fullFlushes: number;
  rangedFlushes: number;
  /** Sum of the `pages` argument of ranged flush calls (what the code asked for). */
  pagesFlushed: number;
  flushesSkipped: number;
  /** Flushes issued by eager split's __link_shadow_page (the ones the seed is about). */
  splitFlushes: number;
  spteWrites: number;
  spsCreated: number;
  spsReused: number;
  splits: number;
  faults: number;
  lockReleases: number;
  tlbFills: number;
  guestAccesses: number;
}

export function zeroCounters(): Counters {
  return {
    remoteFlushes: 0, fullFlushes: 0, rangedFlushes: 0, pagesFlushed: 0, flushesSkipped: 0, splitFlushes: 0,
    spteWrites: 0, spsCreated: 0, spsReused: 0, splits: 0, faults: 0, lockReleases: 0, tlbFills: 0,
    guestAccesses: 0,
  };
}

/** A change to the page tables that may leave a TLB entry stale; kept to explain violations. */
export interface UnmapEvent {
  step: number;
  gfn: number;
  npages: number;
  /** Step of the flush issued or skipped for it, once known. */
  flushStep: number;
  flushSkipped: boolean;
  /** A ranged flush that was issued for it but did not cover it. */
  missedBy?: number;
  what: string;
}

export interface MmuState {
  geo: Geometry;
  sps: KvmMmuPage[];
  /** role+gfn key -> SP id (mmu_page_hash). */
  hash: Map<string, number>;
  memslots: Memslot[];
  roots: Root[];
  /**
   * The guest's page tables (for the nested setup, L1's EPT tables for L2), keyed by gfn. Guest
   * memory that holds no table reads as not-present entries. Only tables are kept, not data.
   */
  guestMemory: Map<number, GuestTable>;
  vcpus: Vcpu[];
  mmuLockHeld: boolean;
  /** Host pfn ranges freed by an invalidation: [start, end). */
  freedPfns: Array<[number, number]>;
  nextHostPfn: number;
  nextTlbId: number;
  /** Ground truth: gfns written by the guest since each was last re-protected. */
  writtenSinceProtect: Set<number>;
  /** Last writing access per gfn, to name it in a lost-dirty-page report. */
  lastWrite: Map<number, { step: number; vcpu: number; tlbEntry: number | null }>;
  unmapEvents: UnmapEvent[];
  /**
   * gfn ranges of mmu-notifier invalidations between their start and their end
   * (mmu_invalidate_in_progress); which faults retry is invalidateRange's question (their hull).
   */
  invalidating: Array<[number, number]>;
  /**
   * [kvm->mmu_invalidate_range_start, mmu_invalidate_range_end) while mmu_invalidate_in_progress is
   * raised: the hull of the ranges of every invalidation that began since the count was last zero
   * (kvm_mmu_invalidate_begin() resets it when the count goes from 0 to 1,
   * kvm_mmu_invalidate_range_add() widens it; it is not narrowed when one of them ends). null while
   * no invalidation is in progress (the kernel leaves the old values there, unread until the next
   * begin resets them). mmu_invalidate_retry_gfn() retries a fault whose gfn is inside it.
   */
  invalidateRange: [number, number] | null;
  /** Indices into unmapEvents still waiting for a flush (kept apart so a flush costs what is pending). */
  unmapPending: number[];
  /**
   * kvm->arch.split_page_header_cache (and its twin split_shadow_page_cache): objects left. When
   * empty, need_topup_split_caches_or_resched() drops mmu_lock to refill them.
   */
  splitCacheObjects: number;
  /** pte_list_desc objects taken from split_desc_cache since its last top-up. */
  splitDescsUsed: number;
  /** kvm->arch.mmu_valid_gen: kvm_mmu_zap_all_fast() toggles it, making every SP obsolete. */
  mmuValidGen: number;
  /**
   * kvm->arch.active_mmu_pages as SP ids, oldest first: the kernel adds at the head and
   * kvm_zap_obsolete_pages() walks from the tail, i.e. from the front of this array (an array
   * appended to, because a full-scale split allocates tens of thousands of SPs).
   */
  activeMmuPages: number[];
  /** kvm->vm_bugged / vm_dead: a KVM_BUG_ON_DATA_CORRUPTION() fired (rmapMiss=warn); the step that did it. */
  vmBuggedAt: number;
  /** A BUG() fired (rmapMiss=bug): the host oopsed at this step, with this message; the run ends. */
  hostOops: { step: number; message: string } | null;
  counters: Counters;
}

export function sptepOf(state: MmuState, spId: number, index: number): Sptep {
  return spId * state.geo.entries + index;
}

export function sptepSp(state: MmuState, sptep: Sptep): number {
  return Math.floor(sptep / state.geo.entries);
}

export function sptepIndex(state: MmuState, sptep: Sptep): number {
  return sptep % state.geo.entries;
}

function cloneRmap(r: Rmap): Rmap {
  const more = new Map<number, Sptep[]>();
  if (r.more.size) for (const [k, v] of r.more) more.set(k, v.slice());
  return { head: copyInt32(r.head), more };
}

/*
 * The copies below are what the explorer's core engine spends most of a transition on (it clones
 * the state once a transition: docs/explorer.md, "What a core transition costs"). Typed arrays
 * are copied into a new array of the same length by a loop (the states' arrays are a few entries
 * long, where `slice()`'s builtin call costs more than the copy), objects are written as literals
 * of their type (one shape, no spread), and empty Maps and Sets are made empty rather than copied.
 * Still a deep copy: nothing of the result is shared with `s` but the geometry and what is
 * immutable (guest tables are replaced whole, never written in place).
 *
 * A long array is copied by `slice()` (one memcpy): the walk in the editor keeps a copy of every
 * state of its window (src/run/walkthrough.ts), and at 512 entries a table a memslot's rmap heads
 * run to thousands of entries, where the loop cost the walk most of a step's snapshot
 * (docs/testing.md, "What a step costs the workbench").
 */
const LOOP_COPY_MAX = 64;
function copyUint8(a: Uint8Array): Uint8Array {
  const n = a.length;
  if (n > LOOP_COPY_MAX) return a.slice();
  const out = new Uint8Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i];
  return out;
}

function copyUint32(a: Uint32Array): Uint32Array {
  const n = a.length;
  if (n > LOOP_COPY_MAX) return a.slice();
  const out = new Uint32Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i];
  return out;
}

function copyInt32(a: Int32Array): Int32Array {
  const n = a.length;
  if (n > LOOP_COPY_MAX) return a.slice();
  const out = new Int32Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i];
  return out;
}

function copyFloat64(a: Float64Array): Float64Array {
  const n = a.length;
  if (n > LOOP_COPY_MAX) return a.slice();
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = a[i];
  return out;
}

function cloneSp(sp: KvmMmuPage): KvmMmuPage {
  return {
    id: sp.id,
    gfn: sp.gfn,
    role: { level: sp.role.level, direct: sp.role.direct, access: sp.role.access },
    flags: copyUint8(sp.flags),
    target: copyUint32(sp.target),
    gfns: sp.gfns ? copyFloat64(sp.gfns) : null,
    accesses: sp.accesses ? copyUint8(sp.accesses) : null,
    parentPtes: sp.parentPtes.slice(),
    rootName: sp.rootName,
    isRoot: sp.isRoot,
    freed: sp.freed,
    freedAt: sp.freedAt,
    invalid: sp.invalid,
    mmuValidGen: sp.mmuValidGen,
    rootCount: sp.rootCount,
    misfiled: sp.misfiled ? new Map(sp.misfiled) : null,
  };
}

function cloneMemslot(m: Memslot): Memslot {
  const out: Memslot = {
    id: m.id,
    baseGfn: m.baseGfn,
    npages: m.npages,
    hostPfnBase: m.hostPfnBase,
    hostLevel: m.hostLevel,
    logDirty: m.logDirty,
    manualProtect: m.manualProtect,
    initiallySet: m.initiallySet,
    dirtyBitmap: copyUint8(m.dirtyBitmap),
    rmap: m.rmap.map((r) => (r ? cloneRmap(r) : r)),
    remaps: m.remaps.map((x) => ({ gfn: x.gfn, npages: x.npages, pfn: x.pfn })),
  };
  if (m.invalid !== undefined) out.invalid = m.invalid;
  return out;
}

function cloneTlbEntry(e: TlbEntry): TlbEntry {
  return { id: e.id, vcpu: e.vcpu, root: e.root, l2Base: e.l2Base, level: e.level, gfnBase: e.gfnBase, pfnBase: e.pfnBase, writable: e.writable, exec: e.exec, filledAt: e.filledAt };
}

function cloneVcpu(v: Vcpu): Vcpu {
  const tlb = v.tlb.map(cloneTlbEntry);
  return v.reloadPending ? { id: v.id, tlb, reloadPending: true } : { id: v.id, tlb };
}

function cloneUnmapEvent(e: UnmapEvent): UnmapEvent {
  const out: UnmapEvent = { step: e.step, gfn: e.gfn, npages: e.npages, flushStep: e.flushStep, flushSkipped: e.flushSkipped, what: e.what };
  if (e.missedBy !== undefined) out.missedBy = e.missedBy;
  return out;
}

/** A deep copy: stepping back restores one of these and replays forward. */
export function cloneState(s: MmuState): MmuState {
  return {
    geo: s.geo,
    sps: s.sps.map(cloneSp),
    hash: new Map(s.hash),
    memslots: s.memslots.map(cloneMemslot),
    roots: s.roots.map((r) => ({ name: r.name, guestTableGfn: r.guestTableGfn, spId: r.spId })),
    guestMemory: new Map(s.guestMemory),
    vcpus: s.vcpus.map(cloneVcpu),
    ...copyStateFields(s),
  };
}

/** The fields of a state that hold no SP, memslot, vCPU or table: what a fork copies as cloneState() does. */
export type StateFields = Omit<MmuState, 'geo' | 'sps' | 'hash' | 'memslots' | 'roots' | 'guestMemory' | 'vcpus'>;

/**
 * Those fields copied, for both cloneState() and the explorer's forkState() (fork.ts): one list,
 * so a field added to MmuState is copied by both or by neither (and then the share test fails).
 */
export function copyStateFields(s: MmuState): StateFields {
  return {
    mmuLockHeld: s.mmuLockHeld,
    freedPfns: s.freedPfns.map((x) => [x[0], x[1]] as [number, number]),
    nextHostPfn: s.nextHostPfn,
    nextTlbId: s.nextTlbId,
    writtenSinceProtect: s.writtenSinceProtect.size ? new Set(s.writtenSinceProtect) : new Set(),
    lastWrite: s.lastWrite.size ? new Map(s.lastWrite) : new Map(),
    unmapEvents: s.unmapEvents.map(cloneUnmapEvent),
    unmapPending: s.unmapPending.slice(),
    invalidating: s.invalidating.map((x) => [x[0], x[1]] as [number, number]),
    invalidateRange: s.invalidateRange ? [s.invalidateRange[0], s.invalidateRange[1]] : null,
    splitCacheObjects: s.splitCacheObjects,
    splitDescsUsed: s.splitDescsUsed,
    mmuValidGen: s.mmuValidGen,
    activeMmuPages: s.activeMmuPages.slice(),
    vmBuggedAt: s.vmBuggedAt,
    hostOops: s.hostOops ? { step: s.hostOops.step, message: s.hostOops.message } : null,
    counters: copyCounters(s.counters),
  };
}

/** The counters as a literal of their type (cheaper than a spread, which the explorer does once a transition). */
function copyCounters(c: Counters): Counters {
  return {
    remoteFlushes: c.remoteFlushes, fullFlushes: c.fullFlushes, rangedFlushes: c.rangedFlushes, pagesFlushed: c.pagesFlushed,
    flushesSkipped: c.flushesSkipped, splitFlushes: c.splitFlushes, spteWrites: c.spteWrites, spsCreated: c.spsCreated,
    spsReused: c.spsReused, splits: c.splits, faults: c.faults, lockReleases: c.lockReleases, tlbFills: c.tlbFills,
    guestAccesses: c.guestAccesses,
  };
}

/**
 * About how many bytes a state holds: exact for its typed arrays (SPTEs, shadowed gfns, dirty
 * bitmaps, rmap heads), which are nearly all of a large run, and a fixed guess per object for the
 * rest. The runner's memory cap counts this where the host has no measure of its own (a Web Worker).
 */
export function stateBytes(s: MmuState): number {
  const OBJECT = 64;
  let bytes = 0;
  for (const sp of s.sps) {
    bytes += OBJECT * 2 + sp.flags.byteLength + sp.target.byteLength + (sp.gfns?.byteLength ?? 0) + (sp.accesses?.byteLength ?? 0) + 8 * sp.parentPtes.length;
  }
  bytes += OBJECT * s.hash.size;
  for (const t of s.guestMemory.values()) bytes += OBJECT * (1 + t.entries.size);
  for (const m of s.memslots) {
    bytes += m.dirtyBitmap.byteLength;
    for (const r of m.rmap) {
      if (!r) continue;
      bytes += r.head.byteLength;
      for (const more of r.more.values()) bytes += OBJECT + 8 * more.length;
    }
  }
  for (const v of s.vcpus) bytes += OBJECT * v.tlb.length;
  bytes += 16 * s.writtenSinceProtect.size + OBJECT * (s.lastWrite.size + s.unmapEvents.length);
  return bytes;
}

/** The key of a root's guest table in the scenario's layout (guest_tables.ts): the table's level and the L2 base it maps. */
export function guestTableKey(level: number, l2Base: number): string {
  return `${level}:${l2Base}`;
}
