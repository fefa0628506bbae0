/**
 * The explorer's transitions on the packed state (layout.ts): the same KVM steps as the core's
 * operations (src/ops/*) at the same granularity, with the same checks, written for the explorer's
 * scope only, so that a transition is a copy of a few dozen bytes and a few byte updates instead of
 * a clone of the core's MmuState.
 *
 * Each function below names the core function it mirrors. The two must agree transition by
 * transition: test/unit/explorer_packed.test.ts maps core explorer nodes to packed states
 * (abstraction.ts) and checks, for every transition of whole core searches, that the packed
 * transition is enabled exactly when the core's is, leads to the image of the core's successor,
 * and reports the same first violation.
 */
import { dropFlushesTableGfn, enableLogAlwaysFlushes, linkZapsAndFlushes, slotZapsMemslotOnly, unknownPolicy, type Variant } from '../../kernel/variants';
import { assertPackedScope } from './assumptions';
import type { Scope } from '../scope';
import { STEP, RESUME_BASE } from '../model';
import {
  ABSENT, LEAF_RO, LEAF_W, LINK, HUGE_L2, Layout,
  K_NONE, K_ENABLE, K_CLEAR, K_GET, K_INVALIDATE,
  F_KIND, F_PC, F_ARG, F_WORD, F_FLUSH, F_HAS_SPLIT,
  S_PC, S_LEVEL, S_CURSOR, S_HUGE, S_REUSED, S_INDEX, S_FLUSH, S_RESCHED, S_START, S_END,
  SP_FIND, SP_RESCHED_UNLOCK, SP_RESCHED_LOCK, SP_GET_SP, SP_LOOP, SP_DROP, SP_FLUSH, SP_LINK, SP_DONE,
  getBit, setBit, clearBit, setBits, anyBit, fillBytes, moveBytes, fillWords, copyWords, getL1, setL1,
} from './layout';
import { G_SPLIT, G_REUSED, G_REUSED_NONLEAF, G_FLUSH_SKIPPED, G_FAULT_IN_WINDOW, G_STALE_ENTRY, G_STALE_ACCESS } from '../goals';

/** Program counters of the operations (their frames' pc in src/model/frames.ts). */
export const EN = { FLAGS: 0, INIT_SET: 1, SPLIT_LOCK: 2, SPLIT: 3, WP_LOCK: 4, WP: 5, WP_UNLOCK: 6, WP_FLUSH: 7, END: 8 } as const;
export const CL = { LOCK: 0, WORD: 1, SPLIT_START: 2, SPLIT: 3, WP: 4, UNLOCK: 5, FLUSH: 6, END: 7 } as const;
export const GL = { START: 0, WORD: 1, UNLOCK: 2, FLUSH: 3, END: 4 } as const;
export const IV = { LOCK: 0, ZAP: 1, FLUSH: 2, UNLOCK: 3, FREE: 4 } as const;

/** A violation as the search needs it; the core's own report comes from replaying the path. */
export interface PackedViolation {
  kind: 'stale-tlb' | 'lost-dirty-page';
  strength?: 'unmapped' | 'permissions';
  vcpu: number;
  gfn: number;
}

const SPLIT_ALWAYS = 0;
const SPLIT_NONLEAF = 1;
const SPLIT_REUSED = 2;
const SPLIT_NEVER = 3;

/** The split's flush rule as the code SP_FLUSH and loopRun() test. */
function splitFlushCode(policy: Variant['splitFlush']): number {
  switch (policy) {
    case 'always': return SPLIT_ALWAYS;
    case 'present-nonleaf': return SPLIT_NONLEAF;
    case 'reused': return SPLIT_REUSED;
    case 'never': return SPLIT_NEVER;
    default: return unknownPolicy('splitFlush', policy);
  }
}

/**
 * kvm_mmu_get_child_sp()'s reuse test. The packed scope's guest tables never change, so the child
 * linked in an SPTE always has the gfn and role asked for and every value reuses it: the packed
 * model has no code for it, but a value outside the policy's is refused, not searched as one.
 */
function checkChildReuse(policy: Variant['childReuse']): void {
  switch (policy) {
    case 'present': case 'gfn': case 'gfn-role': return;
    default: unknownPolicy('childReuse', policy);
  }
}

/** inFlight() bits. */
const IN_IOCTL = 1;
const IN_INVALIDATION = 2;

/** Menu actions decoded once into flat arrays. */
const M_ACCESS = 0;

export class PackedModel {
  readonly L: Layout;
  /** The state being worked on: apply() leaves a successor here. */
  s: Uint8Array;
  /** `s` as words. */
  sw: Int32Array;
  /** Where `s` was loaded from, and whether it changed since: apply() reloads only when needed. */
  private loadedWords: Int32Array | null = null;
  private loadedAt = -1;
  private dirty = true;
  /** The first violation of the last apply(), or null. */
  violation: PackedViolation | null = null;
  /**
   * Goals (../goals.ts) some apply() so far reached: set where the step happens, so a search
   * reads what all its transitions reached.
   */
  reached = 0;
  /** The step being made removed an SPTE: only then can a TLB entry have become stale. */
  private dropped = false;
  private readonly e: number;
  private readonly p: number;
  private readonly region: number;
  private readonly opsBound: number;
  private readonly accBound: number;
  private readonly splitFlush: number;
  private readonly zapAndFlush: boolean;
  private readonly enableAlwaysFlush: boolean;
  private readonly menuKind: Int8Array;
  private readonly menuA: Int16Array;
  private readonly menuB: Int16Array;
  private readonly menuC: Int16Array;
  private readonly menuD: Int16Array;
  /** For each menu index, the index after the run of accesses (or of operations) it is in. */
  private readonly runEnd: Int32Array;
  /** The step being made wrote an SPTE, issued a flush or freed host pages (stepWasVisible). */
  private visible = false;
  /**
   * `--reduce por`: the frames of the region whose accesses the step being made is visible to,
   * a bit each (the footprint): a write of an SPTE of frame i (its 2M entry or one of its 4K
   * entries) sets bit i; a write of a root's L4 or L3 entry, a flush or a harvest sets them all
   * (docs/explorer.md, "Partial-order reduction").
   */
  private foot = 0;
  /** Every frame's bit: the footprint of a step every access sees. */
  private readonly allFrames: number;
  /** `--reduce por`: the state's fresh byte holds the last step's footprint instead of 0 or 1. */
  readonly por: boolean;
  /** Tests only (Scope.reduction4): reduction 4 not applied, 2 everywhere, 1 in a get's section; 0: applied. */
  private readonly r4off: number;
  private readonly tmp: Int32Array;

