/**
 * Hash compaction's visited set (search.ts, `explore --hash-compact`; docs/explorer.md, "Hash
 * compaction", "Where the memory and the time of issue 17's bound went"): an open-addressing table of 64-bit
 * hashes, two int32 words a slot (the upper half, 1 for 0, since 0 marks an empty slot; the lower
 * half, whose low bits are the slot the hash belongs at, its home). From 2^24 slots CompactTable
 * (below) keeps a hash in 6 bytes instead, the home's bits left out.
 *
 * Robin Hood order (Celis; Amble and Knuth's ordered hash tables): inside a run of full slots the
 * hashes lie in the order of their homes (a hash never sits before one whose home is earlier), so
 * a lookup stops at the first slot whose hash belongs later than its own, instead of at the next
 * empty slot. Linear probing's miss, the most common lookup here (each new state is one), would
 * read about (1 + 1/(1 - a)^2) / 2 slots at load a, 50 at 0.9; in this order it reads about as many
 * as a hit, (1 + 1/(1 - a)) / 2, 5.5 at 0.9. So the table can fill to MAX_LOAD before it doubles
 * (linear probing's stopped at 3/4), and a doubling, which holds the old and the new table at once,
 * comes later. An insertion moves the run after its place one slot on (sequential words, no miss).
 *
 * Which hashes are in the set never depends on the order: a hash is found exactly when it was
 * inserted, so the search's states, numbers and verdicts are the same as with any other table.
 */

/** The load at which the table doubles: 15/16 (count * 16 > slots * 15). */
export const MAX_LOAD_NUM = 15;
export const MAX_LOAD_DEN = 16;

/** The stored upper half of a hash (0 marks an empty slot: 0 is stored as 1). */
export function compactKey(high: number): number {
  return high === 0 ? 1 : high;
}

/**
 * Where the 64-bit hash (key = compactKey(high), low) belongs in the table: the slot a lookup
 * stops at (an empty slot, or the first hash that belongs later than ours), or -1 when the hash
 * is there. The one probe of compactInsert() and compactHas().
 */
function probe(table: Int32Array, mask: number, key: number, low: number): number {
  for (let slot = low & mask, d = 0; ; d++, slot = (slot + 1) & mask) {
    const k = table[slot << 1];
    if (k === 0) return slot;
    const l = table[(slot << 1) + 1];
    if (k === key && l === low) return -1;
    // The hash here belongs later than ours (it is nearer its home than we are to ours): ours,
    // were it stored, would be before it.
    if (((slot - (l & mask)) & mask) < d) return slot;
  }
}

/**
 * Insert the 64-bit hash (high, low) unless it is in the table; true when it was inserted. The
 * table must have an empty slot.
 */
export function compactInsert(table: Int32Array, low: number, high: number): boolean {
  const mask = (table.length >> 1) - 1;
  const key = compactKey(high);
  const slot = probe(table, mask, key, low);
  if (slot < 0) return false;
  place(table, mask, slot, key, low);
  return true;
}

/** Whether the 64-bit hash (high, low) is in the table (8-byte layout): compactInsert()'s lookup alone. */
export function compactHas(table: Int32Array, low: number, high: number): boolean {
  return probe(table, (table.length >> 1) - 1, compactKey(high), low) < 0;
}

/** compactInsertBelow(): found, inserted, or left for a later insertion (it would reach `end`). */
export const FOUND = 0;
export const INSERTED = 1;
export const LEFT = 2;

/**
 * compactInsert() of a hash whose home is below `end`, reading and writing only slots from its
 * home up to below `end` (no wrap): LEFT when its place, or the empty slot that ends the run it
 * moves on, is not below `end`. The shared search's threads fill one table at a barrier this way,
 * each the hashes whose home is in its range of slots, so that none touches another's range; the
 * hashes left are inserted by compactInsert() once every thread is done. Which hashes the table
 * holds does not depend on who inserted which, or in what order.
 */
export function compactInsertBelow(table: Int32Array, low: number, high: number, end: number): number {
  const mask = (table.length >> 1) - 1;
  const key = compactKey(high);
  let slot = low & mask;
  for (let d = 0; ; d++, slot++) {
    if (slot >= end) return LEFT;
    const k = table[slot << 1];
    if (k === 0) break;
    const l = table[(slot << 1) + 1];
    if (k === key && l === low) return FOUND;
    if (((slot - (l & mask)) & mask) < d) break;
  }
  let empty = slot;
  while (empty < end && table[empty << 1] !== 0) empty++;
  if (empty >= end) return LEFT;
  place(table, mask, slot, key, low);
  return INSERTED;
}

/**
 * Put (key, low) at slot, moving the run from slot up to the next empty slot one slot on: in one
 * pass, each slot's pair exchanged for the one carried from the slot before.
 */
function place(table: Int32Array, mask: number, slot: number, key: number, low: number): void {
  let i = slot;
  for (;;) {
    const k = table[i << 1];
    const l = table[(i << 1) + 1];
    table[i << 1] = key;
    table[(i << 1) + 1] = low;
    if (k === 0) return;
    key = k;
    low = l;
    i = (i + 1) & mask;
  }
}

