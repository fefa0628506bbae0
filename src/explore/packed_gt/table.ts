/**
 * The guest-tables search's visited table (search.ts; docs/explorer.md, "The guest-tables store
 * without its zero words"): visited.ts's pairs (place + 1, hash), 0 marking an empty slot, kept in
 * Robin Hood order as hash compaction's table is (../packed/compact_table.ts): inside a run of full
 * slots the pairs lie in the order of their homes (hash & mask), so a lookup stops at the first
 * slot whose pair belongs later than its own, and the table can fill to 15/16 before it doubles
 * (visited.ts's linear probing doubles at 1/2). At 1.6 M states that is a table of 2 M slots (16
 * MiB) instead of 4 M (32 MiB), and half the fresh memory touched by its doublings.
 *
 * Which states are in the set never depends on the order: a state is found exactly when it was
 * inserted, and the search numbers its states in the order it inserts them, so the states, numbers
 * and verdicts are those of any other table.
 */
import { CHUNK_BITS, CHUNK_MASK } from '../packed/visited';

/** The load at which the table doubles: 15/16. */
const LOAD_NUM = 15;
const LOAD_DEN = 16;

/** Whether a table holding `count` states must double before it takes another. */
export function rhFull(table: Int32Array, count: number): boolean {
  return count * LOAD_DEN > (table.length >> 1) * LOAD_NUM;
}

/**
 * The slot of the state cw[at..at+used) (its hash h), when it is stored: table[slot << 1] is its
 * place + 1; else -1 - the slot where it goes (rhPlace()). The stored forms start with a word that
 * fixes their length (squeeze.ts), so a compare that passes the first word reads two forms of the
 * same length. The table must have an empty slot.
 */
export function rhProbe(table: Int32Array, chunks: readonly Int32Array[], cw: Int32Array, at: number, h: number, used: number): number {
  const mask = (table.length >> 1) - 1;
  let slot = h & mask;
  for (let d = 0; ; d++, slot = (slot + 1) & mask) {
    const id = table[slot << 1];
    if (id === 0) return -1 - slot;
    const sh = table[(slot << 1) + 1];
    if (sh === h) {
      const words = chunks[(id - 1) >>> CHUNK_BITS];
      const base = (id - 1) & CHUNK_MASK;
      let k = 0;
      while (k < used && words[base + k] === cw[at + k]) k++;
      if (k === used) return slot;
    } else if (((slot - (sh & mask)) & mask) < d) {
      // The pair here is nearer its home than we are to ours: ours, were it stored, would be before it.
      return -1 - slot;
    }
  }
}

/**
 * Put (id, h) at `slot` (rhProbe()'s place for it), moving the run from there to the next empty
 * slot one slot on, in one pass.
 */
export function rhPlace(table: Int32Array, slot: number, id: number, h: number): void {
  const mask = (table.length >> 1) - 1;
  for (let i = slot; ; i = (i + 1) & mask) {
    const k = table[i << 1];
    const l = table[(i << 1) + 1];
    table[i << 1] = id;
    table[(i << 1) + 1] = h;
    if (k === 0) return;
    id = k;
    h = l;
  }
}

/** The table twice the size, in Robin Hood order again, each pair placed by the hash it holds (no state is read). */
export function rhRehashed(old: Int32Array): Int32Array<ArrayBuffer> {
  const table = new Int32Array(old.length * 2);
  const mask = (table.length >> 1) - 1;
  for (let i = 0; i < old.length; i += 2) {
    const id = old[i];
    if (id === 0) continue;
    const h = old[i + 1];
    let slot = h & mask;
    // No pair is equal to another: go past the pairs that belong no later than this one.
    for (let d = 0; ; d++, slot = (slot + 1) & mask) {
      const k = table[slot << 1];
      if (k === 0 || ((slot - (table[(slot << 1) + 1] & mask)) & mask) < d) break;
    }
    rhPlace(table, slot, id, h);
  }
  return table;
}