  constructor(readonly scope: Scope, variant: Variant, options: { por?: boolean } = {}) {
    assertPackedScope(scope);
    const L = new Layout(scope.bound);
    this.L = L;
    this.por = !!options.por;
    this.r4off = scope.reduction4 === 'off' ? 2 : scope.reduction4 === 'off-in-get' ? 1 : 0;
    if (this.por && this.r4off) throw new Error('internal: --reduce por refines reduction 4, which this scope turns off');
    // E <= 8 frames: the footprint fits the fresh byte.
    if (L.e > 8) throw new RangeError('internal: more frames than the fresh byte has bits');
    this.allFrames = (1 << L.e) - 1;
    this.s = new Uint8Array(L.size);
    this.sw = new Int32Array(this.s.buffer);
    this.tmp = new Int32Array(L.fw);
    this.e = L.e;
    this.p = L.p;
    this.region = scope.region;
    this.opsBound = scope.bound.ops;
    this.accBound = scope.bound.accesses;
    this.splitFlush = splitFlushCode(variant.splitFlush);
    checkChildReuse(variant.childReuse);
    // The split scope deletes no memslot, so both slotZap values search the same; decided anyway, so
    // that a value outside the policy is refused.
    slotZapsMemslotOnly(variant);
    this.zapAndFlush = linkZapsAndFlushes(variant);
    this.enableAlwaysFlush = enableLogAlwaysFlushes(variant);
    // The range of drop_large_spte()'s flush: on bare metal (assertPackedScope()) every flush is
    // full, so both values flush the same here. Decided anyway, so that a value outside the
    // policy stops the search instead of being ignored.
    dropFlushesTableGfn(variant);
    const n = scope.menu.length;
    this.menuKind = new Int8Array(n);
    this.menuA = new Int16Array(n);
    this.menuB = new Int16Array(n);
    this.menuC = new Int16Array(n);
    this.menuD = new Int16Array(n);
    const clearIndex = new Map<string, number>();
    scope.menu.forEach((a, i) => {
      switch (a.t) {
        case 'access':
          this.menuKind[i] = M_ACCESS;
          this.menuA[i] = a.vcpu;
          this.menuB[i] = a.root === 'A' ? 0 : 1;
          this.menuC[i] = a.addr - scope.region;
          this.menuD[i] = a.kind === 'write' ? 1 : 0;
          break;
        case 'enable':
          this.menuKind[i] = K_ENABLE;
          this.menuA[i] = (a.manualProtect ? 1 : 0) | (a.initiallySet ? 2 : 0);
          break;
        case 'clear': {
          const pages = a.gfns.map((g) => g - scope.region);
          const key = pages.join(',');
          if (!clearIndex.has(key)) { clearIndex.set(key, L.clears.length); L.clears.push(pages); }
          this.menuKind[i] = K_CLEAR;
          this.menuA[i] = clearIndex.get(key)!;
          break;
        }
        case 'get': this.menuKind[i] = K_GET; break;
        case 'invalidate': this.menuKind[i] = K_INVALIDATE; this.menuA[i] = a.gfn - scope.region; break;
      }
    });
    this.runEnd = new Int32Array(n);
    for (let i = n - 1; i >= 0; i--) {
      const sameRun = i + 1 < n && (this.menuKind[i] === M_ACCESS) === (this.menuKind[i + 1] === M_ACCESS);
      this.runEnd[i] = sameRun ? this.runEnd[i + 1] : i + 1;
    }
  }

  /**
   * Work in another buffer from now on (s and its words sw, holding a state or zeros: the next
   * apply() copies only the words its source or the buffer's state uses). The search makes each
   * successor in the place it will wait in, instead of copying it there.
   */
  useBuffer(s: Uint8Array, sw: Int32Array): void {
    this.s = s;
    this.sw = sw;
    this.dirty = true;
  }

  /** Make the next apply() load its source even if it is where `s` came from (its words changed). */
  forget(): void {
    this.dirty = true;
  }

  /** The initial state: nothing mapped, logging off, no TLB entries (initialState() of the scope). */
  initial(out: Uint8Array = this.s): Uint8Array {
    out.fill(0);
    this.dirty = true;
    return out;
  }

  /**
   * Every action that may be enabled at the state at s[at..] (candidateActions()); apply() decides.
   * `symmetric`: 1 when the state is its own image under the vCPU swap, 2 under the root swap
   * (bits): accesses by vCPU 1, or through root B, then lead to images of the states accesses by
   * vCPU 0, or through root A, lead to, which have the same canonical form, and are left out.
   */
  candidates(s: Uint8Array, at: number, out: Int32Array, symmetric = 0): number {
    const L = this.L;
    let n = 0;
    const current = s[at + L.cur + F_KIND] !== K_NONE;
    const lock = s[at + L.lock] !== 0;
    if (current) out[n++] = STEP;
    const free = !lock;
    const accesses = s[at + L.acc] < this.accBound && (!lock || s[at + L.fresh] !== 0 || this.reduction4Off(s, at));
    const ops = free && s[at + L.ops] < this.opsBound;
    // What is in flight (IN_IOCTL, IN_INVALIDATION), found once for the state; startRefused() does the rest.
    const busy = ops ? this.inFlight(s, at) : 0;
    // Menu order is kept (it is the order successors are numbered in), and runs of one kind are
    // skipped whole when that kind is not offered.
    const kinds = this.menuKind;
    const runEnd = this.runEnd;
    for (let i = 0; i < kinds.length;) {
      const kind = kinds[i];
      if (kind !== M_ACCESS) {
        if (!ops) { i = runEnd[i]; continue; }
        if (!this.startRefused(kind, s[at + L.mode], busy)) out[n++] = i;
        i++;
        continue;
      }
      if (!accesses) { i = runEnd[i]; continue; }
      const v = this.menuA[i];
      const r = this.menuB[i];
      if (!((symmetric & 1 && v === 1) || (symmetric & 2 && r === 1)) && !this.accessRefused(s, at, v, r, this.menuC[i], this.menuD[i] === 1)) out[n++] = i;
      i++;
    }
    if (free) for (let i = 0; i < s[at + L.npaused]; i++) out[n++] = RESUME_BASE - i;
    return n;
  }

