/**
 * Hash compaction's old levels' table on several workers (src/explore/packed/shared.ts
 * compactInto(), placeLeft(); compact_table.ts compactInsertBelow(), compactHas()): a Robin Hood
 * table filled at a level's end by the threads, each inserting the signatures whose home is in its
 * range of slots and touching no slot outside it, the coordinator inserting what they left. The
 * searches that use it are held to the single search in explorer_parallel_compact.test.ts.
 *
 * Mutations these tests catch: compactInsertBelow() without its `empty >= end` stop (the run is
 * moved on past the range: the untouched-outside-the-range test fails); compactHas() stopping at a hash that
 * belongs as early as its own (`<= d`) instead of earlier (hashes held are not found); compactInto()
 * without the skip of empty slots (a growth would insert (1, 0): the set test fails); sortByHome()
 * sorting by the homes' lower bits only (its second pass left out: its own test fails, and so does
 * the set test with sorted lists, where compactInto() stops at the first home past its range). Not caught:
 * compactInsertBelow() without its `slot >= end` stop, which only reads past the range (the
 * `empty >= end` stop then leaves the hash all the same); it is kept so that a thread reads no
 * slot another thread may be writing.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { LEFT, compactHas, compactInsert, compactInsertBelow } from '../../src/explore/packed/compact_table';
import { compactInto, placeLeft, sortByHome } from '../../src/explore/packed/shared';
import { seeded } from './explorer.helpers';

/** n distinct signatures (pairs high, low; high never 0) whose homes in a table of 2^bits slots are `homes` (a number: that many slots spread over the table; crowded: long runs that cross ranges). */
function signatures(n: number, bits: number, homes: number | readonly number[], seed: number): Int32Array {
  const r = seeded(seed);
  const seen = new Set<string>();
  const out = new Int32Array(2 * n);
  for (let i = 0; i < n;) {
    const home = typeof homes === 'number' ? Math.floor(((1 << bits) / homes) * r(homes)) : homes[r(homes.length)];
    const low = ((r(1 << 20) << bits) | home) | 0;
    const high = 1 + r(1 << 30);
    if (seen.has(`${high},${low}`)) continue;
    seen.add(`${high},${low}`);
    out[2 * i] = high;
    out[2 * i + 1] = low;
    i++;
  }
  return out;
}

/** Every full slot's hash lies at or after its home, with no empty slot and no later-home hash between (Robin Hood order). */
function robinHoodOrdered(table: Int32Array): boolean {
  const mask = (table.length >> 1) - 1;
  for (let s = 0; s <= mask; s++) {
    if (table[s << 1] === 0) continue;
    const d = (s - (table[(s << 1) + 1] & mask)) & mask;
    for (let k = 1; k <= d; k++) {
      const t = (s - k) & mask;
      if (table[t << 1] === 0) return false;
      // The hash at t is k slots before us; its displacement must be at least ours less k.
      if (((t - (table[(t << 1) + 1] & mask)) & mask) < d - k) return false;
    }
  }
  return true;
}

test('compactInsertBelow(): reads and writes no slot at or past `end`, and leaves what would reach it', () => {
  // 64 slots; 56 hashes whose homes are 2, 12, 26, 29, 30, 40 and 58 (about 8 each): the runs
  // from 26 to 30, 12 and 58 cross the ends of the ranges of 2 parts (32), 3 (21, 42) and 4 (16,
  // 32, 48), and the table's end; a hash of home 26 after those of 29 and 30 goes before them, and
  // the run it moves on would reach the range's end (the second way a hash is left).
  const bits = 6;
  const all = signatures(56, bits, [2, 12, 26, 29, 30, 40, 58], 3);
  for (const parts of [2, 3, 4]) {
    let leftInAll = 0;
    for (let part = 0; part < parts; part++) {
      const slots = 1 << bits;
      const lo = Math.floor((part * slots) / parts);
      const hi = Math.floor(((part + 1) * slots) / parts);
      // Every slot outside the range holds a mark (a hash at its home), which must stay.
      const table = new Int32Array(2 * slots);
      for (let s = 0; s < slots; s++) if (s < lo || s >= hi) { table[s << 1] = 0x7000 + s; table[(s << 1) + 1] = s; }
      const before = table.slice();
      const left = compactInto(table, [all], part, parts, false);
      for (let s = 0; s < slots; s++) {
        if (s >= lo && s < hi) continue;
        assert.equal(table[s << 1], before[s << 1], `slot ${s} outside [${lo}, ${hi}) was written`);
        assert.equal(table[(s << 1) + 1], before[(s << 1) + 1]);
      }
      // Each one left would still reach past the range.
      for (let i = 0; i < left.length; i += 2) assert.equal(compactInsertBelow(table, left[i + 1], left[i], hi), LEFT);
      leftInAll += left.length;
    }
    assert.ok(leftInAll > 0, `${parts} parts: nothing left (the test's runs do not cross a range's end)`);
  }
});

