/**
 * The packed explorer's state: the explorer scope's whole machine state in a few dozen bytes.
 *
 * In the scope (src/explore/scope.ts) every shadow page that can exist has a fixed place: each root
 * has one indirect level-3 SP (linked from its root at L4[0]) whose entry 1 covers the region; the
 * region's direct level-2 SP (gfn = region, one per hash key, shared by both roots) and its E direct
 * level-1 SPs. So a state is: which SPs exist, each SPTE as a small code, the level-3 rmap order,
 * dirty bitmap, ground truth and re-faulted host pages of the region as bit masks, each vCPU's TLB
 * as an ordered list, and the frames of the running and paused KVM operations.
 *
 * What the core keeps and this leaves out, and why nothing reads it here (docs/explorer.md):
 * pfns (every present leaf maps the page's current pfn, and a TLB entry can only hold an old one
 * after an "unmapped" violation was already reported), SP ids, parent pointers, counters, split
 * caches (the explorer's splitYield "every" never reads them), the explanation records.
 */
import type { Bound } from '../scope';

/** SPTE codes of an L3 or L2 entry (L1 entries use ABSENT, LEAF_RO, LEAF_W only). */
export const ABSENT = 0;
export const LEAF_RO = 1;
export const LEAF_W = 2;
export const LINK = 3;

/** Frame kinds. */
export const K_NONE = 0;
export const K_ENABLE = 1;
export const K_CLEAR = 2;
export const K_GET = 3;
export const K_INVALIDATE = 4;

/** Offsets inside a frame. */
export const F_KIND = 0;
export const F_PC = 1;
/** enable: manualProtect | initiallySet << 1; clear: index into Layout.clears; invalidate: page. */
export const F_ARG = 2;
/** enable: writeProtected; clear and get: word (0 before the region's word, 1 after); invalidate: zapped. */
export const F_WORD = 3;
export const F_FLUSH = 4;
/** The split sub-frame (kvm_shadow_mmu_try_split_huge_pages), when F_HAS_SPLIT is 1. */
export const F_HAS_SPLIT = 5;
export const S_PC = 6;
export const S_LEVEL = 7;
/** rmap frame index at S_LEVEL relative to the region's first frame, clamped to [0, frames]. */
export const S_CURSOR = 8;
/** The huge SPTE: 1 + root for a root's L3 entry, HUGE_L2 + i for entry i of the L2 SP. */
export const S_HUGE = 9;
export const S_REUSED = 10;
export const S_INDEX = 11;
export const S_FLUSH = 12;
export const S_RESCHED = 13;
/** Range of the split in region pages, [start, end). */
export const S_START = 14;
export const S_END = 15;
export const F_MASKS = 16;
export const HUGE_L2 = 3;

/** Split program counters (SplitFrame.pc). */
export const SP_FIND = 0;
export const SP_RESCHED_UNLOCK = 1;
export const SP_RESCHED_LOCK = 2;
export const SP_GET_SP = 3;
export const SP_LOOP = 4;
export const SP_DROP = 5;
export const SP_FLUSH = 6;
export const SP_LINK = 7;
export const SP_DONE = 8;

