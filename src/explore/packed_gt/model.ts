/**
 * The guest-tables scope's packed transitions (docs/explorer.md, "The packed engine for the
 * guest-tables scope"), on the words of layout.ts, mirroring src/explore/model.ts transition by
 * transition; test/unit/explorer_packed_gt.test.ts and explorer_packed_gt_ops.test.ts hold each
 * to the core on every state of core searches (abstraction.ts maps the core's nodes).
 *
 * Stage 3a: the guest access with the root reload it may serve first (an invalid root committed and
 * freed, an obsolete one zapped and freed, a new one made), a TLB hit, a permission miss
 * that drops the entry, the hardware's shadow walk and TLB fill, the written-page ground truth, the
 * use-after-free check and the stale-access goal. Stage 3b: its fault, run whole as the explorer
 * runs it: the guest walk (a function of PD[0], tabulated), FNAME(fetch)'s descent with
 * kvm_mmu_get_child_sp() under the preset's childReuse (a present link kept, with the mismatch goal,
 * when the policy lets it pass; else link_shadow_page() over it with linkPresent=zap-and-flush: the
 * old child unlinked, zapped when left without a parent, recursively, each leaf through
 * rmap_remove() and its miss as the era reports it, then the commit or the flush), a new SP made in
 * its canonical slot (every reference to the slots after it renumbered), the link, the leaf with
 * __rmap_add() and its misfiled record, the rmap agreement check, the stale-TLB check at the unlock,
 * and the retried access. Stage 3c: the VMM's (untrapped) write of PD[0]. Stage 3d (gtops23): STEP
 * and RESUME (a resume names a paused frame by its place in the words, where the paused frames are
 * sorted), with the lock rules as functions of the words (locks.ts, read from the core's LOCK_TABLE)
 * for every frame kind; the guest's trapped write of PD[0] (trapped_write.ts: trap, memory write,
 * lock, the zap of each usable SP of PD's key, flush, unlock); the mmu-notifier invalidation
 * (invalidation.ts: lock, kvm_zap_all_rmap_sptes() without rmap_remove(), flush, unlock, the free of
 * the host page and its remap). Stage 3e (gtdel23):
 * memslot deletion under both slotZap values (deletion.ts), the reload of a root obsolete and not
 * yet zapped, the stopped faults of --fault-window (fault_window.ts); their steps are cases of
 * advanceCurrent(). What the model covers, the search and the CLI read from covers.ts; anything
 * else throws Unsupported and apply() answers UNSUPPORTED: the engine says so rather than guess.
 */
import { Geometry } from '../../kernel/geometry';
import {
  ACC_EXEC_MASK, ACC_WRITE_MASK, SPTE_ACCESSED, SPTE_EXEC, SPTE_HOST_WRITABLE, SPTE_MMU_WRITABLE, SPTE_PRESENT,
  SPTE_WRITABLE, isLastSpte,
} from '../../kernel/spte';
import { walkGuest, type GuestWalk } from '../../mmu/guest_walk';
import { eraOf, linkZapsAndFlushes, unknownPolicy, type Variant } from '../../kernel/variants';
import type { Scope } from '../bound';
import { RESUME_BASE, STEP } from '../model';
import { GT } from '../scope_guest_tables';
import { G_CHILD_MISMATCH, G_GUEST_TABLE_CHANGED, G_STALE_ACCESS } from '../goals';
import { initialState } from '../../run/initial_state';
import { sortPaused } from './canon';
import { Unsupported, type GtEngine, type GtViolation } from './engine';
import { advanceDeletion, startDeletion } from './deletion';
import { startGuestWrite, stepGuestWrite } from './trapped_write';
import { startInvalidation, stepInvalidation } from './invalidation';
import { advanceStoppedFault, startStoppedFault } from './fault_window';
import { actionLacks } from './covers';
import { invalidationInProgress, resumeEnabled, stepEnabled } from './locks';
import {
  E_FLAGS, E_GFN_ACCESS, E_MISFILED, GFN_MASK, gfnAccess, E_TARGET, F_EEXIST, F_KIND, F_LIST, F_PCHILD, F_PSPTEP, F_RECHECKED, F_VCPU,
  GtLayout, K_DELETE, K_FAULT, K_INVALIDATE, K_WRITE, LIFE_FREED, LIFE_INVALID, LIFE_OBSOLETE, LIFE_ROOT_SHIFT, M_GONE, M_INVALID, M_LOG, PFN_NEW,
  T_BYTES, withPd0,
} from './layout';

/** dispatch()'s kinds of menu action. */
const A_OTHER = 0;
const A_ACCESS = 1;
const A_WALKED = 2;
const A_GUEST_WRITE = 3;
const A_VMM_WRITE = 4;
const A_INVALIDATE = 5;
const A_DELETE = 6;

/** apply()'s answer when the action is one this stage does not model yet. */
export const UNSUPPORTED = 'unsupported';

export type { GtViolation } from './engine';

export class PackedGtModel implements GtEngine {
  /** The SP slots of the key that shadows PD (the one indirect key at PD's gfn, checked in the constructor). */
  readonly pdKey: number;
  readonly L: GtLayout;
  readonly geo: Geometry;
  /** The successor apply() made. */
  s: Uint8Array;
  violation: GtViolation | null = null;
  /** Goals (goals.ts) the last transition reached. */
  reached = 0;
  /** A frame's room, for resume(). */
  private readonly scratch: Uint8Array;
  /** The root's key index (its slots hold the root SPs). */
  readonly rootKey: number;
  /** walks[(pd0 * 2 + write) * addrs + addr]: the guest walk with PD[0] = pd0s[pd0], null if it fails. */
  readonly walks: Array<GuestWalk | null>;
  /** walkCodes[i]: the gfn code of walks[i]'s page (L.gfnCode()), 0 where walks[i] is null. */
  private readonly walkCodes: Int32Array;
  readonly addrs: number;
  /** Each menu action's kind (A_ACCESS ...), vCPU, address or memslot, and whether it writes (dispatch()). */
  private readonly actKind: Uint8Array;
  private readonly actVcpu: Int32Array;
  private readonly actArg: Int32Array;
  private readonly actWrite: Uint8Array;
  /** spteIndex()'s shift by level (log2 E times level - 1) and its mask (E - 1). */
  private readonly levelShift: number[];
  private readonly indexMask: number;
  /** Flags of a leaf the fault installs with ACC_ALL: what installLeaf() computes. */
  private readonly leafFlags: (access: number) => number;