  /**
   * Apply an action to the state at words src[wordAt..]: true, with the successor in `s` and the first
   * violation in `violation`, or false when it is not enabled (apply() in ../model.ts).
   */
  apply(src: Int32Array, wordAt: number, action: number): boolean {
    const L = this.L;
    const s = this.s;
    // Load the source unless `s` still holds it: the actions of one state are tried in a row,
    // and one that is not enabled returns before changing anything. A word loop is cheaper than
    // subarray() + set() for a state of a few dozen words.
    if (this.dirty || src !== this.loadedWords || wordAt !== this.loadedAt) {
      L.load(this.sw, src, wordAt);
      this.loadedWords = src;
      this.loadedAt = wordAt;
      this.dirty = false;
    }
    this.violation = null;
    if (action === STEP) {
      if (s[L.cur + F_KIND] === K_NONE) return false;
      this.dirty = true;
      this.stepCurrent();
      return true;
    }
    if (action <= RESUME_BASE) {
      const i = RESUME_BASE - action;
      if (i >= s[L.npaused] || s[L.lock]) return false;
      this.dirty = true;
      copyWords(this.tmp, 0, this.sw, L.pausedAt(i) >> 2, L.fw);
      this.removePaused(i);
      if (s[L.cur + F_KIND] !== K_NONE) this.pauseCurrent();
      copyWords(this.sw, L.cur >> 2, this.tmp, 0, L.fw);
      this.stepCurrent();
      return true;
    }
    const kind = this.menuKind[action];
    if (kind === M_ACCESS) return this.access(this.menuA[action], this.menuB[action], this.menuC[action], this.menuD[action] === 1);
    if (s[L.ops] >= this.opsBound || s[L.lock] || this.startRefused(kind, s[L.mode], this.inFlight(s, 0))) return false;
    this.dirty = true;
    if (s[L.cur + F_KIND] !== K_NONE) this.pauseCurrent();
    s[L.cur + F_KIND] = kind;
    s[L.cur + F_ARG] = this.menuA[action];
    s[L.ops]++;
    this.stepCurrent();
    return true;
  }

  private stepCurrent(): void {
    const s = this.s;
    const L = this.L;
    this.visible = false;
    this.foot = 0;
    this.dropped = false;
    if (this.advance(L.cur)) fillWords(this.sw, 0, L.cur >> 2, (L.cur + L.fs) >> 2);
    // Reduction 4, and with --reduce por its refinement: after a visible step, the frames it is
    // visible to (a visible step always has some; every frame if not, to be safe).
    if (this.por && this.visible && s[L.lock]) {
      // A 1G leaf or a 1G TLB entry covers every frame: accesses of two frames may then meet in
      // one TLB entry, so the step is taken as visible to every frame (docs/explorer.md).
      if (this.foot !== this.allFrames && this.level3Anywhere()) this.foot = this.allFrames;
      s[L.fresh] = this.foot || this.allFrames;
    } else {
      s[L.fresh] = this.visible && s[L.lock] ? 1 : 0;
    }
    if (this.dropped) this.noteStale();
  }

  /** A root maps the region with a 1G leaf, or a vCPU's TLB holds a 1G entry. */
  private level3Anywhere(): boolean {
    const s = this.s;
    const L = this.L;
    for (let r = 0; r < 2; r++) if (s[L.l3 + r] === LEAF_RO || s[L.l3 + r] === LEAF_W) return true;
    for (let v = 0; v < 2; v++) {
      for (let i = 0; i < L.nt; i++) {
        const at = L.tlbAt(v, i);
        if (s[at] === 0) break;
        if ((s[at + 1] & 3) === 3) return true;
      }
    }
    return false;
  }

  /** After a step that removed an SPTE: is some TLB entry stale now (goal G_STALE_ENTRY)? */
  private noteStale(): void {
    if (!(this.reached & G_STALE_ENTRY) && this.firstStale() >= 0) this.reached |= G_STALE_ENTRY;
  }


  private pauseCurrent(): void {
    const s = this.s;
    const L = this.L;
    const n = s[L.npaused];
    if (n >= L.nf) throw new RangeError('internal: more operations in flight than the bound allows');
    const sw = this.sw;
    copyWords(sw, L.pausedAt(n) >> 2, sw, L.cur >> 2, L.fw);
    s[L.npaused] = n + 1;
    fillWords(sw, 0, L.cur >> 2, (L.cur + L.fs) >> 2);
  }

  private removePaused(i: number): void {
    const s = this.s;
    const L = this.L;
    const n = s[L.npaused];
    const sw = this.sw;
    // Frames move down one place: a forward word copy never reads what it already overwrote.
    copyWords(sw, L.pausedAt(i) >> 2, sw, L.pausedAt(i + 1) >> 2, (L.pausedAt(n) - L.pausedAt(i + 1)) >> 2);
    fillWords(sw, 0, L.pausedAt(n - 1) >> 2, L.pausedAt(n) >> 2);
    s[L.npaused] = n - 1;
  }

  /**
   * What is in flight (running or paused) in the state at s[at..], as bits: IN_IOCTL a memslot
   * ioctl (memslotBusy(): slots_lock), IN_INVALIDATION an mmu-notifier invalidation between its
   * start and its end (invalidationInProgress()).
   */
  private inFlight(s: Uint8Array, at: number): number {
    const L = this.L;
    const bit = (k: number) => (k === K_NONE ? 0 : k === K_INVALIDATE ? IN_INVALIDATION : IN_IOCTL);
    let out = bit(s[at + L.cur + F_KIND]);
    for (let i = 0; i < s[at + L.npaused]; i++) out |= bit(s[at + L.pausedAt(i) + F_KIND]);
    return out;
  }

  /**
   * apply()'s refusals of a start that depend on what is in flight (inFlight()) and on the
   * memslot: an ioctl while another is in flight (slots_lock), enabling logging while an
   * invalidation is (its memslot update waits for it: kvm_swap_active_memslots()), enabling
   * logging twice, clearing without manual-protect, getting without logging.
   */
  private startRefused(kind: number, mode: number, busy: number): boolean {
    switch (kind) {
      case K_ENABLE: return busy !== 0 || mode !== 0;
      case K_CLEAR: return (busy & IN_IOCTL) !== 0 || mode < 2;
      case K_GET: return (busy & IN_IOCTL) !== 0 || mode === 0;
      default: return false;
    }
  }

  /**
   * faultRetries(): page p lies in the range of the invalidations in progress (the hull bytes,
   * Layout.hull), so is_page_fault_stale() sends its fault back (mmu_invalidate_retry_gfn(), the
   * v6.0 era's mmu_invalidate_retry_hva()). A fault on a page outside it runs during an invalidation.
   */
  private inHull(s: Uint8Array, at: number, p: number): boolean {
    const lo = s[at + this.L.hull];
    return lo !== 0 && p + 1 >= lo && p + 1 <= s[at + this.L.hull + 1];
  }

  // ---- page tables -------------------------------------------------------------------------

  /** shadowWalk(): the leaf root r maps page p with, as level | writable << 2, or 0. */
  mapped(r: number, p: number): number {
    return this.mappedIn(this.s, 0, r, p);
  }

  /** mapped() in the state at s[at..]. */
  private mappedIn(s: Uint8Array, at: number, r: number, p: number): number {
    const L = this.L;
    if (!s[at + L.l4 + r]) return 0;
    const c3 = s[at + L.l3 + r];
    if (c3 === LEAF_RO || c3 === LEAF_W) return 3 | (c3 === LEAF_W ? 4 : 0);
    if (c3 !== LINK) return 0;
    const c2 = s[at + L.l2e + ((p / this.e) | 0)];
    if (c2 === LEAF_RO || c2 === LEAF_W) return 2 | (c2 === LEAF_W ? 4 : 0);
    if (c2 !== LINK) return 0;
    const c1 = getL1(s, at, L.l1e, p);
    return c1 ? 1 | (c1 === LEAF_W ? 4 : 0) : 0;
  }

