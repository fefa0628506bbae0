/**
 * The packed state of the guest-tables scope (docs/explorer.md, "The packed engine for the
 * guest-tables scope"): a core explorer node of that scope as bytes, one byte a word, equal for two
 * nodes exactly when the core's canonical keys (canon.ts) are.
 *
 * Stage 2 of the engine: the layout and the abstraction map (abstraction.ts). No transition is
 * written here yet, and nothing of this folder is reachable from the CLI.
 *
 * Shadow pages sit in slots allocated on demand and kept in canonical order: by the index of their
 * hash key (gfn, level, direct, access) in keyTable(), then by creation, which is the order the
 * core's key ranks them in, so a slot's position is the SP's rank and a reference to an SP is its
 * slot. Two codes carry the gfns and pfns the key writes in full: gfnCode() and pfnCode().
 */
import { ACC_ALL } from '../../kernel/spte';
import { walkGuest } from '../../mmu/guest_walk';
import { initialState } from '../../run/initial_state';
import type { GuestPte, GuestTable, MmuState } from '../../model/state';
import type { Scope } from '../bound';
import { GT, pdeTargets } from '../scope_guest_tables';

/** An SP's hash key, as the core ranks SPs: gfn, level, direct, access. */
export interface SpKey { gfn: number; level: number; direct: boolean; access: number }

/** Frame kinds (the byte at F_KIND; 0 = no frame). */
export const K_NONE = 0;
export const K_FAULT = 1;
export const K_INVALIDATE = 2;
export const K_DELETE = 3;
export const K_WRITE = 4;

/** Program counters by kind, in the order of their codes (1 + index). */
export const PCS: Record<number, readonly string[]> = {
  [K_FAULT]: ['inject', 'lock', 'walk', 'flush', 'link', 'unlock'],
  [K_INVALIDATE]: ['lock', 'zap', 'flush', 'unlock', 'free'],
  [K_DELETE]: ['slots-lock', 'invalidate', 'zap-lock', 'gen', 'zap', 'unmap', 'remote-flush', 'slot-zap', 'zap-unlock', 'commit-flush', 'commit-free', 'delete', 'slots-unlock'],
  [K_WRITE]: ['trap', 'write', 'lock', 'zap', 'flush', 'unlock'],
};

/** A program counter's code in the words (1 + its place in PCS[kind]; 0 is no frame). */
export function pcOf(kind: number, name: string): number {
  const i = PCS[kind].indexOf(name);
  if (i < 0) throw new Error(`packed_gt: no pc ${name}`);
  return 1 + i;
}

/** Offsets inside a frame. */
export const F_KIND = 0;
export const F_PC = 1;
/** fault: vCPU; write: 1 + vCPU for the guest's store, 0 for the VMM's. */
export const F_VCPU = 2;
/** fault: address; invalidate: gfn code; delete: memslot id; write: 1 + target index. */
export const F_ARG = 3;
/** fault: 0 read, 1 write; delete: unmapFlush (0 absent, 1 + value); write: flush (0 absent, 1 + value). */
export const F_ARG2 = 4;
/** fault: its walk, 0 none, else 1 + the PD[0] code the walk read; invalidate, delete, write: 1 + zapped (0 absent). */
export const F_WALK = 5;
/** fault: rechecked (0 absent, else the level); write: spCursor (0 absent, 1 for -1, 2 + slot). */
export const F_RECHECKED = 6;
/** fault: eexistNoted (0 absent, 1 + sptep code). */
export const F_EEXIST = 7;
/** fault: mismatch (0 absent, 1 + value). */
export const F_MISMATCH = 8;
/** fault: pendingChild (0 for -1, 1 + slot). */
export const F_PCHILD = 9;
/** fault: pendingSptep (0 for -1, 1 + sptep code). */
export const F_PSPTEP = 10;
/** fault: walkedAccess (0 absent, 1 + value). */
export const F_WALKED = 11;
/**
 * fault and delete: invalidList (0 absent, 1 + its length). Its SPs are marked in their slots
 * (GtLayout.listAt(), 1 + place in the list), not in the frame: a frame's list holds SPs only
 * while it holds mmu_lock (a fault from its link zap to its flush step, a deletion from its zap
 * steps to its commit-free step, both under the lock), and only the running frame can hold the
 * lock (an operation is paused only where mmu_lock is free), so one list at most is not empty and
 * it is the running frame's. pauseCurrent() and the abstraction check it.
 */