  constructor(readonly scope: Scope, readonly variant: Variant) {
    this.L = new GtLayout(scope);
    const L = this.L;
    this.geo = new Geometry(scope.bound.entries);
    this.levelShift = [0, 0, this.geo.shift, 2 * this.geo.shift, 3 * this.geo.shift];
    this.indexMask = scope.bound.entries - 1;
    this.s = new Uint8Array(L.size);
    this.rootKey = L.keys.findIndex((k) => k.level === 4);
    this.scratch = new Uint8Array(L.fs);
    // The trapped write's zap walks the SPs of one key (in id order, which is slot order within a
    // key): the scope's one indirect key at PD's gfn, of level 2 (a level-1 SP there, which KVM
    // would unsync, would make the core refuse the write).
    const pdKeys = L.keys.map((k, i) => (k.gfn === GT.pd && !k.direct ? i : -1)).filter((i) => i >= 0);
    if (pdKeys.length !== 1 || L.keys[pdKeys[0]].level < 2) throw new Error('packed_gt: the scope has not one indirect level-2 key at PD\'s gfn');
    this.pdKey = pdKeys[0];
    const state = initialState(scope.scenario);
    let addrs = 0;
    for (const a of scope.menu) if (a.t === 'access') addrs = Math.max(addrs, a.addr + 1);
    this.addrs = addrs;
    this.walks = new Array<GuestWalk | null>(L.pd0s.length * 2 * addrs).fill(null);
    L.pd0s.forEach((pd0, c) => {
      const s = { ...state, guestMemory: withPd0(L.initialMemory, pd0) };
      for (let w = 0; w < 2; w++) {
        for (let addr = 0; addr < addrs; addr++) {
          const r = walkGuest(s, state.roots[0].guestTableGfn, addr, w ? 'write' : 'read');
          this.walks[(c * 2 + w) * addrs + addr] = r.ok ? r.walk : null;
        }
      }
    });
    this.walkCodes = Int32Array.from(this.walks, (gw) => (gw ? L.gfnCode(gw.gfn) : 0));
    this.parentStamp = new Int32Array(addrs);
    this.parentLeaf = new Int32Array(addrs);
    this.parentLevel = new Int32Array(addrs);
    this.tlbStamp = new Int32Array(2 * addrs);
    this.tlbKept = new Int32Array(2 * addrs);
    const n = scope.menu.length;
    this.actKind = new Uint8Array(n);
    this.actVcpu = new Int32Array(n);
    this.actArg = new Int32Array(n);
    this.actWrite = new Uint8Array(n);
    scope.menu.forEach((a, i) => {
      switch (a.t) {
        case 'access':
          this.actKind[i] = a.walked ? A_WALKED : A_ACCESS;
          this.actVcpu[i] = a.vcpu;
          this.actArg[i] = a.addr;
          this.actWrite[i] = a.kind === 'write' ? 1 : 0;
          break;
        case 'guest-table-write': this.actKind[i] = a.by === 'guest' ? A_GUEST_WRITE : A_VMM_WRITE; break;
        case 'invalidate': this.actKind[i] = A_INVALIDATE; break;
        case 'delete-memslot': this.actKind[i] = A_DELETE; this.actArg[i] = a.slot; break;
        default: this.actKind[i] = A_OTHER;
      }
    });
    this.leafFlags = (access) => SPTE_PRESENT | SPTE_ACCESSED | SPTE_HOST_WRITABLE |
      (access & ACC_WRITE_MASK ? SPTE_WRITABLE | SPTE_MMU_WRITABLE : 0) | (access & ACC_EXEC_MASK ? SPTE_EXEC : 0);
    switch (variant.childReuse) {
      case 'present': case 'gfn': case 'gfn-role': break;
      default: unknownPolicy('childReuse', variant.childReuse);
    }
  }

  /**
   * Apply action `action` (a menu index, STEP, or RESUME_BASE - i) to the words `from`: false when
   * it is not enabled (where the core's candidateActions() does not offer it, or its apply() refuses
   * it), UNSUPPORTED when this stage does not model it.
   */
  apply(from: Uint8Array, action: number): boolean | typeof UNSUPPORTED {
    this.violation = null;
    this.reached = 0;
    try {
      return this.dispatch(from, action);
    } catch (e) {
      if (e instanceof Unsupported) { this.violation = null; this.reached = 0; return UNSUPPORTED; }
      throw e;
    }
  }

  private dispatch(from: Uint8Array, action: number): boolean | typeof UNSUPPORTED {
    const L = this.L;
    // A BUG() ended the host: nothing runs after it (candidateActions()).
    if (from[L.dead] & 2) return false;
    if (action === STEP) return this.step(from);
    if (action <= RESUME_BASE) return this.resume(from, RESUME_BASE - action);
    // The menu action's fields from the constructor's tables: the menu's objects have several
    // shapes, and reading their fields here, every transition tried, was a property read V8
    // could not specialise.
    const k = this.actKind[action];
    // A bugged VM runs no vCPU and no VM ioctl; the host's mmu notifier and the VMM still write.
    if ((from[L.dead] & 1) && k !== A_INVALIDATE && k !== A_GUEST_WRITE && k !== A_VMM_WRITE) return false;
    switch (k) {
      case A_ACCESS: return this.access(from, this.actVcpu[action], this.actArg[action], this.actWrite[action] !== 0);
      case A_WALKED: return startStoppedFault(this, from, this.actVcpu[action], this.actArg[action], this.actWrite[action] !== 0);
      case A_GUEST_WRITE: return startGuestWrite(this, from, action);
      case A_VMM_WRITE: return this.vmmWrite(from, action);
      case A_INVALIDATE: return startInvalidation(this, from, action);
      case A_DELETE: return startDeletion(this, from, this.actArg[action]);
      default:
        // The dirty-log ioctls are not in this scope's menu.
        return UNSUPPORTED;
    }
  }

  /** STEP: the running operation advances one step, if no stopped fault holds what the step needs (locks.ts). */
  private step(from: Uint8Array): boolean | typeof UNSUPPORTED {
    if (!stepEnabled(this.L, from)) return false;
    const w = this.successor(from);
    if (!this.advanceCurrent(w)) return false;
    this.s = w;
    return true;
  }

  /**
   * RESUME_BASE - i: paused frame i continues (locks.ts resumeEnabled()): it leaves the paused ones,
   * the running operation (if any) joins them, and the resumed one takes one step as the running one.
   */
  private resume(from: Uint8Array, i: number): boolean | typeof UNSUPPORTED {
    const L = this.L;
    if (!resumeEnabled(L, from, i)) return false;
    const w = this.successor(from);
    const n = w[L.npaused];
    const at = L.paused + i * L.fs;
    const frame = this.scratch;
    const fs = L.fs;
    // Frame i out of the paused ones (the others stay sorted), the running one in, frame i running
    // (byte loops: a frame is tens of bytes, less than V8's calls into its runtime cost).
    for (let k = 0; k < fs; k++) frame[k] = w[at + k];
    for (let k = at, end = L.paused + (n - 1) * fs; k < end; k++) w[k] = w[k + fs];
    for (let k = L.paused + (n - 1) * fs, end = k + fs; k < end; k++) w[k] = 0;
    w[L.npaused] = n - 1;
    this.pauseCurrent(w);
    for (let k = 0; k < fs; k++) w[L.cur + k] = frame[k];
    if (!this.advanceCurrent(w)) return false;
    this.s = w;
    return true;
  }

