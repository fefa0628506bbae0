/**
 * Symmetry over the region's pages (`explore --reduce symmetry`, ExploreOptions.reduce;
 * docs/explorer.md, "Symmetry over pages"): the canonical form of a packed state under the
 * permutations of the region's pages that keep its 2M frames whole and its menu pages on menu
 * pages (a permutation of the E frames and, inside each frame, of its E pages).
 *
 * The group acts only on the states where every transition treats pages alike (inQuotient()):
 * logging is on (no later enable) and no huge leaf is left (faults then map 4K only, so none comes
 * back, and a split, the enable's or a clear's with initially-set, whether ahead, under way or
 * done, finds nothing left to split). Elsewhere the eager split walks the region in gfn order, one
 * frame after the other with mmu_lock dropped in between, and loopRun() makes one step of each run
 * of equal entries: which page comes first is then seen, so no page is interchangeable with
 * another, and the state is left as it is.
 *
 * The canonical form of a state in that set is found by sorting, not by trying the group's
 * (E!)^(E+1) elements: each page gets a key made of everything the state says about it (its L1
 * entry, its dirty, written and re-faulted bits, the operation masks holding it, which TLB entries
 * and which operation arguments name it) and none of its number; pages are sorted inside each
 * frame, then frames by their own key (L2 entry, L1 SP, TLB entries naming the frame, their sorted
 * pages), and the state is rewritten in that order. Two pages (or frames) with equal keys are
 * named by nothing and hold the same, so exchanging them leaves the state as it is: the order
 * of ties does not matter and the result is the same for every image of the state. The keys name
 * operation frames by place, so the paused frames are first put in order by what they hold apart
 * from pages, and every order of the frames that tie on that is tried (the least result is kept).
 */
import type { Scope } from '../scope';
import {
  LEAF_RO, LEAF_W, HUGE_L2, Layout, K_CLEAR, K_INVALIDATE,
  F_KIND, F_ARG, F_HAS_SPLIT, S_HUGE, S_CURSOR, S_START, S_END, getL1, setL1, getBit, setBit, copyWords,
} from './layout';

/** Why the page symmetry cannot be used on this scope (an empty list when it can). */
export function pageSymmetryProblems(scope: Scope, L: Layout): string[] {
  const e = L.e;
  const menuPages = new Set<number>();
  const accessPages = new Map<string, Set<number>>();
  const invalidated = new Set<number>();
  const cleared = new Set<number>();
  const problems: string[] = [];
  for (const a of scope.menu) {
    if (a.t === 'access') {
      const p = a.addr - scope.region;
      menuPages.add(p);
      const k = `${a.vcpu} ${a.root} ${a.kind}`;
      if (!accessPages.has(k)) accessPages.set(k, new Set());
      accessPages.get(k)!.add(p);
    } else if (a.t === 'invalidate') {
      invalidated.add(a.gfn - scope.region);
    } else if (a.t === 'clear') {
      if (a.gfns.length === 1) cleared.add(a.gfns[0] - scope.region);
      else if (a.gfns.length !== L.p || a.gfns.some((g, i) => g !== scope.region + i)) problems.push('a clear of several pages other than the whole region');
    }
  }
  const same = (x: Set<number>) => x.size === menuPages.size && [...x].every((p) => menuPages.has(p));
  for (const [k, pages] of accessPages) if (!same(pages)) problems.push(`the accesses "${k}" name other pages than the menu's`);
  if (invalidated.size && !same(invalidated)) problems.push('the invalidations name other pages than the accesses');
  if (cleared.size && !same(cleared)) problems.push('the one-page clears name other pages than the accesses');
  // The sort puts menu pages first in a frame and frames with more menu pages first: the menu
  // must already be laid out so (menu offsets a prefix of each frame, counts not increasing).
  let previous = e;
  for (let f = 0; f < e; f++) {
    let count = 0;
    while (count < e && menuPages.has(f * e + count)) count++;
    for (let o = count; o < e; o++) if (menuPages.has(f * e + o)) problems.push(`the menu pages of frame ${f} are not its first ones`);
    if (count > previous) problems.push('a frame has more menu pages than the frame before it');
    previous = count;
  }
  return problems;
}

/** All orders of 0..n-1. */
function permutations(n: number): number[][] {
  if (n === 0) return [[]];
  const out: number[][] = [];
  for (const rest of permutations(n - 1)) {
    for (let i = 0; i <= rest.length; i++) out.push([...rest.slice(0, i), n - 1, ...rest.slice(i)]);
  }
  return out;
}

