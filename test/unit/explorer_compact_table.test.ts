/**
 * Hash compaction's visited set (src/explore/packed/compact_table.ts: Robin Hood order, filled to
 * 15/16) and the per-state arrays in chunks (src/explore/packed/by_state.ts). A small table is
 * followed by hand; then a table is filled to its limit with hashes whose homes crowd a few slots,
 * and held to a Set of the same hashes. The whole hash-compaction search is held to the exact one
 * in explorer_hash_compact.test.ts.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { CompactTable, compactInsert, compactWarm } from '../../src/explore/packed/compact_table';
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
});

test('CompactTable: a table doubles when an insertion takes it past 15/16 full, not before', () => {
  // 16 slots (2^4), 8-byte slots throughout (narrowFrom 31). After 15 hashes: 15 * 16 = 240 <=
  // 16 * 15 = 240, kept (at 3/4, say, it would have doubled at the 13th); the 16th: 256 > 240,
  // doubled to 2^5, and every hash is still held.
  const t = new CompactTable(4, 31);
  for (let i = 0; i < 15; i++) {
    assert.equal(t.insert(i * 3, 7), true);
    assert.equal(t.bits, 4, `after ${i + 1} hashes`);
  }
  assert.equal(t.insert(100, 6), true);
  assert.equal(t.bits, 5);
  assert.equal(t.byteLength, 8 << 5);
  const held = [...t.entries()].map(([l, h]) => `${l} ${h}`).sort();
  const expected = [...Array.from({ length: 15 }, (_, i) => `${i * 3} 7`), '100 6'].sort();
  assert.deepEqual(held, expected);
});

test('CompactTable (8-byte slots): filled through doublings with crowded homes, it holds exactly the hashes inserted', () => {
  // A deterministic generator (xorshift32); lows drawn from 40 values so that homes collide and
  // runs are long, highs from 3 values so that equal lows with other highs must be told apart.
  // narrowFrom 31: the 8-byte layout at every size, doubled at 15/16 from 2^6 slots.
  let x = 0x2545f491;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x | 0; };
  const t = new CompactTable(6, 31);
  const seen = new Set<string>();
  for (let i = 0; i < 3000; i++) {
    const low = Math.abs(next()) % 40 * 0x01000193 | 0;
    const high = [0, 1, next()][i % 3];
    const key = `${high === 0 ? 1 : high} ${low}`;
    const inserted = t.insert(low, high);
    assert.equal(inserted, !seen.has(key), `hash ${key} at insertion ${i}`);
    if (inserted) seen.add(key);
  }
  assert.equal(t.narrow, false);
  assert.equal(t.byteLength, 8 << t.bits);
  // Robin Hood order: along the table, no hash sits further from its home than the one before it
  // plus one, unless the one before is empty.
  const d = t.displacements();
  for (let s = 0; s < d.length; s++) {
    if (d[s] <= 0) continue;
    const before = d[(s - 1 + d.length) % d.length];
    assert.ok(before >= 0, `slot ${s} is away from home after an empty slot`);
    assert.ok(d[s] <= before + 1, `slot ${s} breaks the order`);
  }
  assert.equal(t.count, seen.size);
  assert.equal(d.filter((v) => v >= 0).length, seen.size);
  // Every hash inserted is found again, and (1 for 0) stored once.
  for (const k of seen) {
    const [high, low] = k.split(' ').map(Number);
    assert.equal(t.insert(low, high), false, k);
  }
  assert.equal(t.insert(12345, 0), true);
  assert.equal(t.insert(12345, 1), false);
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

/**
 * CompactTable's 6-byte slots (upper half; the low half's bits above the home's k bits and the
 * displacement). The threshold is lowered to 2^10 slots so that small tables use them; a slot holds
 * 8 bits of the low half above k, so these lows are below 2^18 (k >= 10). Filled through doublings
 * from the 8-byte layout (2^6 slots) across the threshold to 2^12 slots, and held to a Set.
 */