  /**
   * One step of the running frame (ops/advance.ts advanceFrame()), a switch on its kind, and
   * `fresh` after it (model.ts stepWasVisible(), written only while mmu_lock is held, as the key
   * writes it). False when the step is refused: only a stopped fault's last step, whose retried
   * access faults again (model.ts retryWalkedAccess()). The lock rules (locks.ts stepEnabled(),
   * resumeEnabled()) were checked before this runs, for every kind.
   */
  private advanceCurrent(w: Uint8Array): boolean {
    const L = this.L;
    switch (w[L.cur + F_KIND]) {
      case K_WRITE: this.setFresh(w, stepGuestWrite(this, w)); return true;
      case K_INVALIDATE: this.setFresh(w, stepInvalidation(this, w)); return true;
      // These two set `fresh` themselves: the stopped fault's retried access counts in it too.
      case K_DELETE: advanceDeletion(this, w); return true;
      case K_FAULT: return advanceStoppedFault(this, w);
      default: throw new Error(`packed_gt: a frame of kind ${w[L.cur + F_KIND]}`);
    }
  }

  /** Node.fresh after a KVM step: the step changed what an access sees; kept in the words only while mmu_lock is held (no footprint: no --reduce por here). */
  setFresh(w: Uint8Array, visible: boolean): void {
    const L = this.L;
    w[L.fresh] = visible && w[L.lock] ? 1 : 0;
    w[L.foot] = 0;
  }

  /** The running frame ended: its words go (Node.current = null). */
  endCurrent(w: Uint8Array): void {
    for (let k = this.L.cur, end = k + this.L.fs; k < end; k++) w[k] = 0;
  }

  /**
   * The VMM writes PD[0] (model.ts guestTableWrite(), ops/guest_table_write.ts): one write a path,
   * where an operation could start (mmu_lock free), and only a write that changes the entry; guest
   * memory changes and nothing else. The running operation, if any, is paused.
   */
  private vmmWrite(from: Uint8Array, action: number): boolean {
    const L = this.L;
    const target = this.pd0Of(action);
    if (from[L.writes] >= 1 || from[L.lock] || from[L.pd0] === target) return false;
    const w = this.successor(from);
    w[L.pd0] = target;
    w[L.writes]++;
    this.pauseCurrent(w);
    this.reached |= G_GUEST_TABLE_CHANGED;
    this.s = w;
    return true;
  }

  /**
   * The words a transition changes: `from` copied into the buffer useBuffer() gave (the search's
   * slot where the successor waits for its lookup: search.ts), or a fresh copy without one. Every
   * transition makes its successor here and only here, once a transition, and never reads `from`
   * after it through the successor, so where the words are made changes nothing it computes.
   */
  successor(from: Uint8Array): Uint8Array {
    const t = this.target;
    if (t === null) return from.slice();
    t.set(from);
    return t;
  }

  /** Where successor() makes the next successors (null: a fresh copy each); never `from` itself. */
  private target: Uint8Array | null = null;

  /** Make the successors in `buffer` (L.size bytes) from now on, or in fresh copies (null). */
  useBuffer(buffer: Uint8Array | null): void {
    if (buffer !== null && buffer.length !== this.L.size) throw new Error(`packed_gt: a successor buffer of ${buffer.length} bytes, not ${this.L.size}`);
    this.target = buffer;
  }

  /** Whether the model has the transitions of menu action `action` (COVERS), and those of the frame it leaves running. */
  supports(action: number): boolean {
    return actionLacks(this.scope.menu[action]).length === 0;
  }

  /** PD[0] code each menu write sets (-1 for other actions). */
  private pd0OfAction: number[] | undefined;

  /** The PD[0] code menu write `action` sets. */
  pd0Of(action: number): number {
    this.pd0OfAction ??= this.scope.menu.map((a) => (a.t === 'guest-table-write' ? this.L.pd0Code(a.entry) : -1));
    return this.pd0OfAction[action];
  }

  /** The running operation joins the paused ones (kept sorted, as the key sorts them). */
  pauseCurrent(w: Uint8Array): void {
    const L = this.L;
    if (!w[L.cur + F_KIND]) return;
    const n = w[L.npaused];
    if (n >= L.nf - 1) throw new Error('packed_gt: no room for a paused frame');
    if (w[L.cur + F_LIST] > 1) throw new Error('packed_gt: a frame paused with an invalid list (layout.ts F_LIST)');
    for (let k = 0, to = L.paused + n * L.fs, cur = L.cur; k < L.fs; k++) { w[to + k] = w[cur + k]; w[cur + k] = 0; }
    w[L.npaused] = n + 1;
    sortPaused(L, w);
  }

  /** The slot of the root SP: the newest SP of the root's key. */
  rootSlot(w: Uint8Array): number {
    const L = this.L;
    for (let s = w[L.nsps] - 1; s >= 0; s--) if (w[L.spAt(s)] === 1 + this.rootKey) return s;
    throw new Error('packed_gt: no root SP');
  }

  /** The TLB entry of `vcpu` that covers `addr` (the first that does), or -1. */
  tlbLookup(w: Uint8Array, vcpu: number, addr: number): number {
    const L = this.L;
    const at = L.tlb + vcpu * L.tb + 1;
    for (let k = 0; k < L.nt; k++) {
      const p = at + k * T_BYTES;
      const level = w[p + 1];
      if (level === 0) break;
      if (addr >= w[p] && addr < w[p] + this.geo.pages(level)) return p;
    }
    return -1;
  }

  /**
   * The hardware's walk of the shadow tables: the byte offset of the leaf's SPTE, its level left in
   * walkLevel, or -1 at a not-present SPTE. No object made: it runs two or three times a transition.
   */
  shadowWalk(w: Uint8Array, addr: number): number {
    const L = this.L;
    let slot = this.rootSlot(w);
    for (let level = 4; level >= 1; level--) {
      const at = L.spteAt(slot, this.spteIndex(addr, level));
      const flags = w[at + E_FLAGS];
      if (!(flags & SPTE_PRESENT)) return -1;
      if (isLastSpte(flags, level)) { this.walkLevel = level; return at; }
      slot = w[at + E_TARGET] - 1;
    }
    throw new Error('packed_gt: the shadow walk fell off level 1');
  }