export const F_LIST = 12;
/**
 * fault: 1 when an invalidation ended (kvm_mmu_invalidate_end(): mmu_invalidate_seq++) since the
 * stopped fault read mmu_invalidate_seq (FaultFrame.seqMoved), else 0.
 */
export const F_SEQ = 13;

/** SP life byte. */
export const LIFE_FREED = 1;
export const LIFE_INVALID = 2;
export const LIFE_OBSOLETE = 4;
/** root count << LIFE_ROOT_SHIFT (0 to 3). */
export const LIFE_ROOT_SHIFT = 3;

/**
 * Per SPTE of a slot: flag byte, target, an indirect SP's gfn code and access in one byte
 * (gfnAccess()), misfiled gfn code.
 */
export const E_FLAGS = 0;
export const E_TARGET = 1;
export const E_GFN_ACCESS = 2;
export const E_MISFILED = 3;
export const E_BYTES = 4;

/** Bits of E_GFN_ACCESS that hold the gfn code (the access, ACC_ALL at most, above them). */
export const GFN_BITS = 5;
export const GFN_MASK = (1 << GFN_BITS) - 1;

/** An indirect SP's entry's gfn code and access, as its E_GFN_ACCESS byte. */
export function gfnAccess(gfn: number, access: number): number {
  return gfn | (access << GFN_BITS);
}

/** TLB entry bytes: address, level, gfn code, pfn code, bits (1 writable, 2 exec). */
export const T_BYTES = 5;

/** Memslot status byte. */
export const M_GONE = 1;
export const M_INVALID = 2;
export const M_LOG = 4;
export const M_MANUAL = 8;
export const M_INIT_SET = 16;

/** Pfn codes of host pages handed out after an invalidation start here. */
export const PFN_NEW = 0x80;

function sameGuestPte(a: GuestPte | undefined, b: GuestPte | undefined): boolean {
  if (!a || !b) return a === b;
  return a.kind === b.kind && a.gfn === b.gfn && a.access === b.access;
}

/**
 * Every hash key an SP of the scope can have, in the core's rank order: the root's, and for every
 * value PD[0] can hold and every address the menu accesses, the indirect SPs of the guest walk's
 * tables and the direct SPs below a guest huge leaf. Found by walking, not listed.
 */
export function keyTable(scope: Scope, state: MmuState, pd0s: ReadonlyArray<GuestPte | undefined>): SpKey[] {
  const geo = state.geo;
  const keys = new Map<string, SpKey>();
  const add = (k: SpKey) => keys.set(`${k.gfn}.${k.level}.${k.direct}.${k.access}`, k);
  const top = state.roots[0].guestTableGfn;
  add({ gfn: top, level: 4, direct: false, access: ACC_ALL });
  const addrs = new Set<number>();
  for (const a of scope.menu) if (a.t === 'access') addrs.add(a.addr);
  for (const pd0 of pd0s) {
    const memory = withPd0(state.guestMemory, pd0);
    const s = { ...state, guestMemory: memory };
    for (const addr of addrs) {
      const r = walkGuest(s, top, addr, 'read');
      if (!r.ok) continue;
      const gw = r.walk;
      for (let level = 4; level >= 2; level--) {
        if (level > gw.level) add({ gfn: gw.tableGfn[level - 2], level: level - 1, direct: false, access: gw.ptAccess[level - 2] });
        else add({ gfn: geo.round(gw.gfn, level), level: level - 1, direct: true, access: gw.pteAccess });
      }
    }
  }
  return [...keys.values()].sort((x, y) => x.gfn - y.gfn || x.level - y.level || (x.direct ? 1 : 0) - (y.direct ? 1 : 0) || x.access - y.access);
}