  private pagesAt(level: number): number {
    return level === 3 ? this.p : level === 2 ? this.e : 1;
  }

  private rmap3Add(r: number): void {
    const s = this.s;
    const at = this.L.rmap3;
    if (s[at] === 0) s[at] = r + 1; else s[at + 1] = r + 1;
  }

  private rmap3Remove(r: number): void {
    const s = this.s;
    const at = this.L.rmap3;
    if (s[at] === r + 1) { s[at] = s[at + 1]; s[at + 1] = 0; } else if (s[at + 1] === r + 1) s[at + 1] = 0;
  }

  /** drop_spte() of root r's L3 entry (a huge leaf). */
  private dropL3(r: number): void {
    const s = this.s;
    const at = this.L.l3 + r;
    if (s[at] === ABSENT) return;
    if (s[at] !== LINK) this.rmap3Remove(r);
    s[at] = ABSENT;
    this.visible = true;
    this.foot = this.allFrames;
    this.dropped = true;
  }

  /** Offset of the SPTE a split frame's S_HUGE names. */
  private hugeAt(code: number): number {
    return code < HUGE_L2 ? this.L.l3 + code - 1 : this.L.l2e + code - HUGE_L2;
  }

  /** kvm_flush_remote_tlbs() (bare metal: every ranged flush is a full one). */
  private flushAll(): void {
    const L = this.L;
    fillWords(this.sw, 0, L.tlb >> 2, (L.tlb + 4 * L.nt) >> 2);
    this.visible = true;
    this.foot = this.allFrames;
  }

  // ---- TLBs (src/mmu/hardware.ts) ----------------------------------------------------------

  /** tlbLookup(): index of vCPU v's first entry of root r covering page p, or -1. */
  private tlbLookup(v: number, r: number, p: number): number {
    return this.tlbLookupIn(this.s, 0, v, r, p);
  }

  /** tlbLookup() in the state at s[at..]. */
  private tlbLookupIn(s: Uint8Array, at: number, v: number, r: number, p: number): number {
    const L = this.L;
    for (let i = 0; i < L.nt; i++) {
      const e = at + L.tlbAt(v, i);
      if (s[e] === 0) return -1;
      const b = s[e + 1];
      if (((b >> 2) & 1) !== r) continue;
      const base = s[e] - 1;
      if (p >= base && p < base + this.pagesAt(b & 3)) return i;
    }
    return -1;
  }

  private tlbRemove(v: number, i: number): void {
    const s = this.s;
    const L = this.L;
    moveBytes(s, L.tlbAt(v, i), L.tlbAt(v, i + 1), L.tlbAt(v, L.nt));
    s[L.tlbAt(v, L.nt - 1)] = 0;
    s[L.tlbAt(v, L.nt - 1) + 1] = 0;
  }

  private tlbPush(v: number, base: number, level: number, r: number, w: number): void {
    const s = this.s;
    const L = this.L;
    for (let i = 0; i < L.nt; i++) {
      const at = L.tlbAt(v, i);
      if (s[at] !== 0) continue;
      s[at] = base + 1;
      s[at + 1] = level | (r << 2) | (w << 3);
      return;
    }
    throw new RangeError('internal: more TLB entries than accesses');
  }

  // ---- checks (src/checks/stale_tlb.ts, Machine) ------------------------------------------

  private violate(v: PackedViolation): void {
    if (!this.violation) this.violation = v;
  }

  /** checkUnmappedAtRelease(): every page of every TLB entry still mapped by its root. */
  private checkUnmapped(): void {
    if (this.violation) return;
    const x = this.firstStale();
    if (x >= 0) this.violate({ kind: 'stale-tlb', strength: 'unmapped', vcpu: x >> 8, gfn: this.region + (x & 255) });
  }

  /**
   * firstUnmappedPage() over both vCPUs' TLBs, in order: the first page of an entry its root no
   * longer maps, as vcpu << 8 | page, or -1.
   */
  private firstStale(): number {
    const s = this.s;
    const L = this.L;
    for (let v = 0; v < 2; v++) {
      for (let i = 0; i < L.nt; i++) {
        const at = L.tlbAt(v, i);
        if (s[at] === 0) break;
        const base = s[at] - 1;
        const b = s[at + 1];
        const r = (b >> 2) & 1;
        const end = base + this.pagesAt(b & 3);
        for (let p = base; p < end; p++) if (!this.mapped(r, p)) return (v << 8) | p;
      }
    }
    return -1;
  }


  /** checkPermissionsAtOpEnd(): no writable TLB entry over a page this operation write-protected. */
  private checkPermissions(f: number): void {
    if (this.violation) return;
    const s = this.s;
    const L = this.L;
    const red = L.reducedOf(f);
    if (!anyBit(s, red, L.mb)) return;
    for (let v = 0; v < 2; v++) {
      for (let i = 0; i < L.nt; i++) {
        const at = L.tlbAt(v, i);
        if (s[at] === 0) break;
        const b = s[at + 1];
        if (!(b & 8)) continue;
        const page = this.writeProtectedPage(s[at] - 1, b & 3, (b >> 2) & 1, red);
        if (page >= 0) { this.violate({ kind: 'stale-tlb', strength: 'permissions', vcpu: v, gfn: this.region + page }); return; }
      }
    }
  }

  /** firstWriteProtectedPage() for a writable entry (page base, level, root r), or -1. */
  private writeProtectedPage(base: number, level: number, r: number, red: number): number {
    const s = this.s;
    const L = this.L;
    const e = this.e;
    const ro = (c: number) => c === LEAF_RO;
    if (!s[L.l4 + r]) return -1;
    const c3 = s[L.l3 + r];
    if (level < 3) {
      if (c3 === ABSENT) return -1;
      if (c3 !== LINK) return ro(c3) && getBit(s, red, base) ? base : -1;
      if (level < 2) {
        const c2 = s[L.l2e + ((base / e) | 0)];
        if (c2 === ABSENT) return -1;
        if (c2 !== LINK) return ro(c2) && getBit(s, red, base) ? base : -1;
        const c1 = getL1(s, 0, L.l1e, base);
        return c1 && ro(c1) && getBit(s, red, base) ? base : -1;
      }
      const c2 = s[L.l2e + base / e];
      if (c2 === ABSENT) return -1;
      if (c2 !== LINK) return ro(c2) && getBit(s, red, base) ? base : -1;
      // readOnlyPages() of the L1 SP: the first read-only leaf the operation reduced.
      for (let j = 0; j < e; j++) if (ro(getL1(s, 0, L.l1e, base + j)) && getBit(s, red, base + j)) return base + j;
      return -1;
    }
    if (c3 === ABSENT) return -1;
    if (c3 !== LINK) return ro(c3) && getBit(s, red, 0) ? 0 : -1;
    // readOnlyPages() of the L2 SP, in order: a read-only 2M leaf counts by its first page.
    for (let i = 0; i < e; i++) {
      const c2 = s[L.l2e + i];
      if (c2 === LINK) {
        for (let j = 0; j < e; j++) if (ro(getL1(s, 0, L.l1e, i * e + j)) && getBit(s, red, i * e + j)) return i * e + j;
      } else if (ro(c2) && getBit(s, red, i * e)) {
        return i * e;
      }
    }
    return -1;
  }