export class PageSymmetry {
  private readonly e: number;
  private readonly p: number;
  /** 0 for a menu page, 1 for the others (menu pages sort first). */
  private readonly color: Int32Array;
  /** The pages of each frame that are not menu pages (frames with more menu pages sort first). */
  private readonly nonMenu: Int32Array;
  /** The clear (index into L.clears) of exactly page p, or -1. */
  private readonly clearOf: Int32Array;
  /** The page a one-page clear names, by clear index, or -1 (the whole region). */
  private readonly clearPage: Int32Array;
  /** Words of a page's key, and of a frame's own part of its key (its pages' keys follow: compareFrames()). */
  private readonly kp: number;
  /** Where each part of a page's key is: its word in the key and the shift of its lowest bit (the constructor). */
  private readonly kColor: number;
  private readonly kState: number;
  private readonly kTlb: number;
  private readonly kFrame: number;
  private readonly sColor: number;
  private readonly sState: number;
  private readonly sTlb: number;
  private readonly sFrame: number;
  private readonly hf: number;
  private readonly tlbChunks: number;
  private readonly frameChunks: number;
  private readonly pageKeys: Int32Array;
  private readonly frameKeys: Int32Array;
  /** Pages of a frame in sorted order (by frame), frames in sorted order. */
  private readonly pageOrder: Int32Array;
  private readonly frameOrder: Int32Array;
  /** The permutation: new page of each page, new frame of each frame. */
  readonly perm: Int32Array;
  readonly framePerm: Int32Array;
  private readonly orders: number[][][];
  private readonly frame: Int32Array;
  private readonly desc: Int32Array;
  /** compareDescriptors() of paused frames i and j at i * n + j (pausedOrders(), n paused frames). */
  private readonly pairOrder: Int8Array;
  /** The two descriptors of compareDescriptors(), as bytes. */
  private readonly descBytes0: Uint8Array;
  private readonly descBytes1: Uint8Array;

  /**
   * `por`: the state's fresh byte is a mask of frames (`--reduce por`, model.ts), which the
   * permutation moves with the frames and the frame's key holds; without it the byte is 0 or 1
   * and names no frame.
   */
  private readonly por: boolean;
  /** The operation bound: how many operations a state has left decides whether the invalidation range can tell pages apart (inQuotient()). */
  private readonly opsBound: number;

  constructor(scope: Scope, private readonly L: Layout, options: { por?: boolean } = {}) {
    this.por = !!options.por;
    this.opsBound = scope.bound.ops;
    const problems = pageSymmetryProblems(scope, L);
    if (problems.length) throw new Error(`internal: the page symmetry cannot be used on this menu: ${problems.join('; ')}`);
    const e = L.e;
    this.e = e;
    this.p = L.p;
    this.color = new Int32Array(L.p).fill(1);
    for (const a of scope.menu) if (a.t === 'access') this.color[a.addr - scope.region] = 0;
    this.nonMenu = new Int32Array(e);
    for (let p = 0; p < L.p; p++) this.nonMenu[(p / e) | 0] += this.color[p];
    this.clearOf = new Int32Array(L.p).fill(-1);
    this.clearPage = new Int32Array(L.clears.length).fill(-1);
    L.clears.forEach((pages, i) => {
      if (pages.length === 1) { this.clearOf[pages[0]] = i; this.clearPage[i] = pages[0]; }
    });
    this.tlbChunks = Math.ceil((2 * L.nt) / 30);
    this.frameChunks = Math.ceil(((L.nf + 1) * 4) / 28);
    // A page's key: its menu colour, its state (L1 entry, its bits and whether it ends the
    // invalidation range: 6 bits), the TLB slots naming
    // it (a bit each, 30 to a chunk), the operation frames holding it (4 bits each, 7 to a chunk),
    // compared in that order. When all of it fits 31 bits it is one word, the parts from the
    // colour down to the frames' bits from the top bit down, so that comparing the words compares
    // the parts in order as the words of the long key would (each part is below 2^its width).
    const frameBits = 4 * (L.nf + 1);
    const bits = 1 + 6 + 2 * L.nt + frameBits;
    if (this.tlbChunks === 1 && this.frameChunks === 1 && bits <= 31) {
      this.kp = 1;
      this.kColor = 0; this.kState = 0; this.kTlb = 0; this.kFrame = 0;
      this.sFrame = 0;
      this.sTlb = frameBits;
      this.sState = this.sTlb + 2 * L.nt;
      this.sColor = this.sState + 6;
    } else {
      this.kp = 2 + this.tlbChunks + this.frameChunks;
      this.kColor = 0; this.kState = 1; this.kTlb = 2; this.kFrame = 2 + this.tlbChunks;
      this.sColor = 0; this.sState = 0; this.sTlb = 0; this.sFrame = 0;
    }
    // A frame: menu pages (fewer sorts later), L2 entry, L1 SP, TLB entries naming it, split frames naming it, its pages.
    this.hf = 3 + this.tlbChunks + 1;
    this.pageKeys = new Int32Array(L.p * this.kp);
    this.frameKeys = new Int32Array(e * this.hf);
    this.pageOrder = new Int32Array(L.p);
    this.frameOrder = new Int32Array(e);
    this.perm = new Int32Array(L.p);
    this.framePerm = new Int32Array(e);
    this.orders = [];
    for (let n = 0; n <= L.nf; n++) this.orders.push(permutations(n));
    this.frame = new Int32Array(L.fw * (L.nf + 1));
    this.desc = new Int32Array(L.fw * 2);
    this.pairOrder = new Int8Array(L.nf * L.nf);
    this.descBytes0 = new Uint8Array(this.desc.buffer, 0, L.fs);
    this.descBytes1 = new Uint8Array(this.desc.buffer, L.fs, L.fs);
  }