  /** The level of the leaf shadowWalk() last found. */
  walkLevel = 0;

  /**
   * The state the search is expanding (search.ts load()), whose shadow walks parentWalk() keeps by
   * address while it is the one: the menu's 16 accesses walk 4 addresses, each from the same
   * parent's SPs (docs/explorer.md, "The access's lookups made once", gtperf28). parentStamp[addr]
   * === stamp marks a kept walk; expanding() moves the stamp on, so no walk of an earlier parent
   * (the same buffer, loaded over) is read again.
   */
  private parentOf: Uint8Array | null = null;
  private stamp = 1;
  private readonly parentStamp: Int32Array;
  private readonly parentLeaf: Int32Array;
  private readonly parentLevel: Int32Array;
  /** emulating() of the state being expanded, by vCPU, kept under the same stamp. */
  private readonly emulStamp = new Int32Array(2);
  private readonly emulKept = new Uint8Array(2);
  /** parentTlb()'s lookups of the state being expanded, by vCPU * addrs + address. */
  private readonly tlbStamp: Int32Array;
  private readonly tlbKept: Int32Array;

  /**
   * The search's word: `from` holds the next state to expand and nothing writes it until the next
   * call (null: no such state). Every walk kept for the last one is dropped.
   */
  expanding(from: Uint8Array | null): void {
    this.parentOf = from;
    if (++this.stamp === 0x40000000) { this.stamp = 1; this.parentStamp.fill(0); this.emulStamp.fill(0); this.tlbStamp.fill(0); }
  }

  /** tlbLookup(w, vcpu, addr), kept for the state being expanded (a read and a write of each address look up the same entry). */
  private parentTlb(w: Uint8Array, vcpu: number, addr: number): number {
    if (w !== this.parentOf) return this.tlbLookup(w, vcpu, addr);
    const i = vcpu * this.addrs + addr;
    if (this.tlbStamp[i] !== this.stamp) {
      this.tlbStamp[i] = this.stamp;
      this.tlbKept[i] = this.tlbLookup(w, vcpu, addr);
    }
    return this.tlbKept[i];
  }

  /** shadowWalk(w, addr), kept for the state being expanded (expanding()) and read again from there. */
  parentWalk(w: Uint8Array, addr: number): number {
    if (w !== this.parentOf) return this.shadowWalk(w, addr);
    if (this.parentStamp[addr] === this.stamp) {
      this.walkLevel = this.parentLevel[addr];
      return this.parentLeaf[addr];
    }
    const leaf = this.shadowWalk(w, addr);
    this.parentStamp[addr] = this.stamp;
    this.parentLeaf[addr] = leaf;
    this.parentLevel[addr] = this.walkLevel;
    return leaf;
  }

  /**
   * SPTE_INDEX(addr, level) (Geometry.index()) as a shift and a mask: E is a power of two and the
   * scope's addresses are small non-negative integers (a menu's, or a TLB entry's byte), for which
   * floor(addr / E^(level - 1)) % E is the same number.
   */
  spteIndex(addr: number, level: number): number {
    return (addr >>> this.levelShift[level]) & this.indexMask;
  }

  freed(w: Uint8Array, pfn: number): boolean {
    const L = this.L;
    for (let k = 0; k < w[L.freed]; k++) if (w[L.freed + 1 + k] === pfn) return true;
    return false;
  }

  /** The gfn code of the page whose host page `pfn` (a code) is: pfnToGfn(). */
  private pfnToGfn(w: Uint8Array, pfn: number): number {
    const L = this.L;
    if (pfn < PFN_NEW) return pfn;
    // Each host page handed out is remapped once (a deleted memslot's remaps leave the list with it).
    const r = L.remaps;
    for (let k = w[r] - 1; k >= 0; k--) if (w[r + 2 + 2 * k] === pfn) return w[r + 1 + 2 * k];
    throw new Error('packed_gt: a host page no memslot maps');
  }

  /** A memslot that is there and not being deleted holds the page of gfn code `g`. */
  liveSlotHolds(w: Uint8Array, g: number): boolean {
    const L = this.L;
    for (let s = L.slotIds.length - 1; s >= 0; s--) {
      if (g - 1 >= L.slotFirst[s]) return (w[L.slotAt[s]] & (M_GONE | M_INVALID)) === 0;
    }
    return false;
  }

  /** A vCPU inside KVM (its stopped fault, or its trapped write being emulated) makes no access. */
  emulating(w: Uint8Array, vcpu: number): boolean {
    // Asked for each of a vCPU's 8 accesses (E = 4) of the state being expanded: kept as its walks are.
    if (w === this.parentOf) {
      if (this.emulStamp[vcpu] !== this.stamp) {
        this.emulStamp[vcpu] = this.stamp;
        this.emulKept[vcpu] = this.frameInKvm(w, vcpu) ? 1 : 0;
      }
      return this.emulKept[vcpu] !== 0;
    }
    return this.frameInKvm(w, vcpu);
  }

  /** emulating() read off the frames. */
  private frameInKvm(w: Uint8Array, vcpu: number): boolean {
    const L = this.L;
    if (inKvm(w, L.cur, vcpu)) return true;
    for (let i = 0; i < w[L.npaused]; i++) if (inKvm(w, L.paused + i * L.fs, vcpu)) return true;
    return false;
  }