test('CompactTable: through doublings across the 6-byte threshold, it holds exactly the hashes inserted', () => {
  let x = 0x7f4a7c15;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x | 0; };
  const t = new CompactTable(6, 10);
  const seen = new Set<string>();
  // Lows: 600 values (home bits of 2^10 and above collide often: 600 lows over 2^18, and
  // each hash below takes one of them); highs from 3 values, one of them 0 (stored as 1).
  const lows = Array.from({ length: 600 }, () => next() & 0x3ffff);
  for (let i = 0; i < 7000; i++) {
    const low = lows[Math.abs(next()) % lows.length];
    const high = [0, 1, next()][i % 3];
    const key = `${low} ${high === 0 ? 1 : high}`;
    assert.equal(t.insert(low, high), !seen.has(key), `hash ${key} at insertion ${i}`);
    seen.add(key);
    assert.equal(t.count, seen.size);
  }
  // Upper halves 0 and 1 are one (1 for 0): about 600 + 7000 / 3 distinct hashes. The count alone
  // decides the size (doubled past 15/16, never for a displacement: overflowDoublings is 0).
  assert.ok(t.narrow, 'the table crossed into 6-byte slots');
  assert.equal(t.bits, Math.max(6, Math.ceil(Math.log2((seen.size * 16) / 15))));
  assert.equal(t.byteLength, 6 << t.bits);
  // The hashes remade from the slots are exactly those inserted.
  const held = [...t.entries()].map(([l, h]) => `${l} ${h}`).sort();
  assert.deepEqual(held, [...seen].sort());
  // Robin Hood order in the displacements: after an empty slot a hash is home; else at most one
  // more than the slot before.
  const d = t.displacements();
  for (let s = 0; s < d.length; s++) {
    if (d[s] <= 0) continue;
    const before = d[(s - 1 + d.length) % d.length];
    assert.ok(before >= 0 && d[s] <= before + 1, `slot ${s}: ${d[s]} after ${before}`);
  }
  assert.equal(t.overflowDoublings, 0);
});

test('CompactTable: full 32-bit lows at the real threshold (2^24 slots), across 2^23 -> 2^24 -> 2^25', () => {
  // The bits above k of a full low are 8 at 2^24 slots, 7 at 2^25. 200000 hashes, lows crowding
  // 4096 homes (low bits 0..11 of 4096 values, every upper bit drawn), highs drawn.
  let x = 0x2f6b1d3;
  const next = () => { x ^= x << 13; x ^= x >>> 17; x ^= x << 5; return x | 0; };
  const t = new CompactTable(23);
  const hashes: [number, number][] = [];
  for (let i = 0; i < 200000; i++) hashes.push([(next() & ~0xfff) | (i & 0xfff), next() | 1]);
  for (const [l, h] of hashes) assert.equal(t.insert(l, h), true);
  assert.equal(t.narrow, false);
  for (let step = 0; step < 2; step++) {
    t.grow();
    assert.equal(t.narrow, true);
    for (const [l, h] of hashes) assert.equal(t.insert(l, h), false, `${l} ${h} at 2^${t.bits}`);
    // A hash (one for each size) differing from one held in only its top bit, or only in bit k (the lowest bit not
    // in the home), is another.
    const [l0, h0] = hashes[7 + step];
    assert.equal(t.insert(l0 ^ (1 << 31), h0), true);
    assert.equal(t.insert(l0 ^ (1 << t.bits), h0), true);
    hashes.push([l0 ^ (1 << 31), h0], [l0 ^ (1 << t.bits), h0]);
  }
  assert.equal(t.bits, 25);
  assert.equal(t.count, 200004);
  assert.equal(new Set([...t.entries()].map(([l, h]) => `${l} ${h}`)).size, 200004);
});

test('CompactTable: a displacement past one byte doubles the table instead (the new hash\'s, or one it moves)', () => {
  // 2^10 slots, 6-byte slots from 2^10. 256 hashes of one low half, 5 (upper halves 1..256),
  // take slots 5..260, displacements 0..255: the 257th hash of home 5 (low 5 + 1024) would be
  // 256 from home, so the table doubles first, although 257 hashes is far from 15/16 of 1024. At
  // 2^11 slots its home is 1029, apart.
  const a = new CompactTable(10, 10);
  for (let h = 1; h <= 256; h++) assert.equal(a.insert(5, h), true);
  assert.equal(a.bits, 10);
  assert.equal(a.displacements()[260], 255);
  assert.equal(a.insert(5 + 1024, 1), true);
  assert.equal(a.bits, 11);
  assert.equal(a.overflowDoublings, 1);
  for (let h = 1; h <= 256; h++) assert.equal(a.insert(5, h), false);
  assert.equal(a.insert(5 + 1024, 1), false);
  assert.equal(a.displacements()[260], 255);

  // One hash with home 4, then 256 with home 5 (slots 5..260, the last 255 from home); another
  // with home 4 goes at slot 5 and would move the run on, the last to 256 from home: the table
  // doubles instead (at 2^11 the homes of 5 + j * 1024 alternate 5 and 1029, displacements < 128).
  const b = new CompactTable(10, 10);
  assert.equal(b.insert(4, 1), true);
  for (let j = 0; j < 256; j++) assert.equal(b.insert(5 + j * 1024, 1), true);
  assert.equal(b.bits, 10);
  assert.equal(b.insert(4, 2), true);
  assert.equal(b.bits, 11);
  assert.equal(b.overflowDoublings, 1);
  for (let j = 0; j < 256; j++) assert.equal(b.insert(5 + j * 1024, 1), false);
  assert.equal(b.insert(4, 1), false);
  assert.equal(b.insert(4, 2), false);
  assert.equal(b.count, 258);
});