  // ---- guest accesses (src/ops/guest_access.ts, access() in ../model.ts) -------------------

  /** guestAccess(): true when done, false when it faults. */
  private guestAccess(v: number, r: number, p: number, write: boolean): boolean {
    const s = this.s;
    let i = this.tlbLookup(v, r, p);
    if (i >= 0 && write && !(s[this.L.tlbAt(v, i) + 1] & 8)) {
      this.tlbRemove(v, i);
      i = -1;
    }
    if (i >= 0) {
      if (!(this.reached & G_STALE_ACCESS) && !this.mapped(r, p)) this.reached |= G_STALE_ACCESS;
      if (write) setBit(s, this.L.written, p);
      return true;
    }
    const m = this.mapped(r, p);
    if (m && (!write || m & 4)) {
      const level = m & 3;
      const base = level === 3 ? 0 : level === 2 ? p - (p % this.e) : p;
      this.tlbPush(v, base, level, r, m & 4 ? 1 : 0);
      if (write) setBit(s, this.L.written, p);
      return true;
    }
    return false;
  }

  /**
   * Whether an access (vCPU v, root r, page p) is not taken from the state at s[at..]: the access
   * bound is used up or the lock is held after an invisible step, it would change nothing, or it
   * would fault where no fault can run (reductions 3, 4 and 6 of docs/explorer.md). Decided
   * before anything changes, so a refused access leaves `s` as it was (see apply()), and
   * candidates() asks it of the stored state without loading it.
   */
  private accessRefused(s: Uint8Array, at: number, v: number, r: number, p: number, write: boolean): boolean {
    const L = this.L;
    const lock = s[at + L.lock] !== 0;
    if (s[at + L.acc] >= this.accBound) return true;
    // Reduction 4: under the lock only after a visible step; with --reduce por, only after a step
    // visible to this access's frame (its footprint, in the fresh byte).
    if (lock && (this.por ? !((s[at + L.fresh] >> ((p / this.e) | 0)) & 1) : !s[at + L.fresh]) && !this.reduction4Off(s, at)) return true;
    const hit = this.tlbLookupIn(s, at, v, r, p);
    const hitPermits = hit >= 0 && (!write || (s[at + L.tlbAt(v, hit) + 1] & 8) !== 0);
    if (hitPermits && (!write || getBit(s, at + L.written, p))) return true;
    if (hitPermits) return false;
    const m = this.mappedIn(s, at, r, p);
    const faults = !m || (write && !(m & 4));
    return faults && (s[at + L.ops] >= this.opsBound || lock || this.inHull(s, at, p));
  }

  /**
   * Tests only (Scope.reduction4): with the lock held, an access is offered after every step here
   * (the lock is held by the current operation: a fault runs whole inside its access).
   */
  private reduction4Off(s: Uint8Array, at: number): boolean {
    return this.r4off === 2 || (this.r4off === 1 && s[at + this.L.cur + F_KIND] === K_GET);
  }

  private access(v: number, r: number, p: number, write: boolean): boolean {
    const s = this.s;
    const L = this.L;
    if (this.accessRefused(s, 0, v, r, p, write)) return false;
    this.dirty = true;
    this.dropped = false;
    const ops0 = s[L.ops];
    let done = this.guestAccess(v, r, p, write);
    for (let tries = 1; !done; tries++) {
      if (tries > 2 || s[L.ops] >= this.opsBound || s[L.lock] || this.inHull(s, 0, p)) return false;
      if (s[L.cur + F_KIND] !== K_NONE) this.pauseCurrent();
      s[L.ops]++;
      this.fault(r, p);
      done = this.guestAccess(v, r, p, write);
    }
    s[L.acc]++;
    // Under the lock an access leaves the footprint as it is (with --reduce por: an access of
    // another frame commutes with this one, docs/explorer.md); a fault only runs without the lock.
    s[L.fresh] = (s[L.fresh] || s[L.ops] > ops0) && s[L.lock] ? (this.por ? s[L.fresh] : 1) : 0;
    if (this.dropped) this.noteStale();
    return true;
  }

  // ---- the page fault (src/ops/fault.ts), run to its end -----------------------------------

  /** kvm_mmu_hugepage_adjust(): the largest level page p may be mapped at now. */
  private goal(p: number): number {
    const s = this.s;
    const L = this.L;
    if (s[L.mode] !== 0) return 1;
    // hostMaxLevel(): a page being invalidated counts as re-faulted from the invalidation's start
    // (the host split its huge mapping to take the page). Its frame is in flight, paused (the
    // fault paused the running operation) or running.
    const inv = s[L.hull] !== 0;
    if (!anyBit(s, L.remapped, L.mb) && !inv) return 3;
    const first = p - (p % this.e);
    for (let q = first; q < first + this.e; q++) if (getBit(s, L.remapped, q)) return 1;
    if (inv) {
      for (let i = -1; i < s[L.npaused]; i++) {
        const f = i < 0 ? L.cur : L.pausedAt(i);
        if (s[f + F_KIND] === K_INVALIDATE && s[f + F_ARG] >= first && s[f + F_ARG] < first + this.e) return 1;
      }
    }
    return 2;
  }

  private fault(r: number, p: number): void {
    const s = this.s;
    const L = this.L;
    const e = this.e;
    if (!(this.reached & G_FAULT_IN_WINDOW)) this.noteFaultInWindow();
    s[L.lock] = 1;
    // Each pass is one walk() step: link what is missing on the way down, or install the leaf.
    for (;;) {
      let goal = this.goal(p);
      if (!s[L.l4 + r]) { s[L.l4 + r] = 1; continue; }
      const c3 = s[L.l3 + r];
      if (goal === 3 && c3 === LINK) goal = 2;
      if (goal === 3) {
        if (c3 === LEAF_RO || c3 === LEAF_W) s[L.l3 + r] = LEAF_W;
        else { s[L.l3 + r] = LEAF_W; this.rmap3Add(r); }
        break;
      }
      if (c3 !== LINK) {
        s[L.l2x] = 1;
        if (c3 !== ABSENT) { this.dropL3(r); this.flushAll(); }
        s[L.l3 + r] = LINK;
        continue;
      }
      const i = (p / e) | 0;
      const c2 = s[L.l2e + i];
      if (goal === 2 && c2 === LINK) goal = 1;
      if (goal === 2) { s[L.l2e + i] = LEAF_W; break; }
      if (c2 !== LINK) {
        s[L.l1x + i] = 1;
        if (c2 !== ABSENT) this.flushAll();
        s[L.l2e + i] = LINK;
        continue;
      }
      setL1(s, L.l1e, p, LEAF_W);
      break;
    }
    if (s[L.mode] !== 0) setBit(s, L.dirty, p);
    s[L.lock] = 0;
    this.checkUnmapped();
  }