/** Guest memory with PD[0] set to `pd0` (undefined: not present), the rest shared. */
export function withPd0(memory: ReadonlyMap<number, GuestTable>, pd0: GuestPte | undefined): Map<number, GuestTable> {
  const out = new Map(memory);
  const pd = memory.get(GT.pd)!;
  const entries = new Map(pd.entries);
  if (pd0 && pd0.kind !== 'none') entries.set(0, pd0); else entries.delete(0);
  out.set(GT.pd, { level: pd.level, entries });
  return out;
}

export class GtLayout {
  readonly e: number;
  /** The scope's memslot pages in order (memslot 0's, R1's, R2's): gfn code = 1 + place. */
  readonly pageGfns: number[] = [];
  /** First page of each memslot of the scope, in that order, and their ids and sizes. */
  readonly slotFirst: number[] = [];
  readonly slotIds: number[] = [];
  readonly slotPages: number[] = [];
  /** Original host pfn of each page (pfn code = 1 + place). */
  readonly pagePfns: number[] = [];
  /** The host pfn handed out first after an invalidation (pfn code PFN_NEW). */
  readonly firstNewPfn: number;
  /** The values PD[0] can hold: 0 the initial one, 1 + t the write's target t. */
  readonly pd0s: Array<GuestPte | undefined>;
  readonly initialMemory: ReadonlyMap<number, GuestTable>;
  readonly keys: SpKey[];
  /** gfnCode() by gfn, plus one (0: no page), up to the highest page's gfn. */
  private readonly codes: Int16Array;
  /** Capacities: SP slots, rmap entries a page, remaps, freed ranges, TLB entries a vCPU, frames. */
  readonly nsp: number;
  readonly nrm: number;
  readonly nremap: number;
  readonly nfreed: number;
  readonly nt: number;
  readonly nf: number;
  /** Bytes of a frame, of an SP slot, of a vCPU's TLB block. */
  readonly fs: number;
  readonly ss: number;
  readonly tb: number;

  // Header.
  readonly ops = 0;
  readonly acc = 1;
  readonly writes = 2;
  readonly lock = 3;
  readonly fresh = 4;
  readonly foot = 5;
  /** 1: the VM bugged; 2: the host oopsed. */
  readonly dead = 6;
  readonly pd0 = 7;
  readonly newPfns = 8;
  readonly nsps = 9;
  readonly npaused = 10;
  /**
   * The invalidation range while one is in progress (MmuState.invalidateRange): the gfn codes of
   * its first and last page (pages the menu invalidates), both 0 when none is. Compared by their
   * gfns (inHull(), widenHull()), not by code: the codes follow the memslots' order, which is not
   * the gfns' (the tables' memslot 0 lies above R1 and R2). Exact for every gfn a fault maps: a
   * memslot page, which has a code.
   */
  readonly hullLo = 11;
  readonly hullHi = 12;
  readonly slots: number;
  /** Each memslot's status byte (M_GONE ...), in the scope's order. */
  readonly slotAt: number[] = [];
  /**
   * The remaps of every memslot in one list: its length, then (gfn code, pfn code) each, by memslot
   * in the scope's order, each memslot's in the order they were made (the key's per-memslot lists,
   * one after the other: the gfn code names the memslot). One a page each; one by each invalidation.
   */
  readonly remaps: number;
  /** Each memslot's dirty bitmap as the scenario sets it: no transition of the scope writes it (no dirty logging: M_LOG is UNSUPPORTED), so the words leave it out and the abstraction checks it. */
  readonly initialBitmaps: number[][] = [];
  readonly freed: number;
  readonly written: number;
  readonly active: number;
  readonly sp: number;
  readonly rmap: number;
  readonly tlb: number;
  readonly cur: number;
  readonly paused: number;
  readonly size: number;