export class Layout {
  readonly e: number;
  /** Pages in the region (E^2). */
  readonly p: number;
  /** Bytes of one page mask. */
  readonly mb: number;
  /** TLB entries a vCPU can hold: each access fills at most one. */
  readonly nt: number;
  /** Frames that can be in flight (running or paused). */
  readonly nf: number;
  readonly ops = 0;
  readonly acc = 1;
  readonly fresh = 2;
  readonly lock = 3;
  /** Memslot mode: 0 logging off, 1 classic, 2 manual-protect, 3 manual-protect + initially-set. */
  readonly mode = 4;
  /** Level-3 rmap of the region: two bytes, 1 + root of the first and the second SPTE (0: none). */
  readonly rmap3 = 5;
  readonly npaused = 7;
  /** Per root: L4[0] links its indirect L3 SP. */
  readonly l4 = 8;
  /** Per root: its L3 SP's entry over the region. */
  readonly l3 = 10;
  readonly l2x = 12;
  readonly l2e = 13;
  readonly l1x: number;
  /** The E level-1 SPs' entries, two bits each (getL1(), setL1()). */
  readonly l1e: number;
  readonly dirty: number;
  readonly written: number;
  readonly remapped: number;
  /**
   * The invalidation range while one is in progress (MmuState.invalidateRange), in region pages:
   * two bytes, 1 + its first page and 1 + its last page; both 0 while none is in progress. It is
   * the hull of every invalidation begun since the in-progress count was last zero, which the
   * frames in flight do not tell (two begun, one ended: it still spans both), so it is state and
   * part of the key. Every invalidation the menu offers is of one region page, so the two ends are
   * region pages and the bytes are exact.
   */
  readonly hull: number;
  readonly tlb: number;
  readonly cur: number;
  readonly paused: number;
  /** Bytes of a frame, and its words. */
  readonly fs: number;
  readonly fw: number;
  /** Bytes of a state, a multiple of 4. */
  readonly size: number;
  /**
   * Words of a state in use, by its count of paused frames: paused frames are kept at the front of
   * their area and the rest is zero, so copies, hashes and compares stop there.
   */
  readonly usedByPaused: Int32Array;
  /** Page lists of the menu's clears, as region page offsets (index = F_ARG of a clear frame). */
  readonly clears: number[][] = [];

  constructor(bound: Bound) {
    const e = bound.entries;
    this.e = e;
    this.p = e * e;
    this.mb = Math.ceil(this.p / 8);
    this.nt = Math.max(1, bound.accesses);
    // Faults never stay in flight; memslot ioctls exclude each other (slots_lock); invalidations
    // take no slots_lock and may overlap anything, up to the operation bound.
    const kinds = bound.kinds ?? ['invalidate'];
    this.nf = kinds.includes('invalidate') ? Math.max(1, bound.ops) : 1;
    this.l1x = this.l2e + e;
    this.l1e = this.l1x + e;
    // L1 entries are only ever absent, read-only or writable leaves: two bits each.
    this.dirty = this.l1e + Math.ceil(this.p / 4);
    this.written = this.dirty + this.mb;
    this.remapped = this.written + this.mb;
    // The TLBs and frames start on a word and frames are whole words, so that a flush, and moving
    // or comparing a frame, are a few word operations.
    this.hull = this.remapped + this.mb;
    this.tlb = align4(this.hull + 2);
    this.cur = this.tlb + 2 * this.nt * 2;
    this.fs = align4(F_MASKS + 3 * this.mb);
    this.fw = this.fs >> 2;
    this.paused = this.cur + this.fs;
    this.size = (this.paused + this.nf * this.fs + 3) & ~3;
    if (this.size > 4096) throw new RangeError('internal: packed state too large');
    if (this.npaused !== 7) throw new Error('internal: usedWords() reads the paused count from byte 7');
    this.usedByPaused = new Int32Array(this.nf + 1);
    for (let n = 0; n <= this.nf; n++) this.usedByPaused[n] = Math.min(this.size >> 2, (this.pausedAt(n) + 3) >> 2);
  }

  /** Words in use of the state at words w[at..] (byte 7, the paused count, is the top byte of word 1). */
  usedWords(w: Int32Array, at: number): number {
    return this.usedByPaused[(w[at + 1] >>> 24) & 0xff];
  }

  /**
   * Copy the state at src[at..] into dst, which holds a state (or zeros): only the words the
   * source uses (in the store the next state follows them), and zeros over the rest of what dst
   * used. Returns the words copied.
   */
  load(dst: Int32Array, src: Int32Array, at: number): number {
    const before = this.usedWords(dst, 0);
    const n = this.usedWords(src, at);
    copyWords(dst, 0, src, at, n);
    for (let i = n; i < before; i++) dst[i] = 0;
    return n;
  }

