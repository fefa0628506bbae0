/**
 * Hash compaction's visited set (search.ts, `explore --hash-compact`; docs/explorer.md, "Hash
 * compaction", "Where the memory and the time of issue 17's bound went"): an open-addressing table of 64-bit
 * hashes, two int32 words a slot (the upper half, 1 for 0, since 0 marks an empty slot; the lower
 * half, whose low bits are the slot the hash belongs at, its home).
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
 * Insert the 64-bit hash (high, low) unless it is in the table; true when it was inserted. The
 * table must have an empty slot.
 */
export function compactInsert(table: Int32Array, low: number, high: number): boolean {
  const mask = (table.length >> 1) - 1;
  const key = compactKey(high);
  let slot = low & mask;
  for (let d = 0; ; d++, slot = (slot + 1) & mask) {
    const k = table[slot << 1];
    if (k === 0) break;
    const l = table[(slot << 1) + 1];
    if (k === key && l === low) return false;
    // The hash here belongs later than ours (it is nearer its home than we are to ours): ours,
    // were it stored, would be before it.
    if (((slot - (l & mask)) & mask) < d) break;
  }
  place(table, mask, slot, key, low);
  return true;
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

/** Whether a table of `count` hashes must double (see MAX_LOAD_NUM). */
export function compactFull(table: Int32Array, count: number): boolean {
  return count * MAX_LOAD_DEN > (table.length >> 1) * MAX_LOAD_NUM;
}

/** The table twice the size, in Robin Hood order again (each hash inserted by its home). */
export function compactRehashed(old: Int32Array): Int32Array<ArrayBuffer> {
  const table = new Int32Array(old.length * 2);
  for (let i = 0; i < old.length; i += 2) if (old[i] !== 0) compactInsert(table, old[i + 1], old[i]);
  return table;
}
