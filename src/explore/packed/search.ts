/**
 * Breadth-first search over packed states (layout.ts, model.ts). States live back to back, each in
 * the words it uses, in chunks, in the order they were found, which is breadth-first order, so the
 * store is also the queue; a visited set of canonical forms is an open-addressing table of their
 * places. Successors are looked up in batches (run()), which changes nothing but the speed.
 *
 * Canonical form: the two vCPUs are interchangeable (their TLB blocks are put in order), so are
 * the two aliased roots (the lesser of the state and its root-swapped image is kept), and paused
 * operations are a set (sorted). The core's canonicalKey() makes the same identifications.
 *
 * A violation's path is rebuilt from the initial state by matching canonical forms, so it is a
 * list of the core explorer's own actions, and it is replayed through the core (../model.ts), whose
 * checks must report the violation at the same transition: the core has the last word on every
 * counterexample the packed search finds.
 *
 * Hash compaction (ExploreOptions.hashCompact, `explore --hash-compact`; docs/explorer.md): the
 * visited set keeps a 64-bit hash of each canonical form instead of its place, the store keeps only
 * the states not yet expanded (a chunk is reused once every state in it was expanded), and each
 * state keeps its parent and the action that made it, from which a violation's chain of canonical
 * forms is made again. Two states with the same hash are taken as one: a "no violation" is then
 * probabilistic (omissionBound()); a violation is replayed through the core as always.
 */
import type { Violation } from '../../model/step';
import type { Variant } from '../../kernel/variants';
import { apply as coreApply, rootNode, type Node } from '../model';
import { makeScope, type Scope } from '../scope';
import { reducesByPor, reducesBySymmetry, searchResult, withTime } from '../result';
import { memoryCapMessage } from '../../model/errors';
import type { ExploreOptions, ExploreResult, Verdict } from '../result';
import type { SearchCounts } from '../progress';
import { F_HAS_SPLIT, S_HUGE, HUGE_L2, Layout, copyWords } from './layout';
import { PackedModel, type PackedViolation } from './model';
import { BATCH, CHUNK_BITS, CHUNK_MASK, CHUNK_WORDS, MAX_CHUNKS, grown, pendingSlots, probe, rehashed, warm } from './visited';
import { PageSymmetry } from './page_symmetry';
import { CompactTable } from './compact_table';
import { ByState } from './by_state';

export const DEFAULT_MAX_STATES = 100_000_000;
/** Bytes of typed arrays the search may hold when the caller sets no cap. */
export const DEFAULT_MAX_BYTES = 2 * 2 ** 30;
/** Bits of a hash-compaction hash (hashWords() and hashWordsHigh()). */
export const COMPACT_HASH_BITS = 64;

/**
 * The probability, at most, that a hash-compaction search of `states` stored states took some
 * state as visited because its hash matched another's (docs/explorer.md has the argument): about
 * n^2 / 2^(b+1) for n states and b-bit hashes, capped at 1.
 */
export function omissionBound(states: number, bits = COMPACT_HASH_BITS): number {
  return Math.min(1, (states * states) / 2 ** (bits + 1));
}

/**
 * A hash of words w[at..at+used): two lanes over alternate words, so that the multiplications of
 * neighbouring words do not wait for each other, then mixed (MurmurHash3's finaliser).
 */