  constructor(readonly scope: Scope) {
    const bound = scope.bound;
    const e = bound.entries;
    this.e = e;
    const state = initialState(scope.scenario);
    this.initialMemory = state.guestMemory;
    for (const m of state.memslots) {
      this.slotFirst.push(this.pageGfns.length);
      this.slotIds.push(m.id);
      this.slotPages.push(m.npages);
      for (let i = 0; i < m.npages; i++) { this.pageGfns.push(m.baseGfn + i); this.pagePfns.push(m.hostPfnBase + i); }
    }
    if (this.pageGfns.length >= PFN_NEW - 1) throw new Error('packed_gt: too many memslot pages for the byte codes');
    this.firstNewPfn = state.nextHostPfn;
    this.pd0s = [state.guestMemory.get(GT.pd)!.entries.get(0), ...pdeTargets().map((t) => t.entry)];
    this.keys = keyTable(scope, state, this.pd0s);
    // (None past a million gfns: then gfnCode() searches pageGfns.)
    const top = Math.max(...this.pageGfns, 0);
    this.codes = new Int16Array(top < (1 << 20) ? top + 1 : 1);
    // The first page of a gfn gives its code, as pageGfns.indexOf() would.
    if (this.codes.length > 1) for (let i = this.pageGfns.length - 1; i >= 0; i--) this.codes[this.pageGfns[i]] = i + 2;
    const ops = bound.ops;
    if (this.pageGfns.length > GFN_MASK || ACC_ALL >> (8 - GFN_BITS) !== 0) throw new Error('packed_gt: gfn codes and accesses do not fit one byte');
    // SPs a path can make (they are never forgotten: a freed SP keeps its slot), from the bound:
    // - the first root;
    // - a fault makes at most three, one a level below the root (3, 2, 1): kvm_mmu_get_child_sp()
    //   once a level (the stopped fault's walk steps too: each re-walks from the root, under the
    //   mmu_lock the fault holds, and makes at most the SP of the first level missing); each fault
    //   is an operation of the bound (the access's faults, the stopped fault and its retry's fault
    //   each count one), and an access faults at most twice (model.ts access(): tries 1 and 2; a
    //   stopped fault and its retry);
    // - a new root, only when the newest root is freed, invalid or obsolete: made so by a memslot
    //   deletion (an operation of the bound that is not a fault) or by the one guest-table write's
    //   zap; never by an invalidation (it zaps leaves, no SP) nor by a fault's link zap (a root is
    //   no one's child).
    // So with F faults and D deletions, F + D <= ops and F <= 2 accesses:
    //   1 + 3F + (D + 1) <= 2 + ops + 2F <= 2 + ops + 2 min(ops, 2 accesses).
    // (It was 1 + 4 (ops + accesses), which counted a reload and three SPs for every operation and
    // every access alike: 25 slots at the default bound where 14 are enough.) allocSp() and the
    // abstraction throw where a state would need more, so a bound too tight stops, never merges.
    this.nsp = 2 + ops + 2 * Math.min(ops, 2 * bound.accesses);
    // A leaf joins an rmap only by a fault's install (one a fault); a remap and a freed range by an invalidation.
    // In all pages together: a leaf joins an rmap only by a fault's install, one a fault, and each fault is an operation.
    this.nrm = Math.max(1, ops);
    this.nremap = Math.max(1, ops); // in all memslots together
    this.nfreed = Math.max(1, ops);
    this.nt = Math.max(1, bound.accesses);
    // The running frame and the paused ones: every operation and the one write.
    this.nf = ops + 2;
    this.fs = F_SEQ + 1;
    // Key, life, the entries, the list mark (F_LIST); a whole number of words, so that the store
    // copies SP slots a word at a time (search.ts gtPack()); the pad stays zero.
    this.ss = (3 + E_BYTES * e + 3) & ~3;
    this.tb = 1 + T_BYTES * this.nt;
    let at = 13;
    this.slots = at;
    for (let i = 0; i < state.memslots.length; i++) {
      this.slotAt.push(at);
      this.initialBitmaps.push([...state.memslots[i].dirtyBitmap.slice(0, this.slotPages[i])]);
      at += 1;
    }
    this.remaps = at; at += 1 + 2 * this.nremap;
    this.freed = at; at += 1 + this.nfreed;
    this.written = at; at += this.pageGfns.length;
    // The three parts a stored state keeps (search.ts gtPack()) start at a word: the header to the
    // SP slots in use; the active list, never longer than the SPs in use, so only that many of its
    // bytes (in whole words); the rmaps to the last paused frame.
    at = (at + 3) & ~3;
    this.sp = at; at += this.nsp * this.ss;
    this.active = at; at += (this.nsp + 3) & ~3;
    this.rmap = at; at += 1 + 2 * this.nrm;
    this.tlb = at; at += 2 * this.tb;
    this.cur = at; at += this.fs;
    this.paused = at; at += (this.nf - 1) * this.fs;
    this.size = (at + 3) & ~3;
  }