  /** model.ts access(): the access, and its faults run whole, each followed by the access again. */
  private access(from: Uint8Array, vcpu: number, addr: number, write: boolean): boolean | typeof UNSUPPORTED {
    const L = this.L;
    const lock = from[L.lock] !== 0;
    if (from[L.acc] >= this.scope.bound.accesses || (lock && !from[L.fresh]) || this.emulating(from, vcpu)) return false;
    const reload = from[L.tlb + vcpu * L.tb] !== 0;
    const hit = this.parentTlb(from, vcpu, addr);
    if (hit >= 0 && from[hit + 1] !== 1) return UNSUPPORTED;
    const hitPermits = hit >= 0 && permits(write, from[hit + 4]);
    // A TLB hit that adds nothing (a read, or a write to a page already written) and reaches a live page.
    if (hitPermits && !reload && !this.freed(from, from[hit + 3]) && (!write || from[L.written + from[hit + 2] - 1])) return false;
    if (reload && lock) return false;
    const wi = (from[L.pd0] * 2 + (write ? 1 : 0)) * this.addrs + addr;
    const gw = this.walks[wi];
    // The walk's page as a gfn code (L.gfnCode(gw.gfn), made once in the constructor; 0 without a walk).
    const g = this.walkCodes[wi];
    if (gw && !this.liveSlotHolds(from, g)) return false;
    // The hardware's walk of the parent's shadow tables for this access, when it was made (-2: not
    // made), and its level. Where the access may not fault (below: no operation left, mmu_lock held,
    // no guest walk, the page in the invalidation range) and no root reload comes first, it
    // completes exactly when the hardware's first try does, and that try reads nothing the copy
    // would change (the walk reads the SPs; the TLB entry a permission fault drops is not read
    // again): refused without a copy (hardwareCompletes(): a permitting TLB hit, or this walk). At
    // the default bound this leaves 331,299 copies of 472,587 (141,288 accesses refused here).
    let leaf = -2;
    let leafLevel = 0;
    if (!reload && !hitPermits) {
      leaf = this.parentWalk(from, addr);
      leafLevel = this.walkLevel;
      if ((from[L.ops] >= this.scope.bound.ops || lock || gw === null || L.inHull(from, g)) &&
        (leaf < 0 || (write && !(from[leaf + E_FLAGS] & SPTE_WRITABLE)))) return false;
    }
    const w = this.successor(from);
    // The copy has the parent's bytes, so the parent's TLB hit and walk are at the same offsets in
    // it (docs/explorer.md, "The access's lookups made once", gtperf28): noteStaleAccess() and the
    // first hardwareAccess() are given them instead of looking again.
    this.noteStaleAccessAt(w, from, addr, hit, hitPermits);
    // kvm_mmu_load()'s local flush empties the vCPU's TLB (no hit after it), and the reload may
    // change the root (the walk is made again).
    let h = hit;
    if (reload) { this.reloadRoots(w, vcpu); h = -1; leaf = -2; }
    let ops = w[L.ops];
    for (let tries = 1; !this.hardwareAccessAt(w, vcpu, addr, write, h, leaf, leafLevel); tries++) {
      // The fault takes mmu_lock: only where an operation could start.
      // mmu_invalidate_retry_gfn(): not on a page inside the invalidation range (model.ts faultRetries()).
      if (tries > 2 || ops >= this.scope.bound.ops || lock || (gw !== null && L.inHull(w, g))) return false;
      // The guest walk fails: the fault goes to the guest, the access faults again, and again.
      if (!gw) return false;
      this.pauseCurrent(w);
      ops++;
      if (this.fault(w, gw, addr)) this.reached |= G_CHILD_MISMATCH;
      // The fault wrote the SPs and perhaps the TLBs: looked up again.
      h = this.tlbLookup(w, vcpu, addr);
      leaf = -2;
      this.noteStaleAccessAt(w, w, addr, h, h >= 0 && permits(write, w[h + 4]));
    }
    w[L.ops] = ops;
    w[L.acc]++;
    this.s = w;
    return true;
  }

  /**
   * KVM_REQ_MMU_FREE_OBSOLETE_ROOTS before the vCPU enters the guest (ops/root_reload.ts): an obsolete
   * or invalid root loses the vCPUs' reference; at none, an invalid root is committed (every TLB
   * flushed, the SP freed: off the active list, and off the hash, which follows from the words);
   * kvm_mmu_load() finds or makes the root, and the vCPU's own TLB is emptied. A root that is
   * obsolete but not yet zapped is zapped here (kvm_mmu_prepare_zap_page()) and committed.
   */
  reloadRoots(w: Uint8Array, vcpu: number): void {
    const L = this.L;
    w[L.tlb + vcpu * L.tb] = 0;
    const old = this.rootSlot(w);
    const at = L.spAt(old) + 1;
    const life = w[at];
    if (life & (LIFE_INVALID | LIFE_OBSOLETE)) {
      const count = Math.max(0, (life >> LIFE_ROOT_SHIFT) - 1);
      w[at] = (life & ((1 << LIFE_ROOT_SHIFT) - 1)) | (count << LIFE_ROOT_SHIFT);
      if (count === 0) {
        if (!(life & LIFE_INVALID)) {
          // Obsolete, not zapped yet: kvm_mmu_prepare_zap_page() of the root (its count now 0, so it
          // is listed with the children left without a parent), then the commit: flush, free.
          const list: number[] = [];
          this.prepareZap(w, old, list);
          this.flushAll(w);
          for (const s of list) {
            w[L.spAt(s) + 1] |= LIFE_FREED;
            this.offActiveList(w, s);
          }
        } else if (!(life & LIFE_FREED)) {
          this.flushAll(w);
          w[at] |= LIFE_FREED;
          this.offActiveList(w, old);
        }
      }
      const root = this.getShadowPage(w, this.rootKey);
      const r = L.spAt(root) + 1;
      const n = (w[r] >> LIFE_ROOT_SHIFT) + 1;
      if (n > 3) throw new Error('packed_gt: a root count above 3');
      w[r] = (w[r] & ((1 << LIFE_ROOT_SHIFT) - 1)) | (n << LIFE_ROOT_SHIFT);
    }
    // kvm_mmu_load(): a local flush with the new root.
    for (let k = L.tlb + vcpu * L.tb + 1, end = L.tlb + (vcpu + 1) * L.tb; k < end; k++) w[k] = 0;
  }

  /** Clear an SPTE and what the words keep beside it (a non-leaf's parent link follows from the words). */
  clearSpte(w: Uint8Array, slot: number, index: number): void {
    const at = this.L.spteAt(slot, index);
    w[at + E_FLAGS] = 0;
    w[at + E_TARGET] = 0;
    w[at + E_GFN_ACCESS] = 0;
  }

  /** Some present non-leaf SPTE links to `slot` (its parent_ptes are not empty). */
  hasParent(w: Uint8Array, slot: number): boolean {
    const L = this.L;
    for (let s = 0; s < w[L.nsps]; s++) {
      const level = L.keys[this.keyOf(w, s)].level;
      for (let i = 0; i < L.e; i++) {
        const at = L.spteAt(s, i);
        const f = w[at + E_FLAGS];
        if ((f & SPTE_PRESENT) && !isLastSpte(f, level) && w[at + E_TARGET] === 1 + slot) return true;
      }
    }
    return false;
  }