  /** A fault is about to run: is an eager split paused in its mmu_lock drop (goal G_FAULT_IN_WINDOW)? */
  private noteFaultInWindow(): void {
    const s = this.s;
    const L = this.L;
    for (let i = 0; i < s[L.npaused]; i++) {
      const f = L.pausedAt(i);
      if (s[f + F_HAS_SPLIT] && s[f + S_PC] === SP_RESCHED_LOCK) { this.reached |= G_FAULT_IN_WINDOW; return; }
    }
  }

  // ---- operations, one step per advance() (src/ops/*) -------------------------------------

  /** advanceFrame(): one step of the frame at offset f; true when the operation is over. */
  private advance(f: number): boolean {
    switch (this.s[f + F_KIND]) {
      case K_ENABLE: return this.advanceEnable(f);
      case K_CLEAR: return this.advanceClear(f);
      case K_GET: return this.advanceGet(f);
      case K_INVALIDATE: return this.advanceInvalidate(f);
    }
    throw new RangeError('internal: no operation to advance');
  }

  private lock(): void {
    this.s[this.L.lock] = 1;
  }

  private unlock(): void {
    this.s[this.L.lock] = 0;
    this.checkUnmapped();
  }

  /** opEnd(): the permissions check of an ioctl that returns. */
  private opEnd(f: number): boolean {
    this.checkPermissions(f);
    return true;
  }

  /** newSplit() over region pages [start, end) down to 4K. */
  private newSplit(f: number, start: number, end: number): void {
    const s = this.s;
    s[f + F_HAS_SPLIT] = 1;
    s[f + S_PC] = SP_FIND;
    s[f + S_LEVEL] = 3;
    s[f + S_CURSOR] = 0;
    s[f + S_HUGE] = 0;
    s[f + S_REUSED] = 0;
    s[f + S_INDEX] = 0;
    s[f + S_FLUSH] = 0;
    s[f + S_RESCHED] = 0;
    s[f + S_START] = start;
    s[f + S_END] = end;
  }

  /** findNext(): the next huge SPTE over the split's range, from the rmaps; false when none. */
  private findNext(f: number): boolean {
    const s = this.s;
    const L = this.L;
    const e = this.e;
    const first = s[f + S_START];
    const last = s[f + S_END] - 1;
    while (s[f + S_LEVEL] > 1) {
      const level = s[f + S_LEVEL];
      const lastIndex = level === 3 ? 0 : (last / e) | 0;
      let cursor = s[f + S_CURSOR];
      if (level === 3) {
        if (cursor === 0 && s[L.rmap3] === 0) cursor = 1;
        if (cursor === 0) { s[f + S_CURSOR] = 0; s[f + S_HUGE] = s[L.rmap3]; return true; }
      } else {
        while (cursor <= lastIndex && !(s[L.l2e + cursor] === LEAF_RO || s[L.l2e + cursor] === LEAF_W)) cursor++;
        if (cursor <= lastIndex) { s[f + S_CURSOR] = cursor; s[f + S_HUGE] = HUGE_L2 + cursor; return true; }
      }
      s[f + S_CURSOR] = cursor;
      s[f + S_LEVEL] = level - 1;
      if (level - 1 > 1) s[f + S_CURSOR] = (first / e) | 0;
    }
    return false;
  }

  /** advanceSplit(): true when it made a step, false (no step) when the split is over. */
  private advanceSplit(f: number): boolean {
    const s = this.s;
    const L = this.L;
    for (;;) {
      switch (s[f + S_PC]) {
        case SP_DONE:
          return false;
        case SP_FIND:
          if (!this.findNext(f)) { s[f + S_PC] = SP_DONE; return false; }
          s[f + S_PC] = s[f + S_RESCHED] ? SP_GET_SP : SP_RESCHED_UNLOCK;
          continue;
        case SP_RESCHED_UNLOCK:
          this.unlock();
          s[f + S_PC] = SP_RESCHED_LOCK;
          return true;
        case SP_RESCHED_LOCK:
          this.lock();
          s[f + S_RESCHED] = 1;
          s[f + S_PC] = SP_FIND;
          return true;
        case SP_GET_SP: {
          const huge = s[f + S_HUGE];
          const x = huge < HUGE_L2 ? L.l2x : L.l1x + huge - HUGE_L2;
          s[f + S_REUSED] = s[x];
          this.reached |= s[x] ? G_SPLIT | G_REUSED : G_SPLIT;
          s[x] = 1;
          s[f + S_INDEX] = 0;
          s[f + S_FLUSH] = 0;
          s[f + S_PC] = SP_LOOP;
          return true;
        }
        case SP_LOOP:
          if (s[f + S_INDEX] >= this.e) { s[f + S_PC] = SP_DROP; continue; }
          this.loopRun(f);
          return true;
        case SP_DROP: {
          const huge = s[f + S_HUGE];
          if (huge < HUGE_L2) this.dropL3(huge - 1);
          else if (s[L.l2e + huge - HUGE_L2] !== ABSENT) { s[L.l2e + huge - HUGE_L2] = ABSENT; this.visible = true; this.foot |= 1 << (huge - HUGE_L2); this.dropped = true; }
          s[f + S_PC] = SP_FLUSH;
          return true;
        }
        case SP_FLUSH: {
          let flush: number;
          if (this.zapAndFlush) flush = 1;
          else if (this.splitFlush === SPLIT_ALWAYS) flush = 1;
          else if (this.splitFlush === SPLIT_NONLEAF) flush = s[f + S_FLUSH];
          else if (this.splitFlush === SPLIT_REUSED) flush = s[f + S_REUSED];
          else if (this.splitFlush === SPLIT_NEVER) flush = 0;
          else throw new RangeError(`internal: split flush code ${this.splitFlush}`);
          if (flush) this.flushAll();
          else this.reached |= G_FLUSH_SKIPPED;
          s[f + S_PC] = SP_LINK;
          return true;
        }
        case SP_LINK:
          s[this.hugeAt(s[f + S_HUGE])] = LINK;
          this.visible = true;
          // A root's L3 entry: every page through it; an L2 entry: its frame.
          this.foot |= s[f + S_HUGE] < HUGE_L2 ? this.allFrames : 1 << (s[f + S_HUGE] - HUGE_L2);
          s[f + S_RESCHED] = 0;
          s[f + S_PC] = SP_FIND;
          return true;
      }
      throw new RangeError('internal: bad split pc');
    }
  }