  /**
   * Whether the state at s[0..] is one the page permutations may act on: logging on and no huge
   * leaf (1G or 2M). Then a fault maps 4K, so no huge leaf comes back, and every split, ahead
   * (an enable before its split, a clear's with initially-set), under way or done, has nothing
   * left to split: its remaining steps look for a huge leaf and find none, drop the lock (the
   * yield before a huge page whose leaf an invalidation zapped meanwhile), flush and link the frame
   * it names (which the group moves), and end in the same state from whatever cursor. Until
   * 2026-12-07 an enable before its write-protection and a split not done kept a state out: at
   * issue 17's bound that was 21 % of the states, each its own class (docs/explorer.md, "Splits
   * with nothing to split"). No transition leaves that set (docs/explorer.md). And the invalidation range (Layout.hull) cannot tell pages apart
   * in the state's future: it is the hull of the pages invalidated since the in-progress count was
   * zero, so two invalidations in progress refuse faults on the pages BETWEEN them, which depends
   * on the pages' order, not only on what each page holds; no permutation but the identity keeps
   * that order on the menu's pages (0, 1, E, E+1) and its reversal. It can tell them apart only if
   * a fault can still run (an operation left) after a range of two pages or more has formed: from
   * an empty range that takes two starts and a third operation, from a one-page range (the page
   * of the invalidations in flight, which their frames name) a start and a second operation. So
   * the group acts on an empty range with at most 2 operations left, on a one-page range with at
   * most 1 left, and on any range with none left (no fault and no start can run: the range is then
   * read by no step, and only reset by the last end). No transition leaves this set either: a start
   * spends an operation, an end only empties the range (docs/explorer.md, "Symmetry over pages":
   * the argument).
   */
  inQuotient(s: Uint8Array): boolean {
    const L = this.L;
    if (s[L.mode] === 0) return false;
    const left = this.opsBound - s[L.ops];
    const lo = s[L.hull];
    if (left > 0 && (lo === 0 ? left > 2 : lo !== s[L.hull + 1] || left > 1)) return false;
    for (let r = 0; r < 2; r++) if (s[L.l3 + r] === LEAF_RO || s[L.l3 + r] === LEAF_W) return false;
    for (let i = 0; i < this.e; i++) if (s[L.l2e + i] === LEAF_RO || s[L.l2e + i] === LEAF_W) return false;
    // An enable before its write-protection, or a split not done, is let in (since 2026-12-07):
    // with logging on and no huge leaf, a split has nothing left to split and none can come back,
    // so its remaining steps read no page's place (docs/explorer.md, "Splits with nothing to split").
    return true;
  }

  /**
   * The orders of the paused frames to try: frames sorted by what they hold apart from pages
   * (descriptor()), every order of each run of equal ones. Indices into the paused frames. `out`:
   * an array to fill and return (emptied first) when there are two paused frames or more.
   */
  pausedOrders(s: Uint8Array, sw: Int32Array, out: number[][] = []): number[][] {
    const n = s[this.L.npaused];
    if (n < 2) return this.orders[n];
    out.length = 0;
    // Each pair compared once (not once for each order that puts them side by side).
    const cmp = this.pairOrder;
    for (let i = 0; i < n; i++) for (let j = i + 1; j < n; j++) {
      const c = this.compareDescriptors(sw, i, j);
      cmp[i * n + j] = c;
      cmp[j * n + i] = -c;
    }
    for (const order of this.orders[n]) {
      let ok = true;
      for (let i = 1; i < n && ok; i++) ok = cmp[order[i - 1] * n + order[i]] <= 0;
      if (ok) out.push(order);
    }
    return out;
  }