  /**
   * kvm_mmu_prepare_zap_page() of a non-root SP (mmu/zap.ts prepareZapInto()): its leaves dropped
   * through rmap_remove() (a miss is the era's data-corruption report), its links dropped and a
   * child left without a parent zapped in turn, its parents' links dropped, the SP invalid and on
   * the list.
   */
  prepareZap(w: Uint8Array, slot: number, list: number[]): void {
    const L = this.L;
    const at = L.spAt(slot);
    const level = L.keys[this.keyOf(w, slot)].level;
    for (let i = 0; i < L.e; i++) {
      const p = L.spteAt(slot, i);
      const f = w[p + E_FLAGS];
      if (!(f & SPTE_PRESENT)) continue;
      if (isLastSpte(f, level)) {
        this.dropLeafOrReport(w, slot, i);
        continue;
      }
      const child = w[p + E_TARGET] - 1;
      this.clearSpte(w, slot, i);
      if (!this.hasParent(w, child) && !(w[L.spAt(child) + 1] & LIFE_INVALID)) this.prepareZap(w, child, list);
    }
    for (let s = 0; s < w[L.nsps]; s++) {
      const lv = L.keys[this.keyOf(w, s)].level;
      for (let i = 0; i < L.e; i++) {
        const p = L.spteAt(s, i);
        const f = w[p + E_FLAGS];
        if ((f & SPTE_PRESENT) && !isLastSpte(f, lv) && w[p + E_TARGET] === 1 + slot) this.clearSpte(w, s, i);
      }
    }
    if ((w[at + 1] >> LIFE_ROOT_SHIFT) === 0) {
      if (!list.includes(slot)) list.push(slot);
    } else {
      // A root still loaded (a deletion's zap): off active_mmu_pages, kept until its vCPUs drop it;
      // every vCPU is asked to reload (KVM_REQ_MMU_FREE_OBSOLETE_ROOTS).
      this.offActiveList(w, slot);
      for (let v = 0; v < 2; v++) w[L.tlb + v * L.tb] = 1;
    }
    w[at + 1] |= LIFE_INVALID;
  }

  /**
   * drop_spte() of a present leaf with rmap_remove(): the SPTE is cleared; the gfn
   * kvm_mmu_page_get_gfn() computes names the rmap it is taken off; a miss (it was filed elsewhere,
   * or that gfn is in no live memslot) is pte_list_remove()'s report, as the era makes it (the host
   * oopses, or the VM is bugged), and the misfiled record stays.
   */
  dropLeafOrReport(w: Uint8Array, slot: number, index: number): void {
    const L = this.L;
    const gfn = this.spGetGfn(w, slot, index);
    const at = L.spteAt(slot, index);
    w[at + E_FLAGS] = 0;
    w[at + E_TARGET] = 0;
    w[at + E_GFN_ACCESS] = 0;
    const g = L.gfnCode(gfn);
    const live = g > 0 && !(w[L.slotAt[this.memslotOf(g)]] & M_GONE);
    if (live && this.rmapRemove(w, g, 1 + slot * L.e + index)) {
      w[at + E_MISFILED] = 0;
      return;
    }
    if (!this.violation) this.violation = { kind: 'data-corruption', vcpu: -1, gfn };
    if (!live || eraOf(this.variant).rmapMiss === 'bug') w[L.dead] |= 2;
    else w[L.dead] |= 1;
  }

  /** kvm_flush_remote_tlbs() on bare metal: every vCPU's TLB emptied (the reloads owed stay). */
  flushAll(w: Uint8Array): void {
    const L = this.L;
    for (let v = 0; v < 2; v++) for (let k = L.tlb + v * L.tb + 1, end = L.tlb + (v + 1) * L.tb; k < end; k++) w[k] = 0;
  }

  /** list_del() from active_mmu_pages, the others keeping their order. */
  offActiveList(w: Uint8Array, slot: number): void {
    const L = this.L;
    for (let k = 0; k < L.nsp && w[L.active + k]; k++) {
      if (w[L.active + k] !== 1 + slot) continue;
      for (let j = L.active + k, end = L.active + L.nsp - 1; j < end; j++) w[j] = w[j + 1];
      w[L.active + L.nsp - 1] = 0;
      return;
    }
  }

  /** Any invalidation in flight (between its start and its end): a memslot swap waits for it (locks.ts). */
  invalidationInProgress(w: Uint8Array): boolean {
    return invalidationInProgress(this.L, w);
  }

  /** The stale-access goal: the TLB entry about to be used maps a page its root no longer maps there. */
  noteStaleAccess(w: Uint8Array, vcpu: number, addr: number, write: boolean): void {
    const hit = this.tlbLookup(w, vcpu, addr);
    this.noteStaleAccessAt(w, w, addr, hit, hit >= 0 && permits(write, w[hit + 4]));
  }

  /**
   * noteStaleAccess() given the TLB lookup's answer on `w` (`hit`, and whether it permits the
   * access), the shadow walk read off `walkOn`: `w` itself, or the parent whose copy `w` still is
   * (access() before it writes the copy, so that the walk kept for the parent serves).
   */
  private noteStaleAccessAt(w: Uint8Array, walkOn: Uint8Array, addr: number, hit: number, hitPermits: boolean): void {
    if (!hitPermits) return;
    const leaf = this.parentWalk(walkOn, addr);
    if (leaf < 0 || this.walkLevel !== 1 || w[leaf + E_TARGET] !== w[hit + 3]) this.reached |= G_STALE_ACCESS;
  }

  /** guest_access.ts guestAccess() without the reload: true when it completes, false when it faults. */
  hardwareAccess(w: Uint8Array, vcpu: number, addr: number, write: boolean): boolean {
    return this.hardwareAccessAt(w, vcpu, addr, write, this.tlbLookup(w, vcpu, addr), -2, 0);
  }

  /**
   * hardwareAccess() given tlbLookup(w, vcpu, addr) (`hit`) and, unless `walked` is -2,
   * shadowWalk(w, addr)'s answer and its level: what access() read off the parent, whose bytes
   * the copy has (neither changes when the TLB entry a permission fault drops goes: the walk reads
   * the SPs).
   */
  private hardwareAccessAt(w: Uint8Array, vcpu: number, addr: number, write: boolean, hit: number, walked: number, walkedLevel: number): boolean {
    const L = this.L;
    if (hit >= 0 && w[hit + 1] !== 1) throw new Unsupported();
    let gfn: number;
    let pfn: number;
    if (hit >= 0 && permits(write, w[hit + 4])) {
      gfn = w[hit + 2];
      pfn = w[hit + 3];
    } else {
      if (hit >= 0) {
        // A permission fault drops the entry; the CPU walks the tables again.
        const end = L.tlb + vcpu * L.tb + L.tb;
        for (let j = hit; j < end - T_BYTES; j++) w[j] = w[j + T_BYTES];
        for (let j = end - T_BYTES; j < end; j++) w[j] = 0;
      }
      let leaf = walked;
      let level = walkedLevel;
      if (leaf === -2) { leaf = this.shadowWalk(w, addr); level = this.walkLevel; }
      if (leaf < 0 || (write && !(w[leaf + E_FLAGS] & SPTE_WRITABLE))) return false;
      if (level !== 1) throw new Unsupported();
      const flags = w[leaf + E_FLAGS];
      pfn = w[leaf + E_TARGET];
      gfn = this.pfnToGfn(w, pfn);
      const at = L.tlb + vcpu * L.tb + 1;
      let k = 0;
      while (k < L.nt && w[at + k * T_BYTES + 1] !== 0) k++;
      if (k === L.nt) throw new Error('packed_gt: a TLB with no room');
      const p = at + k * T_BYTES;
      w[p] = addr;
      w[p + 1] = 1;
      w[p + 2] = gfn;
      w[p + 3] = pfn;
      w[p + 4] = (flags & SPTE_WRITABLE ? 1 : 0) | (flags & SPTE_EXEC ? 2 : 0);
    }
    if (write) w[L.written + gfn - 1] = 1;
    if (this.freed(w, pfn) && !this.violation) this.violation = { kind: 'use-after-free', vcpu, gfn: L.pageGfns[gfn - 1] };
    return true;
  }