  /** Page `g` (a gfn code, 1 + place) lies in the invalidation range of the words: mmu_invalidate_retry_gfn()'s range test. */
  inHull(w: Uint8Array, g: number): boolean {
    const lo = w[this.hullLo];
    if (lo === 0 || g <= 0) return false;
    const gfn = this.pageGfns[g - 1];
    return gfn >= this.pageGfns[lo - 1] && gfn <= this.pageGfns[w[this.hullHi] - 1];
  }

  /**
   * kvm_mmu_invalidate_begin() and kvm_mmu_invalidate_range_add() for page `g` (a gfn code): the
   * range reset to the page when no other invalidation is in flight (`first`), else widened to the
   * hull with it.
   */
  widenHull(w: Uint8Array, g: number, first: boolean): void {
    if (first || w[this.hullLo] === 0) { w[this.hullLo] = g; w[this.hullHi] = g; return; }
    const gfn = this.pageGfns[g - 1];
    if (gfn < this.pageGfns[w[this.hullLo] - 1]) w[this.hullLo] = g;
    if (gfn > this.pageGfns[w[this.hullHi] - 1]) w[this.hullHi] = g;
  }

  /** Gfn code: 0 for gfn 0, else 1 + the gfn's place among the memslot pages; -1 if it has none. */
  gfnCode(gfn: number): number {
    if (gfn === 0) return 0;
    // The codes by gfn up to the highest page's, made once (a transition asks several times).
    const codes = this.codes;
    if (gfn > 0 && gfn < codes.length) return codes[gfn] - 1;
    if (codes.length > 1) return -1;
    const i = this.pageGfns.indexOf(gfn);
    return i < 0 ? -1 : i + 1;
  }

  /** Pfn code: 1 + the place of a page's original host page, or PFN_NEW + k for the k-th handed out; -1 if neither. */
  pfnCode(pfn: number): number {
    const i = this.pagePfns.indexOf(pfn);
    if (i >= 0) return i + 1;
    const k = pfn - this.firstNewPfn;
    return k >= 0 && PFN_NEW + k < 256 ? PFN_NEW + k : -1;
  }

  /** Index of an SP's hash key in keyTable() (the slot's key byte is 1 + it); -1 if the scope has no such key. */
  keyIndex(gfn: number, level: number, direct: boolean, access: number): number {
    return this.keys.findIndex((k) => k.gfn === gfn && k.level === level && k.direct === direct && k.access === access);
  }

  /** PD[0]'s code: 0 the initial value, 1 + t the write's target t; -1 if neither. */
  pd0Code(pte: GuestPte | undefined): number {
    for (let i = 0; i < this.pd0s.length; i++) {
      const p = this.pd0s[i];
      if (sameGuestPte(pte, p) || (!pte && p?.kind === 'none') || (pte?.kind === 'none' && !p)) return i;
    }
    return -1;
  }