  /** The paused frames of s put in `order` (indices from pausedOrders()). */
  reorderPaused(sw: Int32Array, order: number[]): void {
    const L = this.L;
    const fw = L.fw;
    for (let i = 0; i < order.length; i++) copyWords(this.frame, i * fw, sw, L.pausedAt(order[i]) >> 2, fw);
    for (let i = 0; i < order.length; i++) copyWords(sw, L.pausedAt(i) >> 2, this.frame, i * fw, fw);
  }

  /** Paused frames i and j compared on their words with every word that names a page taken out. */
  private compareDescriptors(sw: Int32Array, i: number, j: number): number {
    const L = this.L;
    const fw = L.fw;
    this.descriptor(sw, L.pausedAt(i), 0);
    this.descriptor(sw, L.pausedAt(j), fw);
    for (let k = 0; k < fw; k++) if (this.desc[k] !== this.desc[fw + k]) return this.desc[k] < this.desc[fw + k] ? -1 : 1;
    return 0;
  }

  private descriptor(sw: Int32Array, f: number, to: number): void {
    const L = this.L;
    copyWords(this.desc, to, sw, f >> 2, L.fw);
    const b = to === 0 ? this.descBytes0 : this.descBytes1;
    const kind = b[F_KIND];
    if (kind === K_INVALIDATE || (kind === K_CLEAR && this.clearPage[b[F_ARG]] >= 0)) b[F_ARG] = 0;
    if (b[F_HAS_SPLIT] && b[S_HUGE] >= HUGE_L2) b[S_HUGE] = 0;
    if (b[F_HAS_SPLIT] && kind === K_CLEAR) { b[S_START] = 0; b[S_END] = 0; b[S_CURSOR] = 0; }
    for (let k = 0; k < 3 * L.mb; k++) b[L.reducedOf(0) + k] = 0;
  }