export function hashWords(w: Int32Array, at: number, used: number): number {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x2545f491 | 0;
  let i = 0;
  for (; i + 1 < used; i += 2) {
    h1 = Math.imul(h1 ^ w[at + i], 0x01000193);
    h2 = Math.imul(h2 ^ w[at + i + 1], 0x9e3779b1);
    h1 ^= h1 >>> 15;
    h2 ^= h2 >>> 13;
  }
  if (i < used) h1 = Math.imul(h1 ^ w[at + i], 0x01000193);
  let h = h1 ^ Math.imul(h2, 0x85ebca6b) ^ used;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * A second 32-bit hash of the same words, for hash compaction's upper half: MurmurHash3's x86
 * 32-bit block loop over whole words with its own seed, one lane over every word, so that it shares
 * neither the structure nor the constants of hashWords()'s two lanes.
 */
export function hashWordsHigh(w: Int32Array, at: number, used: number): number {
  let h = 0x3c6ef372 | 0;
  for (let i = 0; i < used; i++) {
    let k = Math.imul(w[at + i], 0xcc9e2d51);
    k = (k << 15) | (k >>> 17);
    h ^= Math.imul(k, 0x1b873593);
    h = (h << 13) | (h >>> 19);
    h = (Math.imul(h, 5) + 0xe6546b64) | 0;
  }
  h ^= used;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/**
 * hashWords() and hashWordsHigh() of the same words in one pass (hash compaction's 64-bit hash):
 * the same two functions, step for step, over each word read once; returns hashWords()'s value
 * and leaves hashWordsHigh()'s in high[j].
 */
export function hashWordsBoth(w: Int32Array, at: number, used: number, high: Int32Array, j: number): number {
  let h1 = 0x811c9dc5 | 0;
  let h2 = 0x2545f491 | 0;
  let g = 0x3c6ef372 | 0;
  let i = 0;
  for (; i + 1 < used; i += 2) {
    const x = w[at + i];
    const y = w[at + i + 1];
    h1 = Math.imul(h1 ^ x, 0x01000193);
    h2 = Math.imul(h2 ^ y, 0x9e3779b1);
    h1 ^= h1 >>> 15;
    h2 ^= h2 >>> 13;
    g = murmurRound(g, x);
    g = murmurRound(g, y);
  }
  if (i < used) {
    h1 = Math.imul(h1 ^ w[at + i], 0x01000193);
    g = murmurRound(g, w[at + i]);
  }
  g ^= used;
  g = Math.imul(g ^ (g >>> 16), 0x85ebca6b);
  g = Math.imul(g ^ (g >>> 13), 0xc2b2ae35);
  high[j] = g ^ (g >>> 16);
  let h = h1 ^ Math.imul(h2, 0x85ebca6b) ^ used;
  h = Math.imul(h ^ (h >>> 16), 0x85ebca6b);
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35);
  return h ^ (h >>> 16);
}

/** One word of hashWordsHigh()'s block loop. */
function murmurRound(h: number, word: number): number {
  let k = Math.imul(word, 0xcc9e2d51);
  k = (k << 15) | (k >>> 17);
  h ^= Math.imul(k, 0x1b873593);
  h = (h << 13) | (h >>> 19);
  return (Math.imul(h, 5) + 0xe6546b64) | 0;
}

/** Canonical forms (see the file comment), written into `out`. */
export class Canonicalizer {
  private readonly a: Uint8Array;
  private readonly b: Uint8Array;
  private readonly aw: Int32Array;
  private readonly bw: Int32Array;
  private readonly frame: Int32Array;
  /** Buffers of the page symmetry's canonical form (canonWithPages()). */
  private readonly c: Uint8Array;
  private readonly d: Uint8Array;
  private readonly e: Uint8Array;
  private readonly best: Uint8Array;
  private readonly cw: Int32Array;
  private readonly dw: Int32Array;
  private readonly ew: Int32Array;
  private readonly bestw: Int32Array;
  /** pausedOrders()'s lists of orders in canonWithPages(), of a swap image and of its root swap: reused. */
  private readonly orders: number[][] = [];
  private readonly swappedOrders: number[][] = [];
  /** The page-sorted images of canonWithPages(), one for each order of the paused frames. */
  private readonly sorted: Array<{ bytes: Uint8Array; words: Int32Array }> = [];

  /**
   * `pages`: the symmetry over the region's pages (`--reduce symmetry`, page_symmetry.ts), taken
   * with the vCPU and root swaps in the states it acts on; without it the form is as it always was.
   */
  constructor(private readonly L: Layout, private readonly pages?: PageSymmetry) {
    const buffer = () => new Uint8Array(L.size);
    this.a = buffer();
    this.b = buffer();
    this.aw = new Int32Array(this.a.buffer);
    this.bw = new Int32Array(this.b.buffer);
    this.frame = new Int32Array(L.fw);
    const n = pages ? L.size : 0;
    this.c = new Uint8Array(n);
    this.d = new Uint8Array(n);
    this.e = new Uint8Array(n);
    this.best = new Uint8Array(n);
    this.cw = new Int32Array(this.c.buffer);
    this.dw = new Int32Array(this.d.buffer);
    this.ew = new Int32Array(this.e.buffer);
    this.bestw = new Int32Array(this.best.buffer);
  }

  /**
   * The canonical form of s, as words; the returned array is reused by the next call. The roots
   * are put in order by a signature (their L4 and L3 entries, their place in the 1G rmap, their
   * TLB entries) when the signatures differ, which the root swap exchanges; only on a tie are both
   * orders built and the lesser kept. Either way the result is the same for a state and its image.
   */
  canon(s: Uint8Array): Int32Array {
    this.L.load(this.aw, new Int32Array(s.buffer, s.byteOffset, this.L.size >> 2), 0);
    return this.canonInPlace(this.a, this.aw);
  }

  /**
   * canon() of the state in s (words sw), made in s itself: returns sw, or on a tie of the root
   * signatures (rootOrder()) the lesser of sw and a buffer holding the root-swapped image. The search's
   * successors are made in the model's buffer and read once, so they need no copy.
   */
  canonInPlace(s: Uint8Array, sw: Int32Array): Int32Array {
    if (this.pages && this.pages.inQuotient(s)) return this.canonWithPages(s, sw);
    const order = this.rootOrder(s);
    if (order === 0) {
      const { b, bw } = this;
      const used = this.L.load(bw, sw, 0);
      this.swapRoots(b);
      this.normalize(b, bw);
      this.normalize(s, sw);
      for (let i = 0; i < used; i++) {
        if (sw[i] !== bw[i]) return sw[i] < bw[i] ? sw : bw;
      }
      return sw;
    }
    if (order > 0) this.swapRoots(s);
    this.normalize(s, sw);
    return sw;
  }

  /**
   * canonInPlace() of the successor the model made in s (words sw), left in sw itself (copied
   * there when the lesser form was the root-swapped image); returns the words it uses. Both packed
   * searches make their successors' canonical forms so (search.ts run(), shard.ts expand()).
   */
  canonInto(s: Uint8Array, sw: Int32Array): number {
    const c = this.canonInPlace(s, sw);
    const used = this.L.usedWords(c, 0);
    if (c !== sw) copyWords(sw, 0, c, 0, used);
    return used;
  }

  /**
   * The canonical form under the page permutations, the vCPU swap and the root swap together, of
   * a state the page symmetry acts on: for each of the four images under the two swaps (applied
   * as they are, not put in order), and each order of its paused frames that the page-free sort
   * leaves open, the page-sorted image (PageSymmetry.sortPages(), permute()) with its TLB blocks
   * and paused frames put in order; the least of them in word order. Each is a function of the
   * swap image's page orbit, and the four swap images of any state of the orbit are the same four
   * page orbits, so the least is the same for every image of the state (docs/explorer.md).
   *
   * The root swap's images are not sorted again: the page sort reads nothing the root swap changes
   * (the roots' L4 and L3 entries, the 1G rmap, a TLB entry's root bit, a split's 1G page) and
   * permute() writes none of it, so for an order of the paused frames that the image without the
   * root swap also has, the page-sorted root-swapped image is that image's page-sorted form with
   * its roots swapped. The candidates, and so the least, are the same as sorting each image.
   */
  private canonWithPages(s: Uint8Array, sw: Int32Array): Int32Array {
    const L = this.L;
    const pages = this.pages!;
    const { c, cw, e, ew } = this;
    const used = L.usedWords(sw, 0);
    let have = false;
    // With equal TLB blocks the vCPU swap changes nothing (before or after the root swap): its
    // two images are the state's own and its root swap's, already among the four.
    const vcpuImages = this.symmetries(s, 0) ? 1 : 2;
    for (let v = 0; v < vcpuImages; v++) {
      L.load(cw, sw, 0);
      if (v) this.swapVcpus(c);
      const orders = pages.pausedOrders(c, cw, this.orders);
      for (let i = 0; i < orders.length; i++) {
        // Kept as sorted for the root swap's image (below), which is then made in that buffer.
        this.pageSorted(orders[i], e);
        L.load(this.sortedBuffer(i).words, ew, 0);
        this.normalize(e, ew);
        have = this.keepLeast(ew, used, have);
      }
      this.swapRoots(c);
      for (const order of pages.pausedOrders(c, cw, this.swappedOrders)) {
        const i = indexOfOrder(orders, order);
        if (i >= 0) {
          const { bytes, words } = this.sorted[i];
          this.swapRoots(bytes);
          this.normalize(bytes, words);
          have = this.keepLeast(words, used, have);
        } else {
          this.pageSorted(order, e);
          this.normalize(e, ew);
          have = this.keepLeast(ew, used, have);
        }
      }
    }
    return this.bestw;
  }

  /** The swap image in c with its paused frames in `order`, page-sorted, written into out (a state's buffer). */
  private pageSorted(order: number[], out: Uint8Array): void {
    const pages = this.pages!;
    // The paused frames' order as they are (always so with fewer than two): sorted from c itself.
    let from = this.c;
    if (!isIdentity(order)) {
      this.L.load(this.dw, this.cw, 0);
      pages.reorderPaused(this.dw, order);
      from = this.d;
    }
    pages.sortPages(from);
    pages.permute(from, out);
  }

  /** Keep ew in best when it is less (or nothing is kept yet); true from then on. */
  private keepLeast(ew: Int32Array, used: number, have: boolean): boolean {
    const bestw = this.bestw;
    let less = !have;
    for (let i = 0; i < used && !less; i++) {
      if (ew[i] !== bestw[i]) { less = ew[i] < bestw[i]; break; }
    }
    if (less) this.L.load(bestw, ew, 0);
    return true;
  }

  /** The i-th buffer for a page-sorted image kept for its root swap (canonWithPages()), made when first asked for. */
  private sortedBuffer(i: number): { bytes: Uint8Array; words: Int32Array } {
    while (this.sorted.length <= i) {
      const bytes = new Uint8Array(this.L.size);
      this.sorted.push({ bytes, words: new Int32Array(bytes.buffer) });
    }
    return this.sorted[i];
  }

  /** The two vCPUs' TLB blocks exchanged. */
  private swapVcpus(s: Uint8Array): void {
    const L = this.L;
    const block = 2 * L.nt;
    for (let i = 0; i < block; i++) { const t = s[L.tlb + i]; s[L.tlb + i] = s[L.tlb + block + i]; s[L.tlb + block + i] = t; }
  }

  /**
   * The sign of signature(root 0) - signature(root 1), where a root's signature (its L4 and L3
   * entries, its place in the 1G rmap, its TLB entries) is a number the root swap gives to the
   * other root.
   */
  private rootOrder(s: Uint8Array): number {
    const L = this.L;
    const first = s[L.rmap3];
    const second = s[L.rmap3 + 1];
    const sig0 = (((s[L.l4] << 2) | s[L.l3]) << 2) | (first === 1 ? 2 : second === 1 ? 1 : 0);
    const sig1 = (((s[L.l4 + 1] << 2) | s[L.l3 + 1]) << 2) | (first === 2 ? 2 : second === 2 ? 1 : 0);
    let tlb0 = 0;
    let tlb1 = 0;
    for (let i = 0; i < 2 * L.nt; i++) {
      const at = L.tlb + 2 * i;
      if (!s[at]) continue;
      const b = s[at + 1];
      const x = 16 * (1 + (b & 3) + 4 * (b >> 3));
      if (b & 4) tlb1 += x; else tlb0 += x;
    }
    return Math.sign(sig0 + tlb0 - (sig1 + tlb1));
  }

  /**
   * 1 when a canonical state (at s[at..]) is its own image under the vCPU swap (its two TLB
   * blocks are equal), else 0. (The root swap is not looked for: the test costs more than the
   * transitions it saves.)
   */
  symmetries(s: Uint8Array, at: number): number {
    const L = this.L;
    const v0 = at + L.tlb;
    const v1 = v0 + 2 * L.nt;
    for (let i = 0; i < 2 * L.nt; i++) if (s[v0 + i] !== s[v1 + i]) return 0;
    return 1;
  }

  private swapRoots(s: Uint8Array): void {
    const L = this.L;
    let t = s[L.l4]; s[L.l4] = s[L.l4 + 1]; s[L.l4 + 1] = t;
    t = s[L.l3]; s[L.l3] = s[L.l3 + 1]; s[L.l3 + 1] = t;
    for (let k = 0; k < 2; k++) if (s[L.rmap3 + k]) s[L.rmap3 + k] = 3 - s[L.rmap3 + k];
    for (let i = 0; i < 2 * L.nt; i++) {
      const at = L.tlb + 2 * i;
      if (s[at]) s[at + 1] ^= 4;
    }
    for (let i = -1; i < s[L.npaused]; i++) {
      const f = i < 0 ? L.cur : L.pausedAt(i);
      const huge = s[f + S_HUGE];
      if (s[f + F_HAS_SPLIT] && huge > 0 && huge < HUGE_L2) s[f + S_HUGE] = 3 - huge;
    }
  }

  /** vCPU TLB blocks in order, paused frames sorted. */
  private normalize(s: Uint8Array, w: Int32Array): void {
    const L = this.L;
    const block = 2 * L.nt;
    const v1 = L.tlb + block;
    for (let i = 0; i < block; i++) {
      const x = s[L.tlb + i];
      const y = s[v1 + i];
      if (x === y) continue;
      if (x > y) {
        for (let j = i; j < block; j++) { const t = s[L.tlb + j]; s[L.tlb + j] = s[v1 + j]; s[v1 + j] = t; }
      }
      break;
    }
    const n = s[L.npaused];
    for (let i = 1; i < n; i++) {
      for (let j = i; j > 0 && this.less(w, L.pausedAt(j), L.pausedAt(j - 1)); j--) this.swapFrames(w, L.pausedAt(j), L.pausedAt(j - 1));
    }
  }

  /** Frames at byte offsets x and y compared as words (any total order makes the sort canonical). */
  private less(w: Int32Array, x: number, y: number): boolean {
    x >>= 2;
    y >>= 2;
    for (let k = 0; k < this.L.fw; k++) if (w[x + k] !== w[y + k]) return w[x + k] < w[y + k];
    return false;
  }

  private swapFrames(w: Int32Array, x: number, y: number): void {
    const fw = this.L.fw;
    copyWords(this.frame, 0, w, x >> 2, fw);
    copyWords(w, x >> 2, w, y >> 2, fw);
    copyWords(w, y >> 2, this.frame, 0, fw);
  }
}

export class PackedSearch {
  readonly scope: Scope;
  readonly model: PackedModel;
  private readonly canonicalizer: Canonicalizer;
  private readonly size: number;
  private readonly words: number;
  /**
   * The states back to back, each in the words it uses (usedWords()), in chunks that are never
   * copied when more are needed, as words and as bytes over the same memory.
   */
  private readonly chunks: Int32Array[] = [];
  private readonly chunkBytes: Uint8Array[] = [];
  /** Words used in the chunk being filled. */
  private chunkFill = CHUNK_WORDS;
  /** The chunk being filled. */
  private current = -1;
  /**
   * The place of each state (chunk << CHUNK_BITS | word), by its number less placeBase: 0 in an
   * exact search, which keeps every place; a hash-compaction search keeps those from the cursor on.
   */
  private place: Int32Array;
  private placeBase = 0;
  /**
   * Pairs by slot: in an exact search (place + 1, hash), in a hash-compaction one (the hash's upper
   * half, 1 for 0, which marks an empty slot; its lower half).
   */
  private table: Int32Array;
  /** Hash compaction's visited set (compact_table.ts); `table` is then empty. */
  private readonly compactTable: CompactTable | null;
  /**
   * Each state's parent's number (-1 for the initial state), by state number (by_state.ts); under
   * hash compaction its chunks are made in the store's freed chunks when there are some (recycle()).
   */
  private readonly parent = new ByState((n) => {
    const room = this.recycle(4 * n);
    return room ? new Int32Array(room.buffer, room.at, n).fill(0) : new Int32Array(n);
  });
  /** Hash compaction (ExploreOptions.hashCompact): see the file comment. */
  private readonly compact: boolean;
  /** A hash-compaction search's action (a candidate of its parent's canonical form) by state number. */
  private readonly action = new ByState((n) => {
    const room = this.recycle(2 * n);
    return room ? new Int16Array(room.buffer, room.at, n).fill(0) : new Int16Array(n);
  });
  /** The freed chunk of the store that recycle() is filling, the bytes it used of it, and of all. */
  private recycling: ArrayBuffer | null = null;
  private recycledAt = 0;
  private recycledBytes = 0;
  /** A hash-compaction search's chunks in the order they were filled, holding unexpanded states; the last is `current`. */
  private readonly liveChunks: number[] = [];
  /** Chunks whose states were all expanded, to fill again. */
  private readonly freeChunks: number[] = [];
  /** The number of the last state put in each chunk (hash compaction). */
  private readonly chunkLast = new Int32Array(MAX_CHUNKS);
  private count = 0;
  private cursor = 0;
  private levelEnd = 1;
  private level = 0;
  private transitions = 0;
  private seconds = 0;
  private peak = 0;
  private done = false;
  private out: ExploreResult | null = null;
  private readonly cands: Int32Array;
  private readonly L: Layout;
  /**
   * Successors waiting to be looked up (see run()): their canonical forms, words apart, and their
   * hashes, used words and parents.
   */
  private readonly pending: Int32Array;
  /** Each pending place as bytes and as words, for the model to make a successor in. */
  private readonly pendingBytes: Uint8Array[];
  private readonly pendingWords: Int32Array[];
  private readonly pendingHash: Int32Array;
  private readonly pendingUsed: Int32Array;
  private readonly pendingParent: Int32Array;
  /** Hash compaction: the hash's upper half and the action, for each pending successor. */
  private readonly pendingHigh: Int32Array;
  private readonly pendingAction: Int16Array;
  private npending = 0;
  /**
   * Where loads whose only purpose is to bring a line into the cache leave their value (public, so
   * that the compiler cannot drop them).
   */
  sink = 0;
  private readonly now: () => number;

  /** `scope`: makeScope()'s for the bound unless given (a test's scope without reduction 4, Scope.reduction4). */
  constructor(readonly options: ExploreOptions, scope: Scope = makeScope(options.bound)) {
    this.scope = scope;
    ({ model: this.model, canonicalizer: this.canonicalizer } = reducedModel(options, this.scope));
    this.size = this.model.L.size;
    this.words = this.size >> 2;
    this.L = this.model.L;
    this.now = options.now ?? Date.now;
    this.compact = !!options.hashCompact;
    // Actions are menu indices, STEP (-1) or RESUME_BASE - i (i < nf): an Int16Array holds them.
    if (this.scope.menu.length > 0x7fff) throw new RangeError('internal: the menu is too long for hash compaction\'s actions');
    this.table = new Int32Array(this.compact ? 0 : 1 << 15);
    this.compactTable = this.compact ? new CompactTable(14) : null;
    this.place = new Int32Array(4096);
    this.cands = new Int32Array(this.scope.menu.length + 2 + this.L.nf);
    // A batch is closed once it holds BATCH successors; one state adds at most cands.length more.
    const room = BATCH + this.cands.length;
    ({ all: this.pending, bytes: this.pendingBytes, words: this.pendingWords } = pendingSlots(room, this.words, 0, this.size));
    this.pendingHash = new Int32Array(room);
    this.pendingUsed = new Int32Array(room);
    this.pendingParent = new Int32Array(room);
    this.pendingHigh = new Int32Array(this.compact ? room : 0);
    this.pendingAction = new Int16Array(this.compact ? room : 0);
    const init = this.canonicalizer.canon(this.model.initial(new Uint8Array(this.size)));
    const used = this.L.usedWords(init, 0);
    this.insert(init, 0, hashWords(init, 0, used), this.compact ? hashWordsHigh(init, 0, used) : 0, used, -1, 0);
  }

  get finished(): boolean {
    return this.done;
  }

  /** The chunks of the store (those recycle() took among them), the table, parents, places and actions. */
  private bytes(): number {
    return this.chunks.length * CHUNK_WORDS * 4 + this.table.byteLength + (this.compactTable?.byteLength ?? 0) + this.parent.byteLength + this.place.byteLength + this.action.byteLength - this.recycledBytes;
  }

  /**
   * Room for `bytes` (a multiple of 4) in a chunk of the store whose states were all expanded, for
   * a chunk of parents or actions, or null when there is none (an exact search frees no chunk).
   * Under hash compaction the widest levels come early (3.9 M states waited at once at depth 12 of
   * issue 17's bound) and the chunks they filled stay free after them: the parents and actions of
   * the later states take that memory, already touched, instead of new memory, whose first touch
   * costs a page fault every 4 KiB. A chunk taken so is the store's no more (never filled again)
   * and is counted once, as a chunk.
   */
  private recycle(bytes: number): { buffer: ArrayBuffer; at: number } | null {
    if (this.recycling === null || this.recycledAt + bytes > CHUNK_WORDS * 4) {
      const free = this.freeChunks.pop();
      if (free === undefined) return null;
      this.recycling = this.chunks[free].buffer as ArrayBuffer;
      this.recycledAt = 0;
    }
    const at = this.recycledAt;
    this.recycledAt += bytes;
    this.recycledBytes += bytes;
    return { buffer: this.recycling, at };
  }

  /**
   * Add a canonical state (words cw[at..], its hash and used words) unless it is known; true when
   * it was new. The table holds pairs (place + 1, hash) side by side, so a probe reads one cache
   * line before it compares states. `high` and `action`: hash compaction's (insertCompact()).
   */
  private insert(cw: Int32Array, at: number, h: number, high: number, used: number, parent: number, action: number): boolean {
    if (this.compact) return this.insertCompact(cw, at, h, high, used, parent, action);
    const table = this.table;
    const slot = probe(table, this.chunks, cw, at, h, used);
    if (table[slot << 1] !== 0) return false;
    const index = this.count++;
    const ref = this.allocate(index, used);
    const words = this.chunks[ref >>> CHUNK_BITS];
    const base = ref & CHUNK_MASK;
    for (let k = 0; k < used; k++) words[base + k] = cw[at + k];
    this.parent.set(index, parent);
    table[slot << 1] = ref + 1;
    table[(slot << 1) + 1] = h;
    if (this.count * 4 > table.length) this.table = rehashed(table);
    return true;
  }

  /**
   * insert() for hash compaction: the state is known when its 64-bit hash (high, low) is; else it
   * is stored (to be expanded) with its parent and action. A state whose hash is another's is
   * taken as known: the omission docs/explorer.md bounds.
   */
  private insertCompact(cw: Int32Array, at: number, low: number, high: number, used: number, parent: number, action: number): boolean {
    // Fuller than the exact table (15/16 against 1/2): the table is most of what hash compaction
    // holds, and its Robin Hood order keeps a lookup short when full; it doubles itself, and from
    // 2^24 slots keeps a hash in 6 bytes (compact_table.ts).
    if (!this.compactTable!.insert(low, high)) return false;
    const index = this.count++;
    const ref = this.allocate(index, used);
    copyWords(this.chunks[ref >>> CHUNK_BITS], ref & CHUNK_MASK, cw, at, used);
    this.parent.set(index, parent);
    this.action.set(index, action);
    return true;
  }

  /** A place for state `index` of `used` words (see `place`). */
  private allocate(index: number, used: number): number {
    if (this.chunkFill + used > CHUNK_WORDS) this.nextChunk();
    let k = index - this.placeBase;
    if (k >= this.place.length) {
      // Hash compaction reads no place below the cursor again: when they are half the array,
      // the rest is moved down instead of the array grown.
      const expanded = this.cursor - this.placeBase;
      if (this.compact && expanded >= this.place.length >> 1) {
        this.place.copyWithin(0, expanded, k);
        this.placeBase = this.cursor;
        k = index - this.placeBase;
      } else {
        this.place = grown(this.place);
      }
    }
    const ref = (this.current << CHUNK_BITS) | this.chunkFill;
    this.chunkFill += used;
    this.place[k] = ref;
    if (this.compact) this.chunkLast[this.current] = index;
    return ref;
  }

  /** Start filling another chunk: a new one, or under hash compaction one whose states were all expanded. */
  private nextChunk(): void {
    const reused = this.freeChunks.pop();
    if (reused !== undefined) {
      this.current = reused;
      // The model skips loading a source at the place it loaded last: that place now holds another state.
      this.model.forget();
    } else {
      if (this.chunks.length >= MAX_CHUNKS) throw new RangeError('internal: the state store is full (run() stops a chunk before)');
      const words = new Int32Array(CHUNK_WORDS);
      this.chunks.push(words);
      this.chunkBytes.push(new Uint8Array(words.buffer));
      this.current = this.chunks.length - 1;
    }
    if (this.compact) this.liveChunks.push(this.current);
    this.chunkFill = 0;
  }

  /** Hash compaction: free the chunks before the cursor (never the one being filled). */
  private releaseExpanded(): void {
    const live = this.liveChunks;
    while (live.length > 1 && this.chunkLast[live[0]] < this.cursor) this.freeChunks.push(live.shift()!);
  }

  /**
   * Every stored state, in the order found (canonical forms, as words at words[at..]): for tests
   * that walk the transitions the search took (test/unit/explorer_pairs.test.ts).
   */
  forEachState(fn: (words: Int32Array, at: number) => void): void {
    if (this.compact) throw new Error('internal: a hash-compaction search does not keep the states it expanded');
    for (let i = 0; i < this.count; i++) {
      const ref = this.place[i];
      fn(this.chunks[ref >>> CHUNK_BITS], ref & CHUNK_MASK);
    }
  }

  /**
   * The core explorer's actions from the initial state to stored state `i` (an exact search):
   * for tests that check a reduced search's states map back to real traces.
   */
  actionsTo(i: number): number[] {
    if (this.compact) throw new Error('internal: a hash-compaction search does not keep the states it expanded');
    const targets: Array<{ words: Int32Array; at: number }> = [];
    for (let j = i; j > 0; j = this.parent.get(j)) {
      const ref = this.place[j];
      targets.push({ words: this.chunks[ref >>> CHUNK_BITS], at: ref & CHUNK_MASK });
    }
    const actions = rebuildPackedChain(this.model, this.canonicalizer, targets.reverse()).actions;
    this.model.forget();
    return actions;
  }

  progress(): SearchCounts {
    return {
      states: this.count, transitions: this.transitions, depth: this.level, frontier: this.count - this.cursor, seconds: this.seconds,
      memoryBytes: this.memoryUsed(), maxMemoryBytes: this.options.maxMemoryBytes ?? DEFAULT_MAX_BYTES,
    };
  }

  /**
   * What the memory cap is compared with: the state store's own size, or the host's measure when
   * it gives one and it is larger (a worker's heap plus its buffers).
   */
  private memoryUsed(): number {
    return Math.max(this.bytes(), this.options.memoryUsed ? this.options.memoryUsed() : 0);
  }

  /**
   * Work for about `ms` milliseconds; true when the search is over.
   *
   * States are expanded in order; their successors' canonical forms wait in `pending` and are
   * looked up BATCH at a time (lookUpPending()), first by reading every one's table slot and every
   * matching stored state without using what was read, then for real. The first pass's reads miss
   * the cache and do not depend on each other, so the processor overlaps them; the second finds
   * the lines in the cache. A batch is looked up in the order its successors were made, so states
   * are numbered and reported exactly as one at a time would.
   */
  run(ms: number): boolean {
    if (this.done) return true;
    const t0 = this.now();
    const { model, options, canonicalizer, cands } = this;
    const maxStates = options.maxStates ?? DEFAULT_MAX_STATES;
    const maxBytes = options.maxMemoryBytes ?? DEFAULT_MAX_BYTES;
    model.useBuffer(this.pendingBytes[this.npending], this.pendingWords[this.npending]);
    try {
      for (let batch = 0; ; batch++) {
        // The queue's end and a level's end are only known once what waits was looked up.
        if (this.npending >= BATCH || (this.npending > 0 && (this.cursor === this.levelEnd || this.cursor >= this.count))) {
          if (this.lookUpPending()) return true;
          model.useBuffer(this.pendingBytes[0], this.pendingWords[0]);
        }
        if (this.cursor >= this.count) { this.finish('no violation within the bound'); return true; }
        // A batch and one state's successors take far less than a chunk: the last is never reached.
        if (this.chunks.length >= MAX_CHUNKS - 1) {
          this.finish('incomplete', `stopped at the state store's limit of ${Math.round(MAX_CHUNKS * CHUNK_WORDS * 4 / 2 ** 30)} GiB (lower the bound)`);
          return true;
        }
        if (this.cursor === this.levelEnd) { this.level++; this.levelEnd = this.count; }
        const ref = this.place[this.cursor - this.placeBase];
        const chunk = ref >>> CHUNK_BITS;
        const at = ref & CHUNK_MASK;
        const words = this.chunks[chunk];
        const bytes = this.chunkBytes[chunk];
        const n = model.candidates(bytes, at << 2, cands, canonicalizer.symmetries(bytes, at << 2));
        for (let k = 0; k < n; k++) {
          if (!model.apply(words, at, cands[k])) continue;
          this.transitions++;
          if (model.violation) {
            if (this.npending > 0 && this.lookUpPending()) return true;
            this.violationFound(this.cursor, model.violation);
            return true;
          }
          // The successor was made in pending place j; it waits there in canonical form.
          const j = this.npending++;
          const sw = model.sw;
          const used = canonicalizer.canonInto(model.s, sw);
          if (this.compact) {
            this.pendingHash[j] = hashWordsBoth(sw, 0, used, this.pendingHigh, j);
            this.pendingAction[j] = cands[k];
          } else {
            this.pendingHash[j] = hashWords(sw, 0, used);
          }
          this.pendingUsed[j] = used;
          this.pendingParent[j] = this.cursor;
          model.useBuffer(this.pendingBytes[j + 1], this.pendingWords[j + 1]);
        }
        this.cursor++;
        if (this.compact) this.releaseExpanded();
        // The cap is checked in lookUpPending(), and here when nothing waits (the count is then up
        // to date): a cap of one state stops before any lookup.
        if (this.npending === 0 && this.count >= maxStates) return this.stopAtStateCap(maxStates, this.cursor);
        if ((batch & 1023) === 0) {
          const bytes = this.memoryUsed();
          if (bytes > this.peak) this.peak = bytes;
          if (bytes > maxBytes) {
            this.finish('incomplete', memoryCapMessage(bytes, maxBytes));
            return true;
          }
          if (this.now() - t0 >= ms) return false;
        }
      }
    } finally {
      this.seconds += (this.now() - t0) / 1000;
    }
  }

  /**
   * Insert the pending successors (see run()); true when the search stopped at the state cap,
   * which is checked, as one state at a time would, after the last successor of each state.
   */
  private lookUpPending(): boolean {
    const n = this.npending;
    const w = this.words;
    const { pending, pendingHash, pendingUsed, pendingParent } = this;
    // Bring the table slots, then the stored states they name, into the cache (under hash
    // compaction the table holds no places: the slot is all there is to read).
    this.sink = this.compact ? this.compactTable!.warm(pendingHash, n) : warm(this.table, this.chunks, pendingHash, n, true);
    const maxStates = this.options.maxStates ?? DEFAULT_MAX_STATES;
    this.npending = 0;
    let capParent = -1;
    for (let j = 0; j < n; j++) {
      if (capParent >= 0 && pendingParent[j] !== capParent) {
        // One state at a time would have stopped before expanding this successor's parent.
        this.transitions -= n - j;
        break;
      }
      this.insert(pending, j * w, pendingHash[j], this.compact ? this.pendingHigh[j] : 0, pendingUsed[j], pendingParent[j], this.compact ? this.pendingAction[j] : 0);
      if (capParent < 0 && this.count >= maxStates) capParent = pendingParent[j];
    }
    return capParent >= 0 && this.stopAtStateCap(maxStates, capParent + 1);
  }

  private stopAtStateCap(maxStates: number, cursor: number): boolean {
    this.cursor = cursor;
    this.finish('incomplete', `stopped at the state cap of ${maxStates} distinct states (raise it with --max-states)`);
    return true;
  }

  cancel(): void {
    if (!this.done) this.finish('incomplete', 'cancelled');
  }

  /** The core explorer's actions from the initial state to the violating transition. */
  private rebuildPath(last: number): number[] {
    if (this.compact) return this.rebuildCompactPath(last);
    const targets: Array<{ words: Int32Array; at: number }> = [];
    for (let i = last; i > 0; i = this.parent.get(i)) {
      const ref = this.place[i];
      targets.push({ words: this.chunks[ref >>> CHUNK_BITS], at: ref & CHUNK_MASK });
    }
    return rebuildPackedPath(this.model, this.canonicalizer, targets.reverse());
  }

  /**
   * rebuildPath() under hash compaction, whose expanded states are gone: the chain of canonical
   * forms is made again from the canonical initial state by each state's action (applied, as in
   * the search, to its parent's canonical form), then matched as the exact search's stored forms
   * are, so the counterexample is the one the exact search would give for the same chain.
   */
  private rebuildCompactPath(last: number): number[] {
    const chain: number[] = [];
    for (let i = last; i > 0; i = this.parent.get(i)) chain.push(this.action.get(i));
    chain.reverse();
    const { model, canonicalizer } = this;
    const buffer = new Uint8Array(this.size);
    model.useBuffer(buffer, new Int32Array(buffer.buffer));
    let from = canonicalizer.canon(model.initial(new Uint8Array(this.size))).slice();
    const targets: Array<{ words: Int32Array; at: number }> = [];
    for (const a of chain) {
      model.forget();
      if (!model.apply(from, 0, a) || model.violation) throw new Error('internal: the hash-compaction search cannot make its path again');
      from = canonicalizer.canonInPlace(model.s, model.sw).slice();
      targets.push({ words: from, at: 0 });
    }
    model.forget();
    return rebuildPackedPath(model, canonicalizer, targets);
  }

  private violationFound(at: number, v: PackedViolation): void {
    const actions = this.rebuildPath(at);
    const violation = confirmWithCore(this.scope, this.options.variant, actions, v);
    this.finish('violation', undefined, violation, actions, actions.length);
  }

  private finish(verdict: Verdict, stopped?: string, violation?: Violation, actions?: number[], depth?: number): void {
    this.done = true;
    this.peak = Math.max(this.peak, this.bytes());
    this.out = searchResult(this.options, {
      verdict, stopped, violation, actions, states: this.count, transitions: this.transitions,
      depth: depth ?? this.level, peakMemoryBytes: this.peak, engine: 'packed', reachedMask: this.model.reached,
      ...(this.compact ? { hashCompaction: { hashBits: COMPACT_HASH_BITS, omissionBound: omissionBound(this.count) } } : {}),
    });
  }

  result(): ExploreResult {
    return withTime(this.out, this.seconds);
  }
}

/**
 * The core explorer's actions along a chain of stored canonical states (`targets`: each state
 * after the initial one, in order) and then the first violating candidate of the last: from the
 * initial state, the first candidate whose successor has the next target's canonical form. Shared
 * by the single search and the partitioned one (parallel.ts), so that the same chain gives the
 * same actions.
 */
export function rebuildPackedPath(model: PackedModel, canonicalizer: Canonicalizer, targets: ReadonlyArray<{ words: Int32Array; at: number }>): number[] {
  const { actions, actual } = rebuildPackedChain(model, canonicalizer, targets);
  const actualWords = new Int32Array(actual.buffer);
  const cands = new Int32Array(model.scope.menu.length + 2 + model.L.nf);
  const n = model.candidates(actual, 0, cands);
  for (let k = 0; k < n; k++) {
    if (model.apply(actualWords, 0, cands[k]) && model.violation) { actions.push(cands[k]); return actions; }
  }
  throw new Error('internal: the packed search cannot rebuild its violating transition');
}

/**
 * The core explorer's actions along a chain of stored canonical states, and the real state they
 * lead to (not canonicalised): from the initial state, each time the first candidate whose
 * successor has the next target's canonical form. This is how a reduced search's counterexample
 * becomes a real trace: the concrete successor matching each canonical one is searched for again
 * (under the page symmetry, some concrete successor has the target's form, because the canonical
 * form is the same for every image of a state: docs/explorer.md).
 */
export function rebuildPackedChain(model: PackedModel, canonicalizer: Canonicalizer, targets: ReadonlyArray<{ words: Int32Array; at: number }>): { actions: number[]; actual: Uint8Array } {
  const size = model.L.size;
  const actual = model.initial(new Uint8Array(size));
  const actualWords = new Int32Array(actual.buffer);
  const actions: number[] = [];
  const cands = new Int32Array(model.scope.menu.length + 2 + model.L.nf);
  const matches = (target: { words: Int32Array; at: number }) => {
    const c = canonicalizer.canon(model.s);
    const used = model.L.usedWords(c, 0);
    for (let k = 0; k < used; k++) if (c[k] !== target.words[target.at + k]) return false;
    return true;
  };
  for (const target of targets) {
    const n = model.candidates(actual, 0, cands);
    // Actions are menu indices, STEP (-1) or RESUME_BASE - i: "not found" needs its own flag.
    let found = false;
    for (let k = 0; k < n && !found; k++) {
      if (model.apply(actualWords, 0, cands[k]) && !model.violation && matches(target)) { found = true; actions.push(cands[k]); }
    }
    if (!found) throw new Error('internal: the packed search cannot rebuild its path');
    actual.set(model.s);
    model.forget();
  }
  return { actions, actual };
}

/** Replay the actions through the core: its checks must report the violation at the last one. */
export function confirmWithCore(scope: Scope, variant: Variant, actions: number[], expected: { kind: string; strength?: string }): Violation {
  let node: Node = rootNode(scope);
  for (let i = 0; i < actions.length; i++) {
    const o = coreApply(scope, variant, node, actions[i]);
    if (!o) throw new Error(`internal: the core does not allow action ${actions[i]} of the packed counterexample at transition ${i + 1}`);
    if (o.violations.length && i < actions.length - 1) throw new Error(`internal: the core reports ${o.violations[0].kind} at transition ${i + 1}, before the packed model does`);
    if (i === actions.length - 1) {
      const v = o.violations[0];
      if (!v || v.kind !== expected.kind || v.strength !== expected.strength) {
        throw new Error(`internal: the packed model reports ${expected.kind} at transition ${i + 1}, the core ${v ? v.kind : 'nothing'}`);
      }
      return v;
    }
    node = o.node;
  }
  throw new Error('internal: empty counterexample');
}

/** Whether `order` is 0, 1, 2, ... */
function isIdentity(order: number[]): boolean {
  for (let i = 0; i < order.length; i++) if (order[i] !== i) return false;
  return true;
}

/** Where `order` is in `orders` (element by element), or -1. */
function indexOfOrder(orders: number[][], order: number[]): number {
  for (let i = 0; i < orders.length; i++) {
    const o = orders[i];
    let k = 0;
    while (k < order.length && o[k] === order[k]) k++;
    if (k === order.length && o.length === order.length) return i;
  }
  return -1;
}

/**
 * The model and the canonical form a search with these options runs on: the model with
 * `--reduce por`'s footprint when asked, the canonical form with the page symmetry when asked.
 * Every search made from the options makes them here (the single search, each thread of the
 * shared one and its coordinator, which rebuilds the path), so that every part of one search
 * reduces alike (docs/explorer.md "Reductions and hash compaction on several workers").
 */
export function reducedModel(options: ExploreOptions, scope: Scope): { model: PackedModel; canonicalizer: Canonicalizer } {
  const model = new PackedModel(scope, options.variant, { por: reducesByPor(options.reduce) });
  return { model, canonicalizer: new Canonicalizer(model.L, reductionOf(options, scope, model.L)) };
}

/** The page symmetry when the options ask for it (ExploreOptions.reduce), else none. */
function reductionOf(options: ExploreOptions, scope: Scope, L: Layout): PageSymmetry | undefined {
  const reduce = options.reduce;
  if (reduce === undefined || reduce === 'por') return undefined;
  if (reducesBySymmetry(reduce)) return new PageSymmetry(scope, L, { por: reducesByPor(reduce) });
  throw new RangeError(`internal: unknown reduction '${String(reduce)}' (known: symmetry, por, symmetry,por)`);
}