/**
 * Bring into the cache the slots where the lookups of hashes[0..n) start and the next line (a run
 * of a full table, whose hashes lie past their homes, often goes on into it), without using what
 * was read, as visited.ts's warm() does for the exact table; returns a value made of every load.
 */
export function compactWarm(table: Int32Array, hashes: Int32Array, n: number): number {
  const mask = (table.length >> 1) - 1;
  let sink = 0;
  for (let j = 0; j < n; j++) {
    const home = hashes[j] & mask;
    sink ^= table[home << 1] ^ table[((home + 8) & mask) << 1];
  }
  return sink;
}

/**
 * The low half of the hash a 6-byte slot holds: its bits above the home (e >>> 8) over the home,
 * which is the slot less the displacement (e's low byte), in a table of 2^k slots.
 */
function narrowLow(slot: number, e: number, k: number, mask: number): number {
  return ((e >>> 8) << k) | ((slot - (e & 0xff)) & mask);
}

/**
 * The fewest slots (as log2) at which CompactTable stores a hash in 6 bytes instead of 8. Below it
 * the table is at most 128 MiB and the 8-byte layout above is kept (a test passes a smaller value
 * to exercise the 6-byte layout on small tables).
 */
export const NARROW_FROM_BITS = 24;

/** The largest displacement a 6-byte slot holds (one byte). */
export const MAX_DISPLACEMENT = 255;

/**
 * The visited set of hash compaction at any size: a table of 2^k slots, 8-byte slots (the
 * functions above) while k < narrowFrom, else 6-byte slots (quotienting, Cleary's compact hashing):
 * a hash's home is its low k bits, so a slot keeps only the bits above them and how far the hash
 * lies from its home, from which a doubling makes the home, and so the whole hash, again:
 *
 *   hi[slot]: the upper half, 1 for 0 (compactKey()), 0 for an empty slot, as in the 8-byte layout;
 *   lo[slot]: (low >>> k) << 8 | displacement, where low >>> k has 32 - k <= 8 bits (k >= 24) and
 *     the displacement is (slot - home) mod 2^k, at most MAX_DISPLACEMENT.
 *
 * Two hashes are the same exactly when their homes (equal displacements at the same slot), their
 * bits above k and their upper halves are: the set holds the same 64-bit hashes (0 and 1 as upper
 * halves still one) as the 8-byte layout would, in the same Robin Hood order. At 2^27 slots (issue
 * 17's bound) it is 768 MiB instead of 1 GiB, and its doubling holds 384 + 768 MiB, not 512 + 1024.
 *
 * A displacement past one byte: the insertion that would make one (the new hash's, or one of the run
 * it moves on) is not made; the table doubles and the insertion is made in the new table. Robin Hood
 * keeps displacements near their mean (about 8 at 15/16), so this is a safety net, not a path taken
 * (docs/explorer.md, "Six-byte slots").
 */
export class CompactTable {
  /** log2 of the number of slots. */
  private k: number;
  private mask: number;
  /** The 8-byte layout's table (k < narrowFrom), else empty. */
  private wide: Int32Array;
  /** The 6-byte layout's upper halves and (bits above k, displacement), else empty. */
  private hi: Int32Array;
  private lo: Uint16Array;
  /** The number of hashes held. */
  count = 0;
  /** No displacement in the 6-byte layout exceeds this (an upper bound, exact until a doubling). */
  private maxDisplacement = 0;
  /** How many doublings a displacement past one byte caused (none expected; for tests and docs). */
  overflowDoublings = 0;

  constructor(bits = 14, private readonly narrowFrom = NARROW_FROM_BITS) {
    this.k = bits;
    this.mask = (1 << bits) - 1;
    this.wide = new Int32Array(0);
    this.hi = new Int32Array(0);
    this.lo = new Uint16Array(0);
    this.allocate(bits);
  }

  private allocate(bits: number): void {
    this.k = bits;
    this.mask = (1 << bits) - 1;
    this.maxDisplacement = 0;
    if (bits < this.narrowFrom) {
      this.wide = new Int32Array(2 << bits);
      this.hi = new Int32Array(0);
      this.lo = new Uint16Array(0);
    } else {
      this.wide = new Int32Array(0);
      this.hi = new Int32Array(1 << bits);
      this.lo = new Uint16Array(1 << bits);
    }
  }

  /** log2 of the number of slots. */
  get bits(): number {
    return this.k;
  }

  /** Whether the table uses 6-byte slots. */
  get narrow(): boolean {
    return this.k >= this.narrowFrom;
  }

  get byteLength(): number {
    return this.wide.byteLength + this.hi.byteLength + this.lo.byteLength;
  }

  /**
   * Insert the 64-bit hash (high, low) unless it is held; true when it was inserted. Doubles the
   * table when it is past 15/16 full after the insertion, or first if the insertion would put a
   * displacement past one byte.
   */
  insert(low: number, high: number): boolean {
    let r: number;
    if (this.k < this.narrowFrom) {
      r = compactInsert(this.wide, low, high) ? 1 : 0;
    } else {
      while ((r = this.insertNarrow(low, high)) === 2) {
        this.overflowDoublings++;
        this.grow();
      }
    }
    if (r === 0) return false;
    this.count++;
    if (this.count * MAX_LOAD_DEN > (1 << this.k) * MAX_LOAD_NUM) this.grow();
    return true;
  }