  /**
   * Find the permutation (perm, framePerm) that sorts the state at s[0..] (see the file comment).
   * The frames are read in their places as they are now.
   */
  sortPages(s: Uint8Array): void {
    const L = this.L;
    const e = this.e;
    const kp = this.kp;
    const keys = this.pageKeys;
    // Loops rather than fill(): for a few dozen words the builtin's call costs more than the stores.
    for (let i = 0; i < keys.length; i++) keys[i] = 0;
    const tc = this.tlbChunks;
    const { kColor, kState, sColor, sState, kTlb, sTlb } = this;
    for (let p = 0; p < this.p; p++) {
      const k = p * kp;
      keys[k + kColor] |= this.color[p] << sColor;
      keys[k + kState] |= (getL1(s, 0, L.l1e, p) | (getBit(s, L.dirty, p) << 2) | (getBit(s, L.written, p) << 3) | (getBit(s, L.remapped, p) << 4)) << sState;
    }
    // The ends of the invalidation range name their pages (permute() moves the range with them).
    if (s[L.hull]) {
      keys[(s[L.hull] - 1) * kp + kState] |= 32 << sState;
      keys[(s[L.hull + 1] - 1) * kp + kState] |= 32 << sState;
    }
    // TLB entries at level 1 name a page (slot j: bit j % 30 of chunk j / 30).
    for (let j = 0; j < 2 * L.nt; j++) {
      const at = L.tlb + 2 * j;
      if (!s[at] || (s[at + 1] & 3) !== 1) continue;
      keys[(s[at] - 1) * kp + kTlb + ((j / 30) | 0)] |= 1 << (sTlb + (j % 30));
    }
    // Operation frames (running, then paused in place): 4 bits each, 7 to a chunk.
    for (let x = 0; x <= s[L.npaused]; x++) {
      const f = x === 0 ? L.cur : L.pausedAt(x - 1);
      const kind = s[f + F_KIND];
      if (!kind) continue;
      const word = this.kFrame + ((x / 7) | 0);
      const shift = this.sFrame + (x % 7) * 4;
      for (let m = 0; m < 3; m++) {
        // The reduced, mask and must masks (3 * mb bytes from reducedOf(f)): bit m of the 3.
        const at = L.reducedOf(f) + m * L.mb;
        for (let k = 0; k < L.mb; k++) {
          const byte = s[at + k];
          if (byte === 0) continue;
          for (let b = 0; b < 8 && 8 * k + b < this.p; b++) if ((byte >> b) & 1) keys[(8 * k + b) * kp + word] |= (1 << m) << shift;
        }
      }
      const named = kind === K_INVALIDATE ? s[f + F_ARG] : kind === K_CLEAR ? this.clearPage[s[f + F_ARG]] : -1;
      if (named >= 0) keys[named * kp + word] |= 8 << shift;
    }
    // Pages in order inside each frame.
    const order = this.pageOrder;
    for (let fr = 0; fr < e; fr++) {
      for (let o = 0; o < e; o++) {
        const p = fr * e + o;
        let j = fr * e + o;
        if (kp === 1) {
          const key = keys[p];
          while (j > fr * e && key < keys[order[j - 1]]) { order[j] = order[j - 1]; j--; }
        } else {
          while (j > fr * e && compareRows(keys, p * kp, order[j - 1] * kp, kp) < 0) { order[j] = order[j - 1]; j--; }
        }
        order[j] = p;
      }
    }
    // Frame keys: what the frame holds apart from its pages (menu pages, L2 entry, L1 SP, the TLB
    // entries and split frames naming it); frames are compared on it, then on their pages' keys in
    // sorted order, read in place (compareFrames()) instead of copied after it.
    const hf = this.hf;
    const fk = this.frameKeys;
    for (let i = 0; i < fk.length; i++) fk[i] = 0;
    for (let fr = 0; fr < e; fr++) {
      const k = fr * hf;
      fk[k] = this.nonMenu[fr];
      fk[k + 1] = s[L.l2e + fr];
      fk[k + 2] = s[L.l1x + fr] | (this.por ? ((s[L.fresh] >> fr) & 1) << 1 : 0);
    }
    for (let j = 0; j < 2 * L.nt; j++) {
      const at = L.tlb + 2 * j;
      if (!s[at] || (s[at + 1] & 3) !== 2) continue;
      fk[(((s[at] - 1) / e) | 0) * hf + 3 + ((j / 30) | 0)] |= 1 << (j % 30);
    }
    for (let x = 0; x <= s[L.npaused]; x++) {
      const f = x === 0 ? L.cur : L.pausedAt(x - 1);
      if (s[f + F_KIND] && s[f + F_HAS_SPLIT] && s[f + S_HUGE] >= HUGE_L2) fk[(s[f + S_HUGE] - HUGE_L2) * hf + 3 + tc] |= 1 << x;
    }
    const forder = this.frameOrder;
    for (let fr = 0; fr < e; fr++) {
      let j = fr;
      while (j > 0 && this.compareFrames(fr, forder[j - 1]) < 0) { forder[j] = forder[j - 1]; j--; }
      forder[j] = fr;
    }
    const { perm, framePerm } = this;
    for (let nf = 0; nf < e; nf++) {
      const fr = forder[nf];
      framePerm[fr] = nf;
      for (let o = 0; o < e; o++) perm[order[fr * e + o]] = nf * e + o;
    }
  }

  /**
   * Frames x and y compared on their keys: the frame's own words (frameKeys), then its pages' keys
   * in their sorted order (pageKeys through pageOrder): one row of hf + E * kp words each, read in place.
   */
  private compareFrames(x: number, y: number): number {
    const c = compareRows(this.frameKeys, x * this.hf, y * this.hf, this.hf);
    if (c !== 0) return c;
    const { e, kp, pageKeys, pageOrder } = this;
    for (let o = 0; o < e; o++) {
      if (kp === 1) {
        const a = pageKeys[pageOrder[x * e + o]];
        const b = pageKeys[pageOrder[y * e + o]];
        if (a !== b) return a < b ? -1 : 1;
        continue;
      }
      const d = compareRows(pageKeys, pageOrder[x * e + o] * kp, pageOrder[y * e + o] * kp, kp);
      if (d !== 0) return d;
    }
    return 0;
  }