  /** loopRun(): one run of child entries of one kind, as one step. */
  private loopRun(f: number): void {
    const s = this.s;
    const L = this.L;
    const e = this.e;
    const huge = s[f + S_HUGE];
    // The child SP is the L2 SP (a byte an entry) or L1 SP `sp` (two bits an entry).
    const sp = huge < HUGE_L2 ? -1 : huge - HUGE_L2;
    const code = (j: number) => (sp < 0 ? s[L.l2e + j] : getL1(s, 0, L.l1e, sp * e + j));
    const kind = (c: number) => (c === ABSENT ? 0 : c === LINK ? 2 : 1);
    const from = s[f + S_INDEX];
    const k = kind(code(from));
    let to = from;
    while (to + 1 < e && kind(code(to + 1)) === k) to++;
    if (k === 0) {
      const leaf = s[this.hugeAt(huge)] === LEAF_W ? LEAF_W : LEAF_RO;
      if (sp < 0) { fillBytes(s, leaf, L.l2e + from, L.l2e + to + 1); for (let j = from; j <= to; j++) this.foot |= 1 << j; }
      else { for (let j = from; j <= to; j++) setL1(s, L.l1e, sp * e + j, leaf); this.foot |= 1 << sp; }
      this.visible = true;
    } else if (k === 2) {
      // A present non-leaf entry: only a child that existed before the split can hold one.
      this.reached |= G_REUSED_NONLEAF;
      if (this.splitFlush === SPLIT_NONLEAF) s[f + S_FLUSH] = 1;
    }
    s[f + S_INDEX] = to + 1;
  }

  /** advanceEnableLog(). */
  private advanceEnable(f: number): boolean {
    const s = this.s;
    const L = this.L;
    switch (s[f + F_PC]) {
      case EN.FLAGS: {
        const manual = s[f + F_ARG] & 1;
        const init = s[f + F_ARG] & 2;
        s[L.mode] = manual ? (init ? 3 : 2) : 1;
        fillBytes(s, 0, L.dirty, L.dirty + L.mb);
        if (init) setBits(s, L.dirty, 0, this.p);
        s[f + F_PC] = manual && init ? EN.INIT_SET : EN.SPLIT_LOCK;
        return false;
      }
      case EN.INIT_SET:
        s[f + F_PC] = EN.END;
        return false;
      case EN.SPLIT_LOCK:
        this.newSplit(f, 0, this.p);
        this.lock();
        s[f + F_PC] = EN.SPLIT;
        return false;
      case EN.SPLIT:
        if (this.advanceSplit(f)) return false;
        this.unlock();
        s[f + F_PC] = EN.WP_LOCK;
        return false;
      case EN.WP_LOCK:
        this.lock();
        s[f + F_PC] = EN.WP;
        return false;
      case EN.WP:
        s[f + F_WORD] = this.writeProtectAll(L.reducedOf(f)) ? 1 : 0;
        s[f + F_PC] = EN.WP_UNLOCK;
        return false;
      case EN.WP_UNLOCK:
        this.unlock();
        s[f + F_PC] = EN.WP_FLUSH;
        return false;
      case EN.WP_FLUSH:
        if (this.enableAlwaysFlush || s[f + F_WORD]) this.flushAll();
        s[f + F_PC] = EN.END;
        return false;
      case EN.END:
        fillBytes(s, 0, L.written, L.written + L.mb);
        return this.opEnd(f);
    }
    throw new RangeError('internal: bad enable pc');
  }

  /** slotWriteProtect(): every writable leaf made read-only; how many changed. */
  private writeProtectAll(red: number): number {
    const s = this.s;
    const L = this.L;
    const e = this.e;
    let changed = 0;
    for (let p = 0; p < this.p; p++) {
      if (getL1(s, 0, L.l1e, p) === LEAF_W) { setL1(s, L.l1e, p, LEAF_RO); setBit(s, red, p); changed++; this.foot |= 1 << ((p / e) | 0); }
    }
    for (let i = 0; i < e; i++) {
      if (s[L.l2e + i] === LEAF_W) { s[L.l2e + i] = LEAF_RO; setBits(s, red, i * e, i * e + e); changed++; this.foot |= 1 << i; }
    }
    for (let r = 0; r < 2; r++) {
      if (s[L.l3 + r] === LEAF_W) { s[L.l3 + r] = LEAF_RO; setBits(s, red, 0, this.p); changed++; this.foot = this.allFrames; }
    }
    if (changed) this.visible = true;
    return changed;
  }

  /** protectLeaf() of L1 entry p. */
  private protectL1(p: number, red: number): void {
    const s = this.s;
    if (getL1(s, 0, this.L.l1e, p) !== LEAF_W) return;
    setL1(s, this.L.l1e, p, LEAF_RO);
    setBit(s, red, p);
    this.visible = true;
    this.foot |= 1 << ((p / this.e) | 0);
  }

  /** rmapWriteProtect() of one SPTE code at `at` covering region pages [from, to). */
  private protectLeaf(at: number, red: number, from: number, to: number): void {
    if (this.s[at] !== LEAF_W) return;
    this.s[at] = LEAF_RO;
    setBits(this.s, red, from, to);
    this.visible = true;
    // [from, to) is one frame (a 2M leaf) or the region (a root's 1G leaf).
    for (let i = (from / this.e) | 0; i <= (((to - 1) / this.e) | 0); i++) this.foot |= 1 << i;
  }

  /** kvm_mmu_slot_gfn_write_protect(gfn, 2M and up): the 2M and 1G leaves over page p. */
  private protectHuge(p: number, red: number): void {
    const s = this.s;
    const L = this.L;
    const i = (p / this.e) | 0;
    this.protectLeaf(L.l2e + i, red, i * this.e, i * this.e + this.e);
    for (let k = 0; k < 2; k++) {
      const r = s[L.rmap3 + k] - 1;
      if (r >= 0) this.protectLeaf(L.l3 + r, red, 0, this.p);
    }
  }