  /** The key index of the SP in `slot`. */
  keyOf(w: Uint8Array, slot: number): number {
    return w[this.L.spAt(slot)] - 1;
  }

  /** kvm_mmu_page_get_gfn(sp, index) as a gfn (not a code). */
  spGetGfn(w: Uint8Array, slot: number, index: number): number {
    const k = this.L.keys[this.keyOf(w, slot)];
    if (!k.direct) {
      const c = w[this.L.spteAt(slot, index) + E_GFN_ACCESS] & GFN_MASK;
      return c === 0 ? 0 : this.L.pageGfns[c - 1];
    }
    return k.gfn + index * this.geo.pages(k.level);
  }

  /**
   * A new SP of key `key`, in its canonical slot: after every SP of its key and of the keys before
   * it. Every reference to a slot at or after that place moves up by one. Returns the slot.
   */
  private allocSp(w: Uint8Array, key: number): number {
    const L = this.L;
    const e = L.e;
    const n = w[L.nsps];
    if (n >= L.nsp) throw new Error('packed_gt: no SP slot left');
    let p = 0;
    while (p < n && w[L.spAt(p)] <= 1 + key) p++;
    // Slots p.. move up one (from the last: they overlap), slot p cleared. Loops, not copyWithin()
    // and fill(): a few slots of tens of bytes, less than V8's calls into its runtime cost.
    for (let j = L.spAt(n) - 1, d = L.ss; j >= L.spAt(p); j--) w[j + d] = w[j];
    for (let j = L.spAt(p), end = L.spAt(p + 1); j < end; j++) w[j] = 0;
    // References renumbered by slotRef() (1 + slot) and sptepRef() (1 + slot * E + index), below:
    // plain functions, not closures made on every call (this runs once a new SP).
    for (let s = 0; s <= n; s++) {
      if (s === p) continue;
      const level = L.keys[this.keyOf(w, s)].level;
      for (let i = 0; i < e; i++) {
        const at = L.spteAt(s, i);
        const f = w[at + E_FLAGS];
        if ((f & SPTE_PRESENT) && !isLastSpte(f, level)) w[at + E_TARGET] = slotRef(w[at + E_TARGET], p);
      }
    }
    for (let k = 0; k < w[L.rmap]; k++) w[L.rmap + 2 + 2 * k] = sptepRef(w[L.rmap + 2 + 2 * k], p, e);
    // The active list (freed SPs are off it, so it may be shorter than the SPs): renumbered, and the new SP at its end.
    let end = 0;
    for (; end < n && w[L.active + end]; end++) w[L.active + end] = slotRef(w[L.active + end], p);
    w[L.active + end] = 1 + p;
    if (w[L.cur + F_KIND]) renumberFrame(w, L.cur, p, e);
    for (let i = 0; i < w[L.npaused]; i++) renumberFrame(w, L.paused + i * L.fs, p, e);
    w[L.spAt(p)] = 1 + key;
    w[L.nsps] = n + 1;
    return p;
  }

  /** __kvm_mmu_get_shadow_page(): the newest SP of the key if it is usable (not freed, invalid or obsolete), else a new one. */
  getShadowPage(w: Uint8Array, key: number): number {
    const L = this.L;
    for (let s = w[L.nsps] - 1; s >= 0; s--) {
      if (this.keyOf(w, s) !== key) continue;
      if (!(w[L.spAt(s) + 1] & (LIFE_FREED | LIFE_INVALID | LIFE_OBSOLETE))) return s;
      break;
    }
    return this.allocSp(w, key);
  }

  /** kvm_mmu_get_child_sp()'s -EEXIST test on the child linked at a present, non-leaf SPTE. */
  childReusable(w: Uint8Array, child: number, key: number): boolean {
    const have = this.L.keys[this.keyOf(w, child)];
    const want = this.L.keys[key];
    switch (this.variant.childReuse) {
      case 'present': return true;
      case 'gfn': return have.gfn === want.gfn;
      case 'gfn-role': return this.keyOf(w, child) === key;
      default: return unknownPolicy('childReuse', this.variant.childReuse);
    }
  }