test('compactInto() by parts, then placeLeft(): the same hashes as compactInsert() of all, in Robin Hood order, found by compactHas()', () => {
  const bits = 10;
  const slots = 1 << bits;
  // 15/16 full (960 of 1,024), homes crowded into 128 slots and spread, in three lists (threads).
  for (const homes of [128, slots]) {
    const all = signatures(960, bits, homes, 11 + homes);
    const lists = [all.subarray(0, 700), all.subarray(700, 1400), all.subarray(1400)];
    // The same lists sorted by home (as each thread sorts its own before the threads insert).
    const sortedLists = lists.map((l) => sortByHome(l.slice(), new Int32Array(l.length), l.length >> 1, bits));
    const reference = new Int32Array(2 * slots);
    for (let i = 0; i < all.length; i += 2) assert.equal(compactInsert(reference, all[i + 1], all[i]), true);
    for (const [parts, sorted] of [[1, false], [2, false], [3, false], [1, true], [2, true], [3, true]] as const) {
      const table = new Int32Array(2 * slots);
      const left: Int32Array[] = [];
      for (let part = parts - 1; part >= 0; part--) left.push(compactInto(table, sorted ? sortedLists : lists, part, parts, sorted));
      placeLeft(table, left);
      assert.ok(robinHoodOrdered(table), `${parts} parts: not in Robin Hood order`);
      const held = new Set<string>();
      for (let s = 0; s < slots; s++) if (table[s << 1] !== 0) held.add(`${table[s << 1]},${table[(s << 1) + 1]}`);
      assert.equal(held.size, 960);
      for (let i = 0; i < all.length; i += 2) {
        assert.ok(held.has(`${all[i]},${all[i + 1]}`));
        assert.ok(compactHas(table, all[i + 1], all[i]), `${parts} parts: hash ${i / 2} not found`);
        // Not held: the same low half with another upper half, and a neighbour's low half.
        assert.equal(compactHas(table, all[i + 1], all[i] ^ 0x40000000), false);
      }
      // A growth: the table's slots (empty ones included) as one list, into twice the slots.
      const bigger = new Int32Array(4 * slots);
      const spilled: Int32Array[] = [];
      for (let part = 0; part < parts; part++) spilled.push(compactInto(bigger, [table], part, parts, false));
      placeLeft(bigger, spilled);
      assert.ok(robinHoodOrdered(bigger));
      let n = 0;
      for (let s = 0; s < 2 * slots; s++) if (bigger[s << 1] !== 0) { n++; assert.ok(held.has(`${bigger[s << 1]},${bigger[(s << 1) + 1]}`)); }
      assert.equal(n, 960);
    }
  }
});

test('sortByHome(): the pairs in the order of their home (the low bits of the lower half), equal homes as given', () => {
  // Homes in a table of 2^7 slots; odd bit counts split unevenly between the two passes.
  for (const bits of [7, 10, 13]) {
    const n = 500;
    const a = signatures(n, bits, 37, bits);
    // Equal homes: pairs 0 and 1 share one, to see that they keep their order.
    a[3] = (a[1] & ((1 << bits) - 1)) | (1 << bits);
    const before = a.slice();
    const out = sortByHome(a, new Int32Array(2 * n), n, bits);
    assert.equal(out.length, 2 * n);
    const mask = (1 << bits) - 1;
    const want = Array.from({ length: n }, (_, i) => i).sort((x, y) => (before[2 * x + 1] & mask) - (before[2 * y + 1] & mask) || x - y);
    assert.deepEqual([...out], want.flatMap((i) => [before[2 * i], before[2 * i + 1]]));
  }
});