  /** Byte offset of SP slot i, and of its entry j. */
  spAt(i: number): number { return this.sp + i * this.ss; }
  spteAt(i: number, j: number): number { return this.sp + i * this.ss + 2 + j * E_BYTES; }
  /** Byte offset of SP slot i's list mark: 0, or 1 + its place in the running frame's invalid list (F_LIST). */
  listAt(i: number): number { return this.sp + i * this.ss + 2 + this.e * E_BYTES; }

  /**
   * The rmaps (level 1 only) of every page in one list at L.rmap: its length, then (gfn code,
   * 1 + slot x E + index) each, by page, each page's in list order (the key's per-page lists, one
   * after the other: the gfn code names the page). The entries of page `g`: from rmapStart(w, g)
   * while their gfn code is g.
   */
  rmapStart(w: Uint8Array, g: number): number {
    const r = this.rmap;
    const n = w[r];
    let k = 0;
    while (k < n && w[r + 1 + 2 * k] < g) k++;
    return k;
  }

  /** __rmap_add(): the SPTE at the end of page g's rmap list. */
  rmapAdd(w: Uint8Array, g: number, sptep: number): void {
    const r = this.rmap;
    const n = w[r];
    if (n >= this.nrm) throw new Error('packed_gt: an rmap with no room');
    let k = this.rmapStart(w, g);
    while (k < n && w[r + 1 + 2 * k] === g) k++;
    for (let j = n; j > k; j--) { w[r + 1 + 2 * j] = w[r - 1 + 2 * j]; w[r + 2 + 2 * j] = w[r + 2 * j]; }
    w[r + 1 + 2 * k] = g;
    w[r + 2 + 2 * k] = sptep;
    w[r] = n + 1;
  }

  /** pte_list_remove(): the SPTE off page g's rmap, the others keeping their order; false on a miss. */
  rmapRemove(w: Uint8Array, g: number, sptep: number): boolean {
    const r = this.rmap;
    const n = w[r];
    for (let k = this.rmapStart(w, g); k < n && w[r + 1 + 2 * k] === g; k++) {
      if (w[r + 2 + 2 * k] !== sptep) continue;
      this.rmapCut(w, k, k + 1);
      return true;
    }
    return false;
  }

  /** The rmap entries [from, to) out of the list, the others keeping their order. */
  rmapCut(w: Uint8Array, from: number, to: number): void {
    const r = this.rmap;
    const n = w[r];
    const d = to - from;
    if (d <= 0) return;
    for (let k = from; k + d < n; k++) { w[r + 1 + 2 * k] = w[r + 1 + 2 * (k + d)]; w[r + 2 + 2 * k] = w[r + 2 + 2 * (k + d)]; }
    for (let k = n - d; k < n; k++) { w[r + 1 + 2 * k] = 0; w[r + 2 + 2 * k] = 0; }
    w[r] = n - d;
  }

  /** The running frame's invalid list (F_LIST): its SPs' slots in list order. */
  runningList(w: Uint8Array): number[] {
    const n = w[this.cur + F_LIST] ? w[this.cur + F_LIST] - 1 : 0;
    const out: number[] = new Array<number>(n);
    let found = 0;
    for (let s = 0; s < w[this.nsps]; s++) {
      const p = w[this.listAt(s)];
      if (p) { out[p - 1] = s; found++; }
    }
    if (found !== n) throw new Error('packed_gt: the running frame\'s list and its SPs\' marks disagree');
    return out;
  }

  /** Set the running frame's invalid list to `list` (slots, in order): its length in the frame, each SP's place in its slot. */
  setRunningList(w: Uint8Array, list: readonly number[]): void {
    if (list.length > this.nsp) throw new Error('packed_gt: an invalid list longer than the SPs');
    for (let s = 0; s < w[this.nsps]; s++) w[this.listAt(s)] = 0;
    list.forEach((s, k) => { w[this.listAt(s)] = 1 + k; });
    w[this.cur + F_LIST] = 1 + list.length;
  }
}
