/**
 * Hash compaction's visited set (src/explore/packed/compact_table.ts: Robin Hood order, filled to
 * 15/16) and the per-state arrays in chunks (src/explore/packed/by_state.ts). A small table is
 * followed by hand; then a table is filled to its limit with hashes whose homes crowd a few slots,
 * and held to a Set of the same hashes. The whole hash-compaction search is held to the exact one
 * in explorer_hash_compact.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { compactFull, compactInsert, compactRehashed, compactWarm } from '../../src/explore/packed/compact_table';
import { ByState, BY_STATE_CHUNK } from '../../src/explore/packed/by_state';
import { hashWords, hashWordsBoth, hashWordsHigh } from '../../src/explore/packed/search';

test('compactInsert(): a hash goes before the hashes whose home is later, and a lookup stops there', () => {
  // 4 slots (mask 3). Hash (high 7, low 2): home 2. Then (8, 1): home 1, in its home.
  const table = new Int32Array(8);
  assert.equal(compactInsert(table, 2, 7), true);
  assert.equal(compactInsert(table, 1, 8), true);
  assert.deepEqual([...table], [0, 0, 8, 1, 7, 2, 0, 0]);
  // (9, 5): home 5 & 3 = 1, like (8, 1); it goes after it (equal homes keep their order), before
  // (7, 2), whose home is later: (7, 2) moves one slot on, to slot 3.
  assert.equal(compactInsert(table, 5, 9), true);
  assert.deepEqual([...table], [0, 0, 8, 1, 9, 5, 7, 2]);
  // Each is found (false: already there), and an upper half of 0 is stored as 1.
  assert.equal(compactInsert(table, 2, 7), false);
  assert.equal(compactInsert(table, 5, 9), false);
  assert.equal(compactInsert(table, 1, 8), false);
  // (6, 1): home 1; slot 1 (8, 1) and slot 2 (9, 5) share its home, slot 3 (7, 2) belongs later:
  // not there, so it goes at slot 3 and (7, 2) wraps round to slot 0.
  assert.equal(compactInsert(table, 1, 6), true);
  assert.deepEqual([...table], [7, 2, 8, 1, 9, 5, 6, 1]);
  // Same low half, other upper half: another hash.
  assert.equal(compactFull(table, 4), true);
});

test('compactInsert() and compactRehashed(): filled to 15/16 with crowded homes, the table holds exactly the hashes inserted', () => {
  // A deterministic generator (xorshift32); lows drawn from 40 values so that homes collide and
  // runs are long, highs from 3 values so that equal lows with other highs must be told apart.
  let x = 0x2545f491;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x | 0; };
  let table = new Int32Array(2 * 64);
  const seen = new Set<string>();
  let count = 0;
  for (let i = 0; i < 3000; i++) {
    const low = Math.abs(next()) % 40 * 0x01000193 | 0;
    const high = [0, 1, next()][i % 3];
    const key = `${high === 0 ? 1 : high} ${low}`;
    const inserted = compactInsert(table, low, high);
    assert.equal(inserted, !seen.has(key), `hash ${key} at insertion ${i}`);
    if (inserted) { seen.add(key); count++; }
    if (compactFull(table, count)) table = compactRehashed(table);
  }
  // Robin Hood order: along the table, no hash sits further from its home than the one before it
  // plus one, unless the one before is empty.
  const mask = (table.length >> 1) - 1;
  let stored = 0;
  for (let s = 0; s < table.length >> 1; s++) {
    if (table[2 * s] === 0) continue;
    stored++;
    const d = (s - (table[2 * s + 1] & mask)) & mask;
    const before = (s - 1) & mask;
    if (d > 0) {
      assert.notEqual(table[2 * before], 0, `slot ${s} is away from home after an empty slot`);
      assert.ok(d <= ((before - (table[2 * before + 1] & mask)) & mask) + 1, `slot ${s} breaks the order`);
    }
  }
  assert.equal(stored, seen.size);
  // Every hash inserted is found again, and (1 for 0) stored once.
  for (const k of seen) {
    const [high, low] = k.split(' ').map(Number);
    assert.equal(compactInsert(table, low, high), false, k);
  }
  assert.equal(compactInsert(table, 12345, 0), true);
  assert.equal(compactInsert(table, 12345, 1), false);
});

test('ByState: entries kept across chunks, made as the states are, in what they hold', () => {
  const a = new ByState((n) => new Int16Array(n));
  assert.equal(a.byteLength, 0);
  for (let i = 0; i <= BY_STATE_CHUNK; i++) a.set(i, i % 30000 - 15000);
  // One entry past a chunk makes the second chunk: two chunks of 2-byte entries.
  assert.equal(a.byteLength, 2 * 2 * BY_STATE_CHUNK);
  assert.equal(a.get(0), -15000);
  assert.equal(a.get(BY_STATE_CHUNK - 1), (BY_STATE_CHUNK - 1) % 30000 - 15000);
  assert.equal(a.get(BY_STATE_CHUNK), BY_STATE_CHUNK % 30000 - 15000);
});

test('hashWordsBoth(): the values of hashWords() and hashWordsHigh() of the same words, at every length and offset', () => {
  let x = 0x1b873593;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x | 0; };
  const w = new Int32Array(64);
  const high = new Int32Array(3);
  for (let round = 0; round < 50; round++) {
    for (let i = 0; i < w.length; i++) w[i] = round % 2 ? next() : next() & 0xff;
    for (let used = 0; used <= 41; used++) {
      const at = (round * 7) % 20;
      assert.equal(hashWordsBoth(w, at, used, high, 2), hashWords(w, at, used), `low, ${used} words at ${at}`);
      assert.equal(high[2], hashWordsHigh(w, at, used), `high, ${used} words at ${at}`);
    }
  }
});

test('compactWarm(): reads each home slot and the slot a line (8 slots) on, and uses nothing', () => {
  // 16 slots (mask 15); slot i holds upper half 100 + i. Hash 3: slots 3 and 11; hash 12: slots 12
  // and (12 + 8) & 15 = 4, wrapping round. The value is the xor of the four upper halves.
  const table = new Int32Array(32);
  for (let i = 0; i < 16; i++) table[2 * i] = 100 + i;
  assert.equal(compactWarm(table, Int32Array.of(3, 12), 2), 103 ^ 111 ^ 112 ^ 104);
  assert.equal(compactWarm(table, Int32Array.of(3, 12), 0), 0);
});