  /** Offset of vCPU v's TLB entry i (two bytes: 1 + first page, level | root << 2 | writable << 3). */
  tlbAt(v: number, i: number): number {
    return this.tlb + (v * this.nt + i) * 2;
  }

  pausedAt(i: number): number {
    return this.paused + i * this.fs;
  }

  /** Offsets of a frame's three masks: reduced, then (clear) mask / (get) harvested, then (get) mustHarvest. */
  reducedOf(f: number): number {
    return f + F_MASKS;
  }

  maskOf(f: number): number {
    return f + F_MASKS + this.mb;
  }

  mustOf(f: number): number {
    return f + F_MASKS + 2 * this.mb;
  }
}

function align4(n: number): number {
  return (n + 3) & ~3;
}

/** The code of L1 entry p (page p of the region) of the state at s[at..]: two bits at Layout.l1e. */
export function getL1(s: Uint8Array, at: number, l1e: number, p: number): number {
  return (s[at + l1e + (p >> 2)] >> ((p & 3) << 1)) & 3;
}

export function setL1(s: Uint8Array, l1e: number, p: number, code: number): void {
  const i = l1e + (p >> 2);
  const shift = (p & 3) << 1;
  s[i] = (s[i] & ~(3 << shift)) | (code << shift);
}

export function getBit(s: Uint8Array, at: number, i: number): number {
  return (s[at + (i >> 3)] >> (i & 7)) & 1;
}

export function setBit(s: Uint8Array, at: number, i: number): void {
  s[at + (i >> 3)] |= 1 << (i & 7);
}

export function clearBit(s: Uint8Array, at: number, i: number): void {
  s[at + (i >> 3)] &= ~(1 << (i & 7));
}

/** Set bits [from, to) of a mask. */
export function setBits(s: Uint8Array, at: number, from: number, to: number): void {
  for (let i = from; i < to; i++) s[at + (i >> 3)] |= 1 << (i & 7);
}

export function anyBit(s: Uint8Array, at: number, mb: number): boolean {
  for (let i = 0; i < mb; i++) if (s[at + i]) return true;
  return false;
}

/*
 * Byte loops instead of TypedArray fill(), copyWithin() and subarray() + set(): for the few bytes
 * a transition moves, the builtins' call (and subarray()'s new object) costs more than the copy.
 */

/** s.fill(value, from, to) */
export function fillBytes(s: Uint8Array, value: number, from: number, to: number): void {
  for (let i = from; i < to; i++) s[i] = value;
}

/** s.copyWithin(to, from, end) */
export function moveBytes(s: Uint8Array, to: number, from: number, end: number): void {
  if (to <= from) {
    for (let i = from; i < end; i++) s[to + i - from] = s[i];
  } else {
    for (let i = end - 1; i >= from; i--) s[to + i - from] = s[i];
  }
}

/** w.fill(value, from, to) on words */
export function fillWords(w: Int32Array, value: number, from: number, to: number): void {
  for (let i = from; i < to; i++) w[i] = value;
}

/**
 * Copy n words from src[from..] to dst[to..] (not overlapping). Four words a turn: a state is
 * copied several times a transition, and the compiler does not unroll the loop itself (a copy of
 * 36 words took about 0.72 of the time of the one-word loop, Node 20).
 */
export function copyWords(dst: Int32Array, to: number, src: Int32Array, from: number, n: number): void {
  let i = 0;
  for (; i + 4 <= n; i += 4) {
    dst[to + i] = src[from + i];
    dst[to + i + 1] = src[from + i + 1];
    dst[to + i + 2] = src[from + i + 2];
    dst[to + i + 3] = src[from + i + 3];
  }
  for (; i < n; i++) dst[to + i] = src[from + i];
}