  /**
   * The fault, run whole (ops/fault.ts): lock, the descent from the root, the leaf, unlock with the
   * stale-TLB check. Returns whether it met a link to a child other than the one its walk asked for.
   */
  fault(w: Uint8Array, gw: GuestWalk, addr: number): boolean {
    const L = this.L;
    const geo = this.geo;
    const gfn = L.gfnCode(gw.gfn);
    if (gw.level !== 2 && gw.level !== 1) throw new Unsupported();
    let mismatch = false;
    let slot = this.rootSlot(w);
    // kvm_mmu_hugepage_adjust(): every memslot of the scope is backed by 4K host pages, so the goal is level 1.
    for (let level = 4; level > 1; level--) {
      const index = this.spteIndex(addr, level);
      const at = L.spteAt(slot, index);
      const flags = w[at + E_FLAGS];
      const present = (flags & SPTE_PRESENT) !== 0;
      if (present && isLastSpte(flags, level)) throw new Unsupported();
      const indirect = level > gw.level;
      const childGfn = indirect ? gw.tableGfn[level - 2] : geo.round(gw.gfn, level);
      const access = indirect ? gw.ptAccess[level - 2] : gw.pteAccess;
      const key = L.keyIndex(childGfn, level - 1, !indirect, access);
      if (key < 0) throw new Error(`packed_gt: no key for a child of gfn ${childGfn}`);
      let linked = present ? w[at + E_TARGET] - 1 : -1;
      if (linked >= 0 && this.childReusable(w, linked, key)) {
        if (this.keyOf(w, linked) !== key) mismatch = true;
        slot = linked;
        continue;
      }
      const before = w[L.nsps];
      const child = this.getShadowPage(w, key);
      // A new SP went in at `child`: the slots from there on, the parent's among them, moved up one.
      const moved = w[L.nsps] > before;
      const parent = moved && slot >= child ? slot + 1 : slot;
      if (moved && linked >= child) linked++;
      if (linked >= 0) {
        // The child linked here is not the one asked for: __link_shadow_page() zaps it
        // (mmu_page_zap_pte() -> drop_parent_pte()); a nested child left without a parent is zapped
        // too; then kvm_mmu_remote_flush_or_zap(): the commit (flush, free) or a full flush.
        mismatch = true;
        if (!linkZapsAndFlushes(this.variant)) throw new Unsupported();
        this.clearSpte(w, parent, index);
        const list: number[] = [];
        if (!this.hasParent(w, linked) && !(w[L.spAt(linked) + 1] & LIFE_INVALID)) this.prepareZap(w, linked, list);
        this.flushAll(w);
        for (const s of list) {
          w[L.spAt(s) + 1] |= LIFE_FREED;
          this.offActiveList(w, s);
        }
      }
      const p = L.spteAt(parent, index);
      w[p + E_FLAGS] = SPTE_PRESENT | SPTE_WRITABLE;
      w[p + E_TARGET] = 1 + child;
      if (!L.keys[this.keyOf(w, parent)].direct) {
        w[p + E_GFN_ACCESS] = gfnAccess(L.gfnCode(childGfn), access);
      }
      slot = child;
    }
    this.installLeaf(w, slot, this.spteIndex(addr, 1), gfn, gw.pteAccess);
    this.unlockCheck(w);
    return mismatch;
  }
  /** install_leaf: FNAME(fetch)'s last step at level 1 (ops/fault.ts installLeaf()). */
  installLeaf(w: Uint8Array, slot: number, index: number, gfn: number, access: number): void {
    const L = this.L;
    const s = this.memslotOf(gfn);
    if (w[L.slotAt[s]] & M_LOG) throw new Unsupported();
    const pfn = this.gfnToPfn(w, gfn);
    const flags = this.leafFlags(access);
    const at = L.spteAt(slot, index);
    const old = w[at + E_FLAGS];
    if ((old & SPTE_PRESENT) && w[at + E_TARGET] === pfn) {
      // mmu_spte_update(): the permission bits only; the rmap keeps the entry.
      w[at + E_FLAGS] = flags;
      return;
    }
    if (old & SPTE_PRESENT) this.dropLeafOrReport(w, slot, index);
    w[at + E_FLAGS] = flags;
    w[at + E_TARGET] = pfn;
    if (!L.keys[this.keyOf(w, slot)].direct) {
      w[at + E_GFN_ACCESS] = gfnAccess(gfn, access);
    }
    this.rmapAdd(w, gfn, 1 + slot * L.e + index);
    // The ghost record: filed under the walk's gfn, which kvm_mmu_page_get_gfn() may not give.
    const computed = this.spGetGfn(w, slot, index);
    w[at + E_MISFILED] = computed === L.pageGfns[gfn - 1] ? 0 : 1 + gfn;
    // The rmap agreement check on the leaf written (checks/rmap_agreement.ts).
    if (w[at + E_MISFILED] && !this.violation) this.violation = { kind: 'rmap-disagreement', vcpu: -1, gfn: computed };
  }

  /** The memslot (its place in the scope) whose page gfn code `g` is. */
  memslotOf(g: number): number {
    const L = this.L;
    for (let s = L.slotIds.length - 1; s >= 0; s--) if (g - 1 >= L.slotFirst[s]) return s;
    throw new Error('packed_gt: a gfn in no memslot');
  }

  /** gfnToPfn(): the page's latest remap, else its original host page (as pfn codes). */
  gfnToPfn(w: Uint8Array, g: number): number {
    const r = this.L.remaps;
    for (let k = w[r] - 1; k >= 0; k--) if (w[r + 1 + 2 * k] === g) return w[r + 2 + 2 * k];
    return g;
  }

  /** __rmap_add(): append to the page's rmap list. */
  private rmapAdd(w: Uint8Array, g: number, sptep: number): void {
    this.L.rmapAdd(w, g, sptep);
  }

  /** pte_list_remove(): take the entry off the page's rmap, keeping the others' order; false on a miss. */
  private rmapRemove(w: Uint8Array, g: number, sptep: number): boolean {
    return this.L.rmapRemove(w, g, sptep);
  }

  /** The fault's unlock: mmu_lock released, and every TLB entry its root no longer maps is a stale-TLB violation. */
  unlockCheck(w: Uint8Array): void {
    const L = this.L;
    for (let v = 0; v < 2; v++) {
      for (let k = 0; k < L.nt; k++) {
        const p = L.tlb + v * L.tb + 1 + k * T_BYTES;
        if (w[p + 1] === 0) break;
        const leaf = this.shadowWalk(w, w[p]);
        if ((leaf < 0 || w[leaf + E_TARGET] !== w[p + 3]) && !this.violation) this.violation = { kind: 'stale-tlb', strength: 'unmapped', vcpu: v, gfn: L.pageGfns[w[p + 2] - 1] };
      }
    }
  }
}

/** A slot reference (1 + slot) after a new SP went in at slot p: the slots from p on moved up one. */
function slotRef(v: number, p: number): number {
  return v >= 1 + p ? v + 1 : v;
}

/** An SPTE reference (1 + slot * E + index) after a new SP went in at slot p. */
function sptepRef(v: number, p: number, e: number): number {
  return v >= 1 + p * e ? v + e : v;
}

/** allocSp()'s renumbering of the frame at `at` after a new SP went in at slot p. */
function renumberFrame(w: Uint8Array, at: number, p: number, e: number): void {
  const kind = w[at + F_KIND];
  if (kind === K_FAULT) {
    w[at + F_EEXIST] = sptepRef(w[at + F_EEXIST], p, e);
    w[at + F_PCHILD] = slotRef(w[at + F_PCHILD], p);
    w[at + F_PSPTEP] = sptepRef(w[at + F_PSPTEP], p, e);
  } else if (kind === K_WRITE && w[at + F_RECHECKED] >= 2) {
    // spCursor: 2 + slot.
    if (w[at + F_RECHECKED] >= 2 + p) w[at + F_RECHECKED]++;
  }
  // A list's marks are in its SPs' slots, which moved with them.
}

/** The frame at `at` keeps `vcpu` inside KVM: its stopped fault, or its trapped write (1 + vCPU; the VMM's is 0). */
function inKvm(w: Uint8Array, at: number, vcpu: number): boolean {
  return (w[at + F_KIND] === K_FAULT && w[at + F_VCPU] === vcpu) || (w[at + F_KIND] === K_WRITE && w[at + F_VCPU] === 1 + vcpu);
}

function permits(write: boolean, bits: number): boolean {
  return !write || (bits & 1) !== 0;
}