  /** Write into `out` (zeros or a state of the same paused count) the image of s under perm and framePerm. */
  permute(s: Uint8Array, out: Uint8Array): void {
    const L = this.L;
    const e = this.e;
    const perm = this.perm;
    const fperm = this.framePerm;
    out.set(s);
    for (let i = 0; i < e; i++) { out[L.l2e + fperm[i]] = s[L.l2e + i]; out[L.l1x + fperm[i]] = s[L.l1x + i]; }
    if (this.por) {
      let fresh = 0;
      for (let i = 0; i < e; i++) if ((s[L.fresh] >> i) & 1) fresh |= 1 << fperm[i];
      out[L.fresh] = fresh;
    }
    // The L1 entries written afresh: absent ones (code 0) need nothing once their bytes are cleared.
    const l1Bytes = Math.ceil(this.p / 4);
    for (let i = 0; i < l1Bytes; i++) out[L.l1e + i] = 0;
    for (let p = 0; p < this.p; p++) {
      const code = getL1(s, 0, L.l1e, p);
      if (code !== 0) setL1(out, L.l1e, perm[p], code);
    }
    permuteMask(s, out, L.dirty, L.mb, perm);
    permuteMask(s, out, L.written, L.mb, perm);
    permuteMask(s, out, L.remapped, L.mb, perm);
    // The invalidation range moves with its two end pages (the hull of their images: for a wider
    // range inQuotient() lets in only states where no step reads it but its reset).
    if (s[L.hull]) {
      const a = perm[s[L.hull] - 1];
      const b = perm[s[L.hull + 1] - 1];
      out[L.hull] = Math.min(a, b) + 1;
      out[L.hull + 1] = Math.max(a, b) + 1;
    }
    for (let j = 0; j < 2 * L.nt; j++) {
      const at = L.tlb + 2 * j;
      if (!s[at]) continue;
      const level = s[at + 1] & 3;
      const base = s[at] - 1;
      out[at] = 1 + (level === 1 ? perm[base] : level === 2 ? fperm[(base / e) | 0] * e : 0);
    }
    for (let x = 0; x <= s[L.npaused]; x++) {
      const f = x === 0 ? L.cur : L.pausedAt(x - 1);
      const kind = s[f + F_KIND];
      if (!kind) continue;
      permuteMask(s, out, L.reducedOf(f), L.mb, perm);
      permuteMask(s, out, L.maskOf(f), L.mb, perm);
      permuteMask(s, out, L.mustOf(f), L.mb, perm);
      if (kind === K_INVALIDATE) out[f + F_ARG] = perm[s[f + F_ARG]];
      if (kind === K_CLEAR && this.clearPage[s[f + F_ARG]] >= 0) out[f + F_ARG] = this.clearOf[perm[this.clearPage[s[f + F_ARG]]]];
      if (s[f + F_HAS_SPLIT] && s[f + S_HUGE] >= HUGE_L2) out[f + S_HUGE] = HUGE_L2 + fperm[s[f + S_HUGE] - HUGE_L2];
      if (s[f + F_HAS_SPLIT] && kind === K_CLEAR) this.splitRangeOf(out, f);
    }
  }

  /**
   * A clear's finished split (initially-set) keeps its range, the first and last page of the
   * clear's mask (maskRange()), and where findNext() stopped, the frame after the last: values
   * no step reads again, made again from the permuted mask, as the permuted clear would have made
   * them. A split still under way (no huge leaf is left in the set the group acts on) gets the same
   * values: its findNext() finds nothing from any cursor and leaves the cursor at the frame after
   * the range's last, so the image's successors are the permuted successors all the same.
   */
  private splitRangeOf(out: Uint8Array, f: number): void {
    const L = this.L;
    let first = -1;
    let last = -1;
    for (let p = 0; p < this.p; p++) {
      if (!getBit(out, L.maskOf(f), p)) continue;
      if (first < 0) first = p;
      last = p;
    }
    out[f + S_START] = first;
    out[f + S_END] = last + 1;
    out[f + S_CURSOR] = ((last / this.e) | 0) + 1;
  }
}

/** Bits of the page mask at `at` moved to their pages' images. */
function permuteMask(s: Uint8Array, out: Uint8Array, at: number, mb: number, perm: Int32Array): void {
  for (let k = 0; k < mb; k++) out[at + k] = 0;
  // A byte at a time, skipping empty bytes (most masks are mostly empty).
  for (let k = 0; k < mb; k++) {
    const byte = s[at + k];
    if (byte === 0) continue;
    for (let b = 0; b < 8 && 8 * k + b < perm.length; b++) if ((byte >> b) & 1) setBit(out, at, perm[8 * k + b]);
  }
}

function compareRows(a: Int32Array, x: number, y: number, n: number): number {
  for (let k = 0; k < n; k++) if (a[x + k] !== a[y + k]) return a[x + k] < a[y + k] ? -1 : 1;
  return 0;
}