  /** advanceClearLog(): the clear is one word of the bitmap in the scope. */
  private advanceClear(f: number): boolean {
    const s = this.s;
    const L = this.L;
    const asked = L.clears[s[f + F_ARG]];
    const mask = L.maskOf(f);
    for (;;) {
      switch (s[f + F_PC]) {
        case CL.LOCK:
          this.lock();
          s[f + F_PC] = CL.WORD;
          return false;
        case CL.WORD: {
          if (s[f + F_WORD]) { s[f + F_PC] = CL.UNLOCK; continue; }
          let any = false;
          for (const p of asked) {
            if (getBit(s, L.dirty, p)) { setBit(s, mask, p); any = true; }
            clearBit(s, L.dirty, p);
          }
          if (!any) { s[f + F_WORD] = 1; return false; }
          s[f + F_FLUSH] = 1;
          s[f + F_PC] = s[L.mode] === 3 ? CL.SPLIT_START : CL.WP;
          return false;
        }
        case CL.SPLIT_START: {
          const [first, last] = this.maskRange(mask);
          this.newSplit(f, first, last + 1);
          s[f + F_PC] = CL.SPLIT;
          continue;
        }
        case CL.SPLIT:
          if (this.advanceSplit(f)) return false;
          s[f + F_PC] = CL.WP;
          continue;
        case CL.WP: {
          const red = L.reducedOf(f);
          const [first, last] = this.maskRange(mask);
          if (s[L.mode] === 3) {
            this.protectHuge(first, red);
            if (((first / this.e) | 0) !== ((last / this.e) | 0)) this.protectHuge(last, red);
          }
          for (let p = first; p <= last; p++) if (getBit(s, mask, p)) this.protectL1(p, red);
          s[f + F_WORD] = 1;
          s[f + F_PC] = CL.WORD;
          return false;
        }
        case CL.UNLOCK:
          this.unlock();
          s[f + F_PC] = CL.FLUSH;
          return false;
        case CL.FLUSH:
          if (s[f + F_FLUSH]) this.flushAll();
          s[f + F_PC] = CL.END;
          return false;
        case CL.END:
          for (const p of asked) clearBit(s, L.written, p);
          return this.opEnd(f);
      }
      throw new RangeError('internal: bad clear pc');
    }
  }

  private maskRange(mask: number): [number, number] {
    let first = -1;
    let last = -1;
    for (let p = 0; p < this.p; p++) {
      if (!getBit(this.s, mask, p)) continue;
      if (first < 0) first = p;
      last = p;
    }
    return [first, last];
  }

  /** lostDirtyPages(): every page of mustHarvest the harvest lacks. */
  private lostDirty(must: number, harvested: number): void {
    for (let p = 0; p < this.p; p++) {
      if (getBit(this.s, must, p) && !getBit(this.s, harvested, p)) { this.violate({ kind: 'lost-dirty-page', vcpu: -1, gfn: this.region + p }); return; }
    }
  }

  /** advanceGetLog(). */
  private advanceGet(f: number): boolean {
    const s = this.s;
    const L = this.L;
    const harvested = L.maskOf(f);
    const must = L.mustOf(f);
    for (;;) {
      switch (s[f + F_PC]) {
        case GL.START:
          moveBytes(s, must, L.written, L.written + L.mb);
          if (s[L.mode] >= 2) {
            this.lostDirty(must, L.dirty);
            s[f + F_PC] = GL.END;
            return false;
          }
          this.lock();
          s[f + F_PC] = GL.WORD;
          return false;
        case GL.WORD: {
          if (!s[f + F_WORD] && anyBit(s, L.dirty, L.mb)) {
            const red = L.reducedOf(f);
            for (let p = 0; p < this.p; p++) {
              if (!getBit(s, L.dirty, p)) continue;
              setBit(s, harvested, p);
              this.protectL1(p, red);
            }
            fillBytes(s, 0, L.dirty, L.dirty + L.mb);
            s[f + F_FLUSH] = 1;
            s[f + F_WORD] = 1;
            // Kept visible to every access (conservative): an access moved back from after the
            // harvest to before it would reach GL.START, which reads the ground truth it writes.
            if (this.foot) this.foot = this.allFrames;
            return false;
          }
          s[f + F_WORD] = 1;
          this.lostDirty(must, harvested);
          s[f + F_PC] = GL.UNLOCK;
          continue;
        }
        case GL.UNLOCK:
          this.unlock();
          s[f + F_PC] = GL.FLUSH;
          return false;
        case GL.FLUSH:
          if (s[f + F_FLUSH]) this.flushAll();
          s[f + F_PC] = GL.END;
          return false;
        case GL.END:
          if (s[L.mode] === 1) for (let k = 0; k < L.mb; k++) s[L.written + k] &= ~s[harvested + k];
          return this.opEnd(f);
      }
      throw new RangeError('internal: bad get pc');
    }
  }

  /** advanceInvalidate() of one region page. */
  private advanceInvalidate(f: number): boolean {
    const s = this.s;
    const L = this.L;
    const p = s[f + F_ARG];
    switch (s[f + F_PC]) {
      case IV.LOCK: {
        // kvm_mmu_invalidate_begin() and the range's widening (advanceInvalidate()'s lock step):
        // the range is reset when no other invalidation is in progress (its bytes are then 0: an
        // invalidation in flight has always run this step, since its start runs it), else
        // widened to the hull with this page.
        this.lock();
        const h = L.hull;
        if (s[h] === 0) { s[h] = p + 1; s[h + 1] = p + 1; } else {
          if (p + 1 < s[h]) s[h] = p + 1;
          if (p + 1 > s[h + 1]) s[h + 1] = p + 1;
        }
        s[f + F_PC] = IV.ZAP;
        return false;
      }
      case IV.ZAP: {
        let zapped = 0;
        const i = (p / this.e) | 0;
        if (getL1(s, 0, L.l1e, p) !== ABSENT) { setL1(s, L.l1e, p, ABSENT); zapped++; this.foot |= 1 << i; }
        const c2 = s[L.l2e + i];
        if (c2 === LEAF_RO || c2 === LEAF_W) { s[L.l2e + i] = ABSENT; zapped++; this.foot |= 1 << i; }
        while (s[L.rmap3]) { this.dropL3(s[L.rmap3] - 1); zapped++; }
        if (zapped) { this.visible = true; this.dropped = true; s[f + F_WORD] = 1; }
        s[f + F_PC] = IV.FLUSH;
        return false;
      }
      case IV.FLUSH:
        if (s[f + F_WORD]) this.flushAll();
        s[f + F_PC] = IV.UNLOCK;
        return false;
      case IV.UNLOCK:
        this.unlock();
        s[f + F_PC] = IV.FREE;
        return false;
      case IV.FREE: {
        // kvm_mmu_invalidate_end(): the range is not narrowed; with no other invalidation in
        // progress (this one runs as the current frame) it is forgotten, as the core forgets it.
        let others = false;
        for (let i = 0; i < s[L.npaused]; i++) if (s[L.pausedAt(i) + F_KIND] === K_INVALIDATE) others = true;
        if (!others) { s[L.hull] = 0; s[L.hull + 1] = 0; }
        setBit(s, L.remapped, p);
        this.visible = true;
        this.foot = this.allFrames;
        return true;
      }
    }
    throw new RangeError('internal: bad invalidate pc');
  }

}
