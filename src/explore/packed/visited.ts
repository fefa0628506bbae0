/**
 * The visited set of the packed searches, the single one (search.ts) and a shard of the
 * partitioned one (shard.ts): canonical states back to back in chunks of CHUNK_WORDS words, each
 * at a place (chunk << CHUNK_BITS | word), and an open-addressing table of pairs (place + 1, hash)
 * side by side, so that a probe reads one cache line before it compares states; 0 marks an empty
 * slot. Successors are looked up a batch at a time: warm() for the batch, then probe() for each.
 *
 * The two searches store differently (the single one reuses chunks under hash compaction, a shard
 * keeps each state's local index in the word before it) and do different things with a state
 * already known, so allocating a place and what follows a probe stay theirs; what is here is the
 * part that was the same in both, in one place so that a change to the table is made once. The
 * shared-memory search (shared.ts) keeps its own table, in shared memory, and takes from here only
 * the sizes and the batch's buffers (pendingSlots()), which all three searches make alike.
 */

/** Words of a chunk of a state store, as a power of two. */
export const CHUNK_BITS = 20;
export const CHUNK_WORDS = 1 << CHUNK_BITS;
export const CHUNK_MASK = CHUNK_WORDS - 1;
/** Places must stay below 2^31 (the table holds place + 1 as an int32). */
export const MAX_CHUNKS = 2047;
/** Successors looked up together. */
export const BATCH = 64;

/** A search's buffers for the successors of a batch (pendingSlots()). */
export interface PendingSlots {
  all: Int32Array;
  bytes: Uint8Array[];
  words: Int32Array[];
}

/**
 * Buffers for a batch's successors, made once: `room` slots of `stride` words in one array, the
 * model writing a successor's `size` bytes at word `offset` of its slot through `bytes[j]`, the
 * search hashing and storing them through `words[j]` (views of the same memory, so nothing is
 * copied between the two). Every search sizes `room` as BATCH plus the successors of one state.
 */
export function pendingSlots(room: number, stride: number, offset: number, size: number): PendingSlots {
  const all = new Int32Array(room * stride);
  const bytes: Uint8Array[] = [];
  const words: Int32Array[] = [];
  for (let j = 0; j < room; j++) {
    const at = 4 * (j * stride + offset);
    bytes.push(new Uint8Array(all.buffer, at, size));
    words.push(new Int32Array(all.buffer, at, size >> 2));
  }
  return { all, bytes, words };
}

/**
 * Bring the table slots of hashes[0..n), then (with `places`: the table holds places, not hash
 * compaction's upper halves) the stored states those slots name, into the cache, without using
 * what was read: the loads do not depend on each other, so the processor overlaps the misses, and
 * the lookups that follow find the lines in the cache. Returns a value made of every load, for
 * the caller to keep where the compiler cannot drop it.
 */
export function warm(table: Int32Array, chunks: readonly Int32Array[], hashes: Int32Array, n: number, places: boolean): number {
  const mask = (table.length >> 1) - 1;
  let sink = 0;
  for (let j = 0; j < n; j++) sink ^= table[(hashes[j] & mask) << 1];
  if (!places) return sink;
  for (let j = 0; j < n; j++) {
    const h = hashes[j];
    const slot = (h & mask) << 1;
    const id = table[slot];
    if (id !== 0 && table[slot + 1] === h) sink ^= chunks[(id - 1) >>> CHUNK_BITS][(id - 1) & CHUNK_MASK];
  }
  return sink;
}

/**
 * The slot of the canonical state cw[at..at+used) (its hash h): where it is stored
 * (table[slot << 1] is its place + 1) or, when it is not, the empty slot where it goes
 * (table[slot << 1] is 0). The table must have an empty slot.
 */
export function probe(table: Int32Array, chunks: readonly Int32Array[], cw: Int32Array, at: number, h: number, used: number): number {
  const mask = (table.length >> 1) - 1;
  for (let slot = h & mask; ; slot = (slot + 1) & mask) {
    const id = table[slot << 1];
    if (id === 0) return slot;
    if (table[(slot << 1) + 1] !== h) continue;
    const words = chunks[(id - 1) >>> CHUNK_BITS];
    const base = (id - 1) & CHUNK_MASK;
    let k = 0;
    while (k < used && words[base + k] === cw[at + k]) k++;
    if (k === used) return slot;
  }
}

/**
 * The table twice the size, every pair placed again by the hash it holds (its second word: the
 * hash of a place's state, or hash compaction's lower half), so no state is read.
 */
export function rehashed(old: Int32Array): Int32Array<ArrayBuffer> {
  const table = new Int32Array(old.length * 2);
  const mask = (table.length >> 1) - 1;
  for (let i = 0; i < old.length; i += 2) {
    if (old[i] === 0) continue;
    let slot = old[i + 1] & mask;
    while (table[slot << 1] !== 0) slot = (slot + 1) & mask;
    table[slot << 1] = old[i];
    table[(slot << 1) + 1] = old[i + 1];
  }
  return table;
}

/**
 * A copy of a, twice as long or `n` long if that is more (the rest zero): the searches' arrays
 * that grow by doubling (the single search's and a shard's places, the shared search's lists of
 * states inserted and their signatures).
 */
export function grown(a: Int32Array, n = 0): Int32Array<ArrayBuffer> {
  const b = new Int32Array(Math.max(n, a.length * 2));
  b.set(a);
  return b;
}
