/**
 * The guest-tables store's form of a state: its packed words (gtPack() in search.ts) without their
 * zero words (docs/explorer.md, "The guest-tables store without its zero words"). Half the words a
 * packed state keeps are zero (53 % at E = 4, 4 operations, 3 accesses: 47 words a state, 25 of them
 * zero), and every stored word is memory touched for the first time, a page fault every 4 KiB,
 * which was most of the search's batch lookup.
 *
 * The squeezed form of `used` packed words: a head word (used | nonzero << 16), then a bitmap of
 * (used + 31) >> 5 words, bit k set when packed word k is not zero, then the nonzero words in
 * order. It is a function of the packed words and the packed words are one of it, so two states
 * are equal exactly when their squeezed forms are; the head word fixes the form's length, so a
 * compare that finds the head words equal reads two forms of the same length.
 *
 * The search squeezes a successor straight from the model's words (gtSqueeze(): gtPack() and
 * squeeze() in one pass) and loads a state straight into them (gtUnsqueeze()).
 */
import type { GtLayout } from './layout';

/** Words of the longest squeezed form of `used` packed words (a buffer for squeeze()). */
export function squeezedRoom(used: number): number {
  return 1 + ((used + 31) >> 5) + used;
}

/** The most packed words a head word can count (16 bits). */
export const SQUEEZE_MAX_USED = 0xffff;

/**
 * Squeeze the packed words src[at..at+used) into out[o..): returns the squeezed form's length.
 * `out` must have squeezedRoom(used) words from o. Without a branch on the word: a nonzero word is
 * kept by moving the end past it, a zero one is written and then overwritten.
 */
export function squeeze(src: Int32Array, at: number, used: number, out: Int32Array, o: number): number {
  let n = o + 1 + ((used + 31) >> 5);
  let bw = o + 1;
  let bits = 0;
  for (let k = 0; k < used; k++) {
    const v = src[at + k];
    // 1 when v is not zero: v | -v has its top bit set for every v but 0 (also for -2^31).
    const nz = (v | -v) >>> 31;
    out[n] = v;
    n += nz;
    bits |= nz << (k & 31);
    if ((k & 31) === 31) { out[bw++] = bits; bits = 0; }
  }
  if (used & 31) out[bw] = bits;
  out[o] = used | ((n - o - 1 - ((used + 31) >> 5)) << 16);
  return n - o;
}

/**
 * The packed words of the squeezed form at stored[at..) into out[0..used): returns used. The
 * words are cleared, then each bitmap's set bits are visited lowest first (a loop on the bits set,
 * not a branch on each bit).
 */
export function unsqueeze(stored: Int32Array, at: number, out: Int32Array): number {
  const used = stored[at] & 0xffff;
  const nb = (used + 31) >> 5;
  for (let k = 0; k < used; k++) out[k] = 0;
  let n = at + 1 + nb;
  for (let b = 0; b < nb; b++) {
    const base = b << 5;
    for (let bits = stored[at + 1 + b]; bits !== 0; bits &= bits - 1) {
      out[base + 31 - Math.clz32(bits & -bits)] = stored[n++];
    }
  }
  return used;
}

/** The squeezed form's length from its head word. */
export function squeezedLength(head: number): number {
  const used = head & 0xffff;
  return 1 + ((used + 31) >> 5) + (head >>> 16);
}

/** The number of bits set in x (a 32-bit word). */
function popcount(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  return Math.imul((x + (x >>> 4)) & 0x0f0f0f0f, 0x01010101) >>> 24;
}

/**
 * squeeze() of gtPack()'s words, in one pass over the model's words `ww` (the state w, L.size bytes,
 * unchanged): the words of gtPack()'s three parts read where they are, in its order. Returns the
 * squeezed form's length; out needs squeezedRoom(L.size >> 2) words from o.
 */