  /** insert() in the 6-byte layout: 0 found, 1 inserted, 2 not inserted (a displacement would pass one byte). */
  private insertNarrow(low: number, high: number): number {
    const hi = this.hi;
    const lo = this.lo;
    const mask = this.mask;
    const key = compactKey(high);
    const rest = low >>> this.k;
    let slot = low & mask;
    let d = 0;
    for (;; d++, slot = (slot + 1) & mask) {
      const h = hi[slot];
      if (h === 0) break;
      const e = lo[slot];
      const ed = e & 0xff;
      // The hash here belongs later than ours (see compactInsert()).
      if (ed < d) break;
      // Equal displacements at one slot: the same home, so the same low k bits.
      if (ed === d && h === key && e >>> 8 === rest) return 0;
    }
    if (d > MAX_DISPLACEMENT) return 2;
    // Each hash of the run from `slot` moves one slot on: none may already be at the limit. Only
    // looked at when one might be (maxDisplacement is an upper bound).
    if (this.maxDisplacement >= MAX_DISPLACEMENT) {
      for (let i = slot; hi[i] !== 0; i = (i + 1) & mask) if ((lo[i] & 0xff) === MAX_DISPLACEMENT) return 2;
    }
    // Put the hash at slot, moving the run on (as place() does), each moved displacement one more.
    let most = d;
    let ck = key;
    let ce = (rest << 8) | d;
    for (let i = slot; ; i = (i + 1) & mask) {
      const h = hi[i];
      const e = lo[i];
      hi[i] = ck;
      lo[i] = ce;
      if (h === 0) break;
      ck = h;
      ce = e + 1;
      if ((ce & 0xff) > most) most = ce & 0xff;
    }
    if (most > this.maxDisplacement) this.maxDisplacement = most;
    return 1;
  }

  /**
   * Double the table (again, should a displacement pass one byte while it is refilled), each hash
   * made whole from its slot and inserted by its home.
   */
  grow(): void {
    const oldBits = this.k;
    const wide = this.wide;
    const hi = this.hi;
    const lo = this.lo;
    const oldMask = this.mask;
    for (let bits = oldBits + 1; ; bits++) {
      // Only more than 256 hashes of one low half (about 2^-1900 for 10^9 random hashes) keep a
      // displacement past a byte at every size: stop rather than grow without end.
      if (bits > 30) throw new RangeError('internal: the hash-compaction table cannot grow past 2^30 slots');
      this.allocate(bits);
      let ok = true;
      if (oldBits < this.narrowFrom) {
        for (let i = 0; i < wide.length && ok; i += 2) if (wide[i] !== 0) ok = this.reinsert(wide[i + 1], wide[i]);
      } else {
        for (let s = 0; s < hi.length && ok; s++) {
          if (hi[s] === 0) continue;
          ok = this.reinsert(narrowLow(s, lo[s], oldBits, oldMask), hi[s]);
        }
      }
      if (ok) return;
      this.overflowDoublings++;
    }
  }

  /** A hash of the old table into the new (it is not there): false when it did not fit. */
  private reinsert(low: number, key: number): boolean {
    if (this.k < this.narrowFrom) {
      compactInsert(this.wide, low, key);
      return true;
    }
    return this.insertNarrow(low, key) === 1;
  }

  /** compactWarm() for either layout. */
  warm(hashes: Int32Array, n: number): number {
    if (this.k < this.narrowFrom) return compactWarm(this.wide, hashes, n);
    const mask = this.mask;
    const hi = this.hi;
    const lo = this.lo;
    let sink = 0;
    for (let j = 0; j < n; j++) {
      const home = hashes[j] & mask;
      sink ^= hi[home] ^ lo[home] ^ hi[(home + 16) & mask];
    }
    return sink;
  }

  /** Every hash held, as (low, high) with the upper half as stored (1 for 0): for tests. */
  *entries(): IterableIterator<[number, number]> {
    if (this.k < this.narrowFrom) {
      for (let i = 0; i < this.wide.length; i += 2) if (this.wide[i] !== 0) yield [this.wide[i + 1], this.wide[i]];
      return;
    }
    for (let s = 0; s < this.hi.length; s++) {
      if (this.hi[s] === 0) continue;
      yield [narrowLow(s, this.lo[s], this.k, this.mask), this.hi[s]];
    }
  }

  /** The displacement at each full slot, in slot order, -1 for empty (tests), in either layout. */
  displacements(): number[] {
    if (this.k < this.narrowFrom) {
      const wide = this.wide;
      return Array.from({ length: 1 << this.k }, (_, s) => (wide[s << 1] === 0 ? -1 : (s - (wide[(s << 1) + 1] & this.mask)) & this.mask));
    }
    return Array.from(this.hi, (h, s) => (h === 0 ? -1 : this.lo[s] & 0xff));
  }
}