export function gtSqueeze(L: GtLayout, w: Uint8Array, ww: Int32Array, out: Int32Array, o: number): number {
  const nsps = w[L.nsps];
  const e1 = (L.sp + nsps * L.ss) >> 2;
  const a0 = L.active >> 2;
  const e2 = a0 + ((nsps + 3) >> 2);
  const r0 = L.rmap >> 2;
  const e3 = (L.paused + w[L.npaused] * L.fs + 3) >> 2;
  const used = e1 + (e2 - a0) + (e3 - r0);
  const nb = (used + 31) >> 5;
  let n = o + 1 + nb;
  let bw = o + 1;
  let bits = 0;
  // k: the packed word, i: the model's word it is; the inner loop runs over one part at a time
  // (the first part ends at e1 <= a0, the second at e2 <= r0), with no test of the part inside it.
  let k = 0;
  for (let part = 0; part < 3; part++) {
    const from = part === 0 ? 0 : part === 1 ? a0 : r0;
    const to = part === 0 ? e1 : part === 1 ? e2 : e3;
    for (let i = from; i < to; i++, k++) {
      const v = ww[i];
      const nz = (v | -v) >>> 31;
      out[n] = v;
      n += nz;
      bits |= nz << (k & 31);
      if ((k & 31) === 31) { out[bw++] = bits; bits = 0; }
    }
  }
  if (used & 31) out[bw] = bits;
  out[o] = used | ((n - o - 1 - nb) << 16);
  return n - o;
}

/**
 * The model's words (L.size >> 2 of them, into out) of the state squeezed at stored[at..):
 * unsqueeze() and gtUnpackWords() in one pass. The SP slots in use, which say where the second
 * part goes, are counted in the header's word L.nsps >> 2 (among the first 31 words: a bit of the
 * first bitmap); then out is cleared and each nonzero word put where gtUnpackWords() puts it.
 */
export function gtUnsqueeze(L: GtLayout, stored: Int32Array, at: number, out: Int32Array): void {
  for (let k = 0, end = L.size >> 2; k < end; k++) out[k] = 0;
  gtUnsqueezeInto(L, stored, at, out, null);
}

/**
 * gtUnsqueeze() into words `out` that are zero but for the `count` words whose places are in
 * nonzero[0..count) (the last load's: the search's state being expanded, which nothing else writes
 * between loads): those are cleared, the state's nonzero words put in place, and their places
 * left in nonzero[] (room for L.size >> 2). Returns their count. Clearing the words the last state
 * set instead of all of them (tens of words, not L.size >> 2) is the point; a state with fewer
 * words than the last leaves none of the last one's behind
 * (test/unit/explorer_packed_gt_store.test.ts loads states of every size in turn into one buffer).
 */
export function gtLoad(L: GtLayout, stored: Int32Array, at: number, out: Int32Array, nonzero: Int32Array, count: number): number {
  for (let k = 0; k < count; k++) out[nonzero[k]] = 0;
  return gtUnsqueezeInto(L, stored, at, out, nonzero);
}

/** The nonzero words of the form at stored[at..) put where they go in `out` (its other words left as they are); their places into `places` unless null; returns their count. */
function gtUnsqueezeInto(L: GtLayout, stored: Int32Array, at: number, out: Int32Array, places: Int32Array | null): number {
  const used = stored[at] & 0xffff;
  const nb = (used + 31) >> 5;
  const d = at + 1 + nb;
  const hw = L.nsps >> 2;
  const b0 = stored[at + 1];
  const header = (b0 >>> hw) & 1 ? stored[d + popcount(b0 & ((1 << hw) - 1))] : 0;
  const nsps = (header >>> (8 * (L.nsps & 3))) & 0xff;
  const e1 = (L.sp + nsps * L.ss) >> 2;
  const e2 = e1 + ((nsps + 3) >> 2);
  const toActive = (L.active >> 2) - e1;
  const toRmap = (L.rmap >> 2) - e2;
  let n = d;
  for (let b = 0; b < nb; b++) {
    const base = b << 5;
    for (let bits = stored[at + 1 + b]; bits !== 0; bits &= bits - 1) {
      const k = base + 31 - Math.clz32(bits & -bits);
      const i = k < e1 ? k : k < e2 ? k + toActive : k + toRmap;
      out[i] = stored[n];
      if (places !== null) places[n - d] = i;
      n++;
    }
  }
  return n - d;
}
